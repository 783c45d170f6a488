#include "core/config.hpp"

#include <toml++/toml.h>
#include <algorithm>
#include <cstdlib>

namespace chronicle {
namespace {

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return (v && *v) ? v : nullptr;
}

bool truthy(const std::string& v) { return v == "1" || v == "true" || v == "yes" || v == "on"; }

Result<double> number(const char* name, const std::string& text) {
  try {
    size_t used = 0;
    double v = std::stod(text, &used);
    if (used != text.size()) throw std::invalid_argument(text);
    return v;
  } catch (const std::exception&) {
    return make_error("invalid_config", std::string(name) + " must be a number, got '" + text + "'");
  }
}

}  // namespace

std::string Config::effective_public_url() const {
  std::string url = public_url.empty() ? "http://" + listen : public_url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

std::string Config::public_host() const {
  std::string url = effective_public_url();
  const auto start = url.find("://");
  std::string rest = start == std::string::npos ? url : url.substr(start + 3);
  rest = rest.substr(0, rest.find('/'));
  if (!rest.empty() && rest.front() == '[') return rest.substr(0, rest.find(']') + 1);
  return rest.substr(0, rest.rfind(':') == std::string::npos ? rest.size() : rest.rfind(':'));
}

std::vector<std::string> Config::announce_urls() const {
  if (!trackers.empty()) return trackers;
  if (!tracker_enabled) return {};
  const std::string port = tracker_listen.substr(tracker_listen.rfind(':') + 1);
  return {"http://" + public_host() + ":" + port + "/announce", "udp://" + public_host() + ":" + port + "/announce"};
}

double Config::stall_timeout_for(double target_duration_s) const {
  return std::max(stall_timeout_s, 3 * target_duration_s);
}

std::uint64_t Config::disk_reserve_for(std::uint64_t filesystem_bytes) const {
  if (disk_reserve_bytes) return disk_reserve_bytes;
  return std::max<std::uint64_t>(2ull << 30, filesystem_bytes / 20);
}

std::uint64_t Config::disk_floor_for(std::uint64_t filesystem_bytes) const {
  if (disk_floor_bytes) return disk_floor_bytes;
  return disk_reserve_for(filesystem_bytes) / 4;
}

Result<std::uint64_t> parse_bytes(const std::string& name, const std::string& text) {
  std::size_t used = 0;
  double n = 0;
  try {
    n = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  std::string unit = text.substr(used);
  if (!unit.empty() && (unit.back() == 'B' || unit.back() == 'b')) unit.pop_back();
  if (unit.size() > 1 && (unit.back() == 'i')) unit.pop_back();
  double mult = 1;
  if (unit == "K" || unit == "k")
    mult = 1024.0;
  else if (unit == "M" || unit == "m")
    mult = 1024.0 * 1024;
  else if (unit == "G" || unit == "g")
    mult = 1024.0 * 1024 * 1024;
  else if (unit == "T" || unit == "t")
    mult = 1024.0 * 1024 * 1024 * 1024;
  else if (!unit.empty())
    used = 0;
  if (used == 0 || n < 0)
    return make_error("invalid_config", name + " must be a size in bytes (e.g. 2G, 512M), got '" + text + "'");
  return static_cast<std::uint64_t>(n * mult);
}

std::filesystem::path default_data_dir() {
  if (const char* xdg = env("XDG_DATA_HOME")) return std::filesystem::path(xdg) / "chronicle";
  if (const char* home = env("HOME")) return std::filesystem::path(home) / ".local/share/chronicle";
  return "chronicle-data";
}

bool Config::listens_on_loopback() const {
  std::string host = listen.substr(0, listen.rfind(':'));
  if (host.size() > 1 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host == "localhost") return true;
  const auto ip = parse_ip_literal(host);
  return ip && classify(*ip) == AddressClass::loopback;
}

Result<Config> load_config(const std::optional<std::filesystem::path>& file) {
  Config c;
  c.data_dir = default_data_dir();
  if (file) {
    toml::table t;
    try {
      t = toml::parse_file(file->string());
    } catch (const toml::parse_error& e) {
      return make_error("invalid_config", "cannot read " + file->string() + ": " + std::string(e.description()));
    }
    if (auto v = t["data_dir"].value<std::string>()) c.data_dir = *v;
    if (auto v = t["listen"].value<std::string>()) c.listen = *v;
    if (auto v = t["public_url"].value<std::string>()) c.public_url = *v;
    if (auto v = t["allow_private_networks"].value<bool>()) c.allow_private_networks = *v;
    if (auto v = t["allow_networks"].value<std::string>()) {
      auto nets = parse_networks(*v);
      if (!nets) return nets.error();
      c.allowed_networks = *nets;
    }
    if (auto* arr = t["allow_networks"].as_array())
      for (auto& el : *arr)
        if (auto v = el.value<std::string>()) {
          auto net = parse_network(*v);
          if (!net) return net.error();
          c.allowed_networks.push_back(*net);
        }
    if (auto v = t["token"].value<std::string>()) c.token = *v;
    if (auto v = t["backend"].value<std::string>()) c.backend = *v;
    if (auto v = t["max_concurrent_recordings"].value<int64_t>()) c.max_concurrent_recordings = static_cast<int>(*v);
    if (auto v = t["heartbeat_interval_s"].value<double>()) c.heartbeat_interval_s = *v;
    if (auto v = t["heartbeat_stale_s"].value<double>()) c.heartbeat_stale_s = *v;
    if (auto v = t["probe_timeout_s"].value<double>()) c.probe_timeout_s = *v;
    if (auto v = t["max_receive_count"].value<int64_t>()) c.max_receive_count = static_cast<int>(*v);
    if (auto v = t["dispatch_concurrency"].value<int64_t>()) c.dispatch_concurrency = static_cast<int>(*v);
    if (auto v = t["resident_extractor"].value<bool>()) c.resident_extractor = *v;
    if (auto v = t["ytdlp"].value<std::string>()) c.ytdlp = *v;
    if (auto v = t["ffmpeg"].value<std::string>()) c.ffmpeg = *v;
    if (auto v = t["ytdlp_format"].value<std::string>()) c.ytdlp_format = *v;
    if (auto v = t["web_root"].value<std::string>()) c.web_root = *v;
    if (auto v = t["max_body_bytes"].value<int64_t>()) c.max_body_bytes = static_cast<std::size_t>(*v);
    if (auto v = t["log_level"].value<std::string>()) c.log_level = *v;
    if (auto v = t["max_connections"].value<int64_t>()) c.max_connections = static_cast<int>(*v);
    if (auto v = t["header_timeout_s"].value<double>()) c.header_timeout_s = *v;
    if (auto v = t["link_ttl_s"].value<double>()) c.link_ttl_s = *v;
    if (auto v = t["web_seed_ttl_s"].value<double>()) c.web_seed_ttl_s = *v;
    if (auto v = t["stall_timeout_s"].value<double>()) c.stall_timeout_s = *v;
    if (auto v = t["reconnect_window_s"].value<double>()) c.reconnect_window_s = *v;
    for (auto [key, target] :
         {std::pair{"disk_reserve", &c.disk_reserve_bytes}, std::pair{"disk_floor", &c.disk_floor_bytes}}) {
      if (auto v = t[key].value<int64_t>()) *target = static_cast<std::uint64_t>(*v);
      if (auto v = t[key].value<std::string>()) {
        auto n = parse_bytes(key, *v);
        if (!n) return n.error();
        *target = *n;
      }
    }
    if (auto v = t["torrent_enabled"].value<bool>()) c.torrent_enabled = *v;
    if (auto v = t["torrent_hybrid"].value<bool>()) c.torrent_hybrid = *v;
    if (auto* arr = t["trackers"].as_array())
      for (auto& el : *arr)
        if (auto v = el.value<std::string>()) c.trackers.push_back(*v);
    if (auto* arr = t["allowed_hosts"].as_array())
      for (auto& el : *arr)
        if (auto v = el.value<std::string>()) c.allowed_hosts.push_back(*v);
    if (auto v = t["tracker_enabled"].value<bool>()) c.tracker_enabled = *v;
    if (auto v = t["tracker_listen"].value<std::string>()) c.tracker_listen = *v;
    if (auto v = t["opentracker"].value<std::string>()) c.opentracker = *v;
    if (auto v = t["seed_enabled"].value<bool>()) c.seed_enabled = *v;
    if (auto v = t["seed_listen"].value<std::string>()) c.seed_listen = *v;
    if (auto v = t["seed_dht"].value<bool>()) c.seed_dht = *v;
    if (auto v = t["seed_lsd"].value<bool>()) c.seed_lsd = *v;
    if (auto v = t["seed_upnp"].value<bool>()) c.seed_upnp = *v;
    if (auto v = t["seed_natpmp"].value<bool>()) c.seed_natpmp = *v;
    if (auto v = t["seed_ratio_limit"].value<double>()) c.seed_ratio_limit = *v;
    if (auto v = t["seed_time_limit_s"].value<double>()) c.seed_time_limit_s = *v;
    if (auto v = t["seed_active_limit"].value<int64_t>()) c.seed_active_limit = static_cast<int>(*v);
    if (auto v = t["torrent_watch_dir"].value<std::string>()) c.torrent_watch_dir = *v;
    if (auto v = t["s3_bucket"].value<std::string>()) c.s3_bucket = *v;
    if (auto v = t["s3_addressing"].value<std::string>()) c.s3_addressing = *v;
    if (auto v = t["sqs_queue"].value<std::string>()) c.sqs_queue = *v;
    if (auto v = t["sqs_dead_letter_queue"].value<std::string>()) c.sqs_dead_letter_queue = *v;
    if (auto v = t["dynamodb_table"].value<std::string>()) c.dynamodb_table = *v;
    if (auto v = t["job_retention_days"].value<int64_t>()) c.job_retention_days = static_cast<int>(*v);
  }
  if (const char* v = env("CHRONICLE_DATA")) c.data_dir = v;
  if (const char* v = env("CHRONICLE_LISTEN")) c.listen = v;
  if (const char* v = env("CHRONICLE_PUBLIC_URL")) c.public_url = v;
  if (const char* v = env("CHRONICLE_ALLOW_PRIVATE_NETWORKS")) c.allow_private_networks = truthy(v);
  if (const char* v = env("CHRONICLE_ALLOW_NETWORKS")) {
    auto nets = parse_networks(v);
    if (!nets) return make_error("invalid_config", "CHRONICLE_ALLOW_NETWORKS: " + nets.error().message);
    c.allowed_networks = *nets;
  }
  if (const char* v = env("CHRONICLE_TOKEN")) c.token = v;
  if (const char* v = env("CHRONICLE_BACKEND")) c.backend = v;
  if (const char* v = env("CHRONICLE_YTDLP")) c.ytdlp = v;
  if (const char* v = env("CHRONICLE_FFMPEG")) c.ffmpeg = v;
  if (const char* v = env("CHRONICLE_YTDLP_FORMAT")) c.ytdlp_format = v;
  if (const char* v = env("CHRONICLE_WEB_ROOT")) c.web_root = v;
  if (const char* v = env("CHRONICLE_LOG_LEVEL")) c.log_level = v;
  struct BoolEnv {
    const char* name;
    bool* target;
  };
  for (auto [name, target] :
       {BoolEnv{"CHRONICLE_TORRENT", &c.torrent_enabled}, BoolEnv{"CHRONICLE_TORRENT_HYBRID", &c.torrent_hybrid},
        BoolEnv{"CHRONICLE_RESIDENT_EXTRACTOR", &c.resident_extractor},
        BoolEnv{"CHRONICLE_TRACKER", &c.tracker_enabled}, BoolEnv{"CHRONICLE_SEED", &c.seed_enabled},
        BoolEnv{"CHRONICLE_SEED_DHT", &c.seed_dht}, BoolEnv{"CHRONICLE_SEED_LSD", &c.seed_lsd},
        BoolEnv{"CHRONICLE_SEED_UPNP", &c.seed_upnp}, BoolEnv{"CHRONICLE_SEED_NATPMP", &c.seed_natpmp}})
    if (const char* v = env(name)) *target = truthy(v);
  auto env_list = [](const char* name, std::vector<std::string>& target) {
    if (const char* v = env(name)) {
      target.clear();
      const std::string list = v;
      for (std::size_t start = 0; start <= list.size();) {
        const auto comma = std::min(list.find(',', start), list.size());
        if (comma > start) target.push_back(list.substr(start, comma - start));
        start = comma + 1;
      }
    }
  };
  env_list("CHRONICLE_TRACKERS", c.trackers);
  env_list("CHRONICLE_ALLOWED_HOSTS", c.allowed_hosts);
  env_list("CHRONICLE_ECS_SUBNETS", c.ecs_subnets);
  env_list("CHRONICLE_ECS_SECURITY_GROUPS", c.ecs_security_groups);
  if (const char* v = env("CHRONICLE_LAUNCHER")) c.launcher = v;
  if (const char* v = env("CHRONICLE_ECS_CLUSTER")) c.ecs_cluster = v;
  if (const char* v = env("CHRONICLE_ECS_TASK_DEFINITION")) c.ecs_task_definition = v;
  if (const char* v = env("CHRONICLE_ECS_CONTAINER")) c.ecs_container = v;
  if (const char* v = env("CHRONICLE_TRACKER_LISTEN")) c.tracker_listen = v;
  if (const char* v = env("CHRONICLE_OPENTRACKER")) c.opentracker = v;
  if (const char* v = env("CHRONICLE_SEED_LISTEN")) c.seed_listen = v;
  if (const char* v = env("CHRONICLE_TORRENT_WATCH_DIR")) c.torrent_watch_dir = v;
  if (const char* v = env("CHRONICLE_S3_BUCKET")) c.s3_bucket = v;
  if (const char* v = env("CHRONICLE_S3_ADDRESSING")) c.s3_addressing = v;
  if (const char* v = env("CHRONICLE_SQS_QUEUE")) c.sqs_queue = v;
  if (const char* v = env("CHRONICLE_SQS_DLQ")) c.sqs_dead_letter_queue = v;
  if (const char* v = env("CHRONICLE_DYNAMODB_TABLE")) c.dynamodb_table = v;
  struct NumericEnv {
    const char* name;
    double* target;
  };
  double max_rec = c.max_concurrent_recordings, max_recv = c.max_receive_count, active = c.seed_active_limit,
         retention = c.job_retention_days, connections = c.max_connections, dispatching = c.dispatch_concurrency;
  for (auto [name, target] :
       {NumericEnv{"CHRONICLE_HEARTBEAT_INTERVAL", &c.heartbeat_interval_s},
        NumericEnv{"CHRONICLE_HEARTBEAT_STALE", &c.heartbeat_stale_s},
        NumericEnv{"CHRONICLE_PROBE_TIMEOUT", &c.probe_timeout_s}, NumericEnv{"CHRONICLE_MAX_RECORDINGS", &max_rec},
        NumericEnv{"CHRONICLE_MAX_RECEIVES", &max_recv}, NumericEnv{"CHRONICLE_DISPATCH_CONCURRENCY", &dispatching},
        NumericEnv{"CHRONICLE_SEED_RATIO", &c.seed_ratio_limit},
        NumericEnv{"CHRONICLE_SEED_TIME", &c.seed_time_limit_s}, NumericEnv{"CHRONICLE_SEED_ACTIVE", &active},
        NumericEnv{"CHRONICLE_JOB_RETENTION_DAYS", &retention},
        NumericEnv{"CHRONICLE_STALL_TIMEOUT", &c.stall_timeout_s},
        NumericEnv{"CHRONICLE_RECONNECT_WINDOW", &c.reconnect_window_s},
        NumericEnv{"CHRONICLE_MAX_CONNECTIONS", &connections},
        NumericEnv{"CHRONICLE_HEADER_TIMEOUT", &c.header_timeout_s}, NumericEnv{"CHRONICLE_LINK_TTL", &c.link_ttl_s},
        NumericEnv{"CHRONICLE_WEB_SEED_TTL", &c.web_seed_ttl_s}}) {
    if (const char* v = env(name)) {
      auto n = number(name, v);
      if (!n) return n.error();
      *target = *n;
    }
  }
  for (auto [name, target] : {std::pair{"CHRONICLE_DISK_RESERVE", &c.disk_reserve_bytes},
                              std::pair{"CHRONICLE_DISK_FLOOR", &c.disk_floor_bytes}})
    if (const char* v = env(name)) {
      auto n = parse_bytes(name, v);
      if (!n) return n.error();
      *target = *n;
    }
  c.max_concurrent_recordings = static_cast<int>(max_rec);
  c.max_receive_count = static_cast<int>(max_recv);
  c.seed_active_limit = static_cast<int>(active);
  c.job_retention_days = static_cast<int>(retention);
  c.max_connections = static_cast<int>(connections);
  c.dispatch_concurrency = static_cast<int>(dispatching);
  return c;
}

Result<Ok> validate(const Config& c) {
  if (c.backend != "embedded" && c.backend != "aws")
    return make_error("invalid_config", "backend must be 'embedded' or 'aws', got '" + c.backend + "'");
  if (c.max_concurrent_recordings < 1) return make_error("invalid_config", "max_concurrent_recordings must be >= 1");
  if (c.dispatch_concurrency < 1 || c.dispatch_concurrency > 256)
    return make_error("invalid_config", "dispatch_concurrency must be between 1 and 256");
  if (c.heartbeat_interval_s <= 0) return make_error("invalid_config", "heartbeat interval must be positive");
  if (c.heartbeat_stale_s < 2 * c.heartbeat_interval_s)
    return make_error("invalid_config", "heartbeat_stale_s must be at least twice the heartbeat interval");
  if (c.max_connections < 16) return make_error("invalid_config", "max_connections must be at least 16");
  if (c.link_ttl_s < 1 || c.web_seed_ttl_s < 1) return make_error("invalid_config", "link TTLs must be at least 1 s");
  if (c.header_timeout_s <= 0) return make_error("invalid_config", "header_timeout_s must be positive");
  if (c.stall_timeout_s <= 0) return make_error("invalid_config", "stall_timeout_s must be positive");
  if (c.reconnect_window_s < 0) return make_error("invalid_config", "reconnect_window_s must not be negative");
  if (c.disk_reserve_bytes && c.disk_floor_bytes > c.disk_reserve_bytes)
    return make_error("invalid_config", "disk_floor must not be larger than disk_reserve");
  if (c.listen.find(':') == std::string::npos) return make_error("invalid_config", "listen must be HOST:PORT");
  if (c.launcher != "process" && c.launcher != "ecs")
    return make_error("invalid_config", "launcher must be 'process' or 'ecs', got '" + c.launcher + "'");
  if (c.launcher == "ecs" && c.ecs_subnets.empty())
    return make_error("invalid_config", "the ecs launcher needs CHRONICLE_ECS_SUBNETS (and usually _SECURITY_GROUPS)");
  return Ok{};
}

}  // namespace chronicle
