#include "core/settings.hpp"

#include <toml++/toml.h>
#include <nlohmann/json.hpp>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <sstream>

namespace chronicle {
namespace {

template <class E>
struct EnumNames;
template <>
struct EnumNames<BackendKind> {
  static constexpr std::pair<BackendKind, std::string_view> names[] = {{BackendKind::embedded, "embedded"},
                                                                       {BackendKind::aws, "aws"}};
};
template <>
struct EnumNames<LauncherKind> {
  static constexpr std::pair<LauncherKind, std::string_view> names[] = {{LauncherKind::process, "process"},
                                                                        {LauncherKind::ecs, "ecs"}};
};
template <>
struct EnumNames<S3Addressing> {
  static constexpr std::pair<S3Addressing, std::string_view> names[] = {
      {S3Addressing::automatic, "auto"}, {S3Addressing::path, "path"}, {S3Addressing::virtual_hosted, "virtual"}};
};

template <class E>
std::string_view enum_name(E value) {
  for (const auto& [v, name] : EnumNames<E>::names)
    if (v == value) return name;
  return "?";
}

template <class E>
std::string enum_choices() {
  std::string out;
  for (const auto& [v, name] : EnumNames<E>::names) out += (out.empty() ? "" : "|") + std::string(name);
  return out;
}

Error bad_value(std::string_view key, const std::string& expected, const std::string& text) {
  return Error{"invalid_config", std::string(key) + " must be " + expected + ", got '" + text + "'"};
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    const auto first = item.find_first_not_of(' ');
    if (first == std::string::npos) continue;
    items.push_back(item.substr(first, item.find_last_not_of(' ') - first + 1));
  }
  return items;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

std::string show_number(double v) {
  std::ostringstream out;
  out.precision(15);
  out << v;
  return out.str();
}

// How a value of each type is read from text and shown.
struct Bounds {
  std::optional<double> min, max;
  bool within(double v) const { return (!min || v >= *min) && (!max || v <= *max); }
  std::string describe(std::string_view what) const {
    if (min && max) return std::string(what) + " between " + show_number(*min) + " and " + show_number(*max);
    if (min) return std::string(what) + " of at least " + show_number(*min);
    return std::string(what);
  }
};

template <class T>
struct Codec;

template <>
struct Codec<std::string> {
  static constexpr std::string_view type = "text";
  static Result<std::string> parse(std::string_view, const std::string& text, const Bounds&) { return text; }
  static std::string show(const std::string& v) { return v; }
};
template <>
struct Codec<std::filesystem::path> {
  static constexpr std::string_view type = "path";
  static Result<std::filesystem::path> parse(std::string_view, const std::string& text, const Bounds&) {
    return std::filesystem::path(text);
  }
  static std::string show(const std::filesystem::path& v) { return v.string(); }
};
template <>
struct Codec<bool> {
  static constexpr std::string_view type = "on/off";
  static Result<bool> parse(std::string_view key, const std::string& text, const Bounds&) {
    for (const char* yes : {"1", "true", "yes", "on"})
      if (text == yes) return true;
    for (const char* no : {"0", "false", "no", "off"})
      if (text == no) return false;
    return bad_value(key, "on or off (1/0, true/false, yes/no)", text);
  }
  static std::string show(bool v) { return v ? "on" : "off"; }
};
template <>
struct Codec<int> {
  static constexpr std::string_view type = "integer";
  static Result<int> parse(std::string_view key, const std::string& text, const Bounds& bounds) {
    long long v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || v < INT32_MIN || v > INT32_MAX ||
        !bounds.within(static_cast<double>(v)))
      return bad_value(key, bounds.describe("a whole number"), text);
    return static_cast<int>(v);
  }
  static std::string show(int v) { return std::to_string(v); }
};
template <>
struct Codec<double> {
  static constexpr std::string_view type = "number";
  static Result<double> parse(std::string_view key, const std::string& text, const Bounds& bounds) {
    char* end = nullptr;
    const double v = text.empty() ? NAN : std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v) || !bounds.within(v))
      return bad_value(key, bounds.describe("a number"), text);
    return v;
  }
  static std::string show(double v) { return show_number(v); }
};
template <>
struct Codec<std::uint64_t> {
  static constexpr std::string_view type = "bytes (2G, 512M, 1048576)";
  static Result<std::uint64_t> parse(std::string_view key, const std::string& text, const Bounds&) {
    return parse_bytes(std::string(key), text);
  }
  static std::string show(std::uint64_t v) { return std::to_string(v); }
};
template <>
struct Codec<std::vector<std::string>> {
  static constexpr std::string_view type = "comma-separated list";
  static Result<std::vector<std::string>> parse(std::string_view, const std::string& text, const Bounds&) {
    return split_list(text);
  }
  static std::string show(const std::vector<std::string>& v) { return join(v); }
};
template <>
struct Codec<std::vector<Network>> {
  static constexpr std::string_view type = "comma-separated networks";
  static Result<std::vector<Network>> parse(std::string_view key, const std::string& text, const Bounds&) {
    auto nets = parse_networks(text);
    if (!nets) return Error{"invalid_config", std::string(key) + ": " + nets.error().message};
    return nets;
  }
  static std::string show(const std::vector<Network>& v) {
    std::vector<std::string> texts;
    texts.reserve(v.size());
    for (const auto& n : v) texts.push_back(n.to_string());
    return join(texts);
  }
};
template <class E>
requires std::is_enum_v<E>
struct Codec<E> {
  static inline const std::string choices = enum_choices<E>();
  static constexpr std::string_view type = "";  // the choices, see field()
  static Result<E> parse(std::string_view key, const std::string& text, const Bounds&) {
    for (const auto& [v, name] : EnumNames<E>::names)
      if (text == name) return v;
    return bad_value(key, "one of " + choices, text);
  }
  static std::string show(E v) { return std::string(enum_name(v)); }
};

struct Extra {
  std::string_view flag;
  std::string_view default_doc;
  bool secret = false;
  Bounds bounds;
  std::string_view choices;  // "a|b|c": a text setting that takes only these words
};

bool is_one_of(std::string_view choices, std::string_view word) {
  for (std::size_t start = 0; start <= choices.size();) {
    const auto bar = std::min(choices.find('|', start), choices.size());
    if (choices.substr(start, bar - start) == word) return true;
    start = bar + 1;
  }
  return false;
}

template <class T>
Setting field(std::string_view key, std::string_view env, T Config::*member, std::string_view help, Extra extra = {}) {
  Setting s;
  s.key = key;
  s.env = env;
  s.flag = extra.flag;
  s.help = help;
  s.default_doc = extra.default_doc;
  s.secret = extra.secret;
  if constexpr (std::is_enum_v<T>)
    s.type = Codec<T>::choices;
  else
    s.type = extra.choices.empty() ? Codec<T>::type : extra.choices;
  s.set = [key, member, bounds = extra.bounds, choices = extra.choices](Config& c,
                                                                        const std::string& text) -> Result<Ok> {
    if (!choices.empty() && !is_one_of(choices, text)) return bad_value(key, "one of " + std::string(choices), text);
    auto v = Codec<T>::parse(key, text, bounds);
    if (!v) return v.error();
    c.*member = std::move(*v);
    return Ok{};
  };
  s.get = [member](const Config& c) { return Codec<T>::show(c.*member); };
  return s;
}

// Designated initializers leave out what a setting does not have, on purpose; GCC 12 warns about
// that even though every member has a default.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
std::vector<Setting> make_table() {
  using C = Config;
  const Bounds positive{0.001, std::nullopt};
  return {
      field("data_dir", "CHRONICLE_DATA", &C::data_dir, "database, recordings, work files, logs",
            {.flag = "--data", .default_doc = "`~/.local/share/chronicle`"}),
      field("listen", "CHRONICLE_LISTEN", &C::listen, "API and dashboard address (HOST:PORT)", {.flag = "--listen"}),
      field("public_url", "CHRONICLE_PUBLIC_URL", &C::public_url, "base URL put into links (and torrents)",
            {.default_doc = "`http://<listen>`"}),
      field("allow_networks", "CHRONICLE_ALLOW_NETWORKS", &C::allowed_networks,
            "networks recordings may reach besides the internet, e.g. `127.0.0.2/32,10.1.0.0/16` (metadata addresses "
            "never)"),
      field("allow_private_networks", "CHRONICLE_ALLOW_PRIVATE_NETWORKS", &C::allow_private_networks,
            "allow every loopback, private and link-local network"),
      field("token", "CHRONICLE_TOKEN", &C::token,
            "every API request needs `Authorization: Bearer <token>` (see \"Token\")",
            {.default_doc = "unset (created when listening beyond loopback)", .secret = true}),
      field("link_ttl_s", "CHRONICLE_LINK_TTL", &C::link_ttl_s, "seconds signed download links in job JSON stay valid",
            {.bounds = {1, std::nullopt}}),
      field("web_seed_ttl_s", "CHRONICLE_WEB_SEED_TTL", &C::web_seed_ttl_s,
            "seconds the signed web seed inside a `.torrent` stays valid", {.bounds = {1, std::nullopt}}),
      field("max_connections", "CHRONICLE_MAX_CONNECTIONS", &C::max_connections,
            "open HTTP connections (also kept 64 below the descriptor limit)", {.bounds = {16, std::nullopt}}),
      field("header_timeout_s", "CHRONICLE_HEADER_TIMEOUT", &C::header_timeout_s,
            "seconds a client has to send a whole request", {.bounds = positive}),
      field("max_body_bytes", "CHRONICLE_MAX_BODY", &C::max_body_bytes, "request bodies above this get 413"),
      field("allowed_hosts", "CHRONICLE_ALLOWED_HOSTS", &C::allowed_hosts,
            "host names the server answers to besides IP addresses, `localhost` and the public URL's host"),
      field("backend", "CHRONICLE_BACKEND", &C::backend,
            "SQLite and a directory, or DynamoDB, SQS and S3 (see \"AWS\")"),
      field("max_concurrent_recordings", "CHRONICLE_MAX_RECORDINGS", &C::max_concurrent_recordings,
            "jobs in starting/recording/uploading at once", {.bounds = {1, std::nullopt}}),
      field("heartbeat_interval_s", "CHRONICLE_HEARTBEAT_INTERVAL", &C::heartbeat_interval_s,
            "seconds between recorder heartbeats", {.bounds = positive}),
      field("heartbeat_stale_s", "CHRONICLE_HEARTBEAT_STALE", &C::heartbeat_stale_s,
            "a recorder silent this long is recovered", {.bounds = positive}),
      field("probe_timeout_s", "CHRONICLE_PROBE_TIMEOUT", &C::probe_timeout_s, "limit for the yt-dlp probe of a URL",
            {.bounds = positive}),
      field("max_receive_count", "CHRONICLE_MAX_RECEIVES", &C::max_receive_count,
            "queue deliveries before a job is dead-lettered", {.bounds = {1, std::nullopt}}),
      field("dispatch_concurrency", "CHRONICLE_DISPATCH_CONCURRENCY", &C::dispatch_concurrency,
            "jobs probed and launched side by side", {.bounds = {1, 256}}),
      field("resident_extractor", "CHRONICLE_RESIDENT_EXTRACTOR", &C::resident_extractor,
            "probe through one resident yt-dlp (Python importing `yt_dlp` once) instead of a `yt-dlp -J` process per "
            "job"),
      field("stall_timeout_s", "CHRONICLE_STALL_TIMEOUT", &C::stall_timeout_s,
            "no new media this long (or 3 target durations when longer) counts as a drop", {.bounds = positive}),
      field("reconnect_window_s", "CHRONICLE_RECONNECT_WINDOW", &C::reconnect_window_s,
            "how long a dropped stream is waited for (per job: `reconnect_window_s`)", {.bounds = {0, 86400}}),
      field("channel_poll_interval_s", "CHRONICLE_CHANNEL_POLL_INTERVAL", &C::channel_poll_interval_s,
            "seconds between a channel's checks (per channel: `poll_interval_s`)", {.bounds = positive}),
      field("channel_min_poll_interval_s", "CHRONICLE_CHANNEL_MIN_POLL_INTERVAL", &C::channel_min_poll_interval_s,
            "the shortest `poll_interval_s` a channel may ask for", {.bounds = positive}),
      field("channel_check_concurrency", "CHRONICLE_CHANNEL_CHECKS", &C::channel_check_concurrency,
            "channels checked side by side", {.bounds = {1, 64}}),
      field("max_channels", "CHRONICLE_MAX_CHANNELS", &C::max_channels,
            "channels kept at once; adding one more answers 409", {.bounds = {1, 100000}}),
      field("max_webhooks", "CHRONICLE_MAX_WEBHOOKS", &C::max_webhooks,
            "webhooks kept at once; adding one more answers 409", {.bounds = {1, 10000}}),
      field("max_pending_tests", "CHRONICLE_MAX_PENDING_TESTS", &C::max_pending_tests,
            "test deliveries one webhook may have waiting; one more answers 429", {.bounds = {1, 1000}}),
      field("live_check_max_interval_s", "CHRONICLE_LIVE_CHECK_INTERVAL", &C::live_check_max_interval_s,
            "a job waiting for its stream (`wait_for_live_s`) is checked at least this often", {.bounds = positive}),
      field("upcoming_wait_s", "CHRONICLE_UPCOMING_WAIT", &C::upcoming_wait_s,
            "how long past its announced start a scheduled stream is waited for", {.bounds = {0, 7 * 86400}}),
      field("disk_reserve", "CHRONICLE_DISK_RESERVE", &C::disk_reserve_bytes,
            "below this much free space new submits get 507", {.default_doc = "larger of 2 GiB and 5%"}),
      field("disk_floor", "CHRONICLE_DISK_FLOOR", &C::disk_floor_bytes,
            "a recording that brings free space below this stops and stores what it has",
            {.default_doc = "a quarter of the reserve"}),
      field("chat", "CHRONICLE_CHAT", &C::chat,
            "record a stream's live chat beside it where the site has one (Twitch, YouTube); `chat: false` on a job or "
            "channel turns it off"),
      field("twitch_irc_url", "CHRONICLE_TWITCH_IRC_URL", &C::twitch_irc_url,
            "Twitch chat's IRC-over-WebSocket endpoint (ws:// or wss://)"),
      field("title_interval_s", "CHRONICLE_TITLE_INTERVAL", &C::title_interval_s,
            "a recording asks the site for the stream's title this often; each change is a chapter (0: never)",
            {.bounds = {0, 86400}}),
      field("preview_interval_s", "CHRONICLE_PREVIEW_INTERVAL", &C::preview_interval_s,
            "least seconds between the stills a recording job shows while it records and someone looks (0: none)",
            {.bounds = {0, 3600}}),
      field("retention_days", "CHRONICLE_RETENTION_DAYS", &C::retention_days,
            "finished recordings older than this many days are deleted (0: kept; pinned jobs are kept)",
            {.bounds = {0, 36500}}),
      field("storage_budget", "CHRONICLE_STORAGE_BUDGET", &C::storage_budget_bytes,
            "the oldest unpinned recordings are deleted while all recordings take more than this (0: no budget)"),
      field("retention_min_age_s", "CHRONICLE_RETENTION_MIN_AGE", &C::retention_min_age_s,
            "seconds a finished recording is kept whatever retention says (and a channel's newest, always)",
            {.bounds = {0, 365 * 86400}}),
      field("retention_interval_s", "CHRONICLE_RETENTION_INTERVAL", &C::retention_interval_s,
            "seconds between retention passes", {.bounds = positive}),
      field("ytdlp", "CHRONICLE_YTDLP", &C::ytdlp, "the yt-dlp to run (use a current one for real sites)"),
      field("ffmpeg", "CHRONICLE_FFMPEG", &C::ffmpeg, "the ffmpeg to run (ffprobe is found beside it)"),
      field("ytdlp_format", "CHRONICLE_YTDLP_FORMAT", &C::ytdlp_format, "yt-dlp format selection"),
      field("web_root", "CHRONICLE_WEB_ROOT", &C::web_root, "the built dashboard",
            {.default_doc = "found beside the binary"}),
      field("log_level", "CHRONICLE_LOG_LEVEL", &C::log_level, "how much the server logs",
            {.choices = "trace|debug|info|warn|error|critical|off"}),
      field("torrent_enabled", "CHRONICLE_TORRENT", &C::torrent_enabled, "make a `.torrent` for every recording"),
      field("torrent_hybrid", "CHRONICLE_TORRENT_HYBRID", &C::torrent_hybrid,
            "hybrid v1+v2 torrents instead of v1 (see below)"),
      field("trackers", "CHRONICLE_TRACKERS", &C::trackers, "announce URLs put into torrents",
            {.default_doc = "built-in tracker"}),
      field("tracker_enabled", "CHRONICLE_TRACKER", &C::tracker_enabled,
            "run and supervise `opentracker` (when no external trackers are set)"),
      field("tracker_listen", "CHRONICLE_TRACKER_LISTEN", &C::tracker_listen,
            "tracker address (TCP and UDP); announce URLs use the public URL's host",
            {.default_doc = "127.0.0.1:6969 while the API is on loopback and no public URL is set, else 0.0.0.0:6969"}),
      field("opentracker", "CHRONICLE_OPENTRACKER", &C::opentracker, "the tracker binary"),
      field("seed_enabled", "CHRONICLE_SEED", &C::seed_enabled, "seed recordings from `serve`"),
      field("seed_listen", "CHRONICLE_SEED_LISTEN", &C::seed_listen, "BitTorrent listen address",
            {.default_doc = "127.0.0.1:6881 while the API is on loopback and no public URL is set, else (and for "
                            "`chronicle seed`) 0.0.0.0:6881"}),
      field("seed_dht", "CHRONICLE_SEED_DHT", &C::seed_dht, "find peers through the DHT"),
      field("seed_lsd", "CHRONICLE_SEED_LSD", &C::seed_lsd, "find peers on the local network"),
      field("seed_upnp", "CHRONICLE_SEED_UPNP", &C::seed_upnp, "map the seeding port with UPnP"),
      field("seed_natpmp", "CHRONICLE_SEED_NATPMP", &C::seed_natpmp, "map the seeding port with NAT-PMP"),
      field("seed_ratio_limit", "CHRONICLE_SEED_RATIO", &C::seed_ratio_limit,
            "stop seeding a torrent at this share ratio (0: never)", {.bounds = {0, std::nullopt}}),
      field("seed_time_limit_s", "CHRONICLE_SEED_TIME", &C::seed_time_limit_s,
            "stop seeding a torrent after this many seconds (0: never)", {.bounds = {0, std::nullopt}}),
      field("seed_active_limit", "CHRONICLE_SEED_ACTIVE", &C::seed_active_limit, "torrents seeding at once",
            {.bounds = {1, std::nullopt}}),
      field("torrent_watch_dir", "CHRONICLE_TORRENT_WATCH_DIR", &C::torrent_watch_dir,
            "also write each `.torrent` here, for another client to seed"),
      field("cookies_key", "CHRONICLE_COOKIES_KEY", &C::cookies_key,
            "64 hex digits: stored cookies files are encrypted with this key (AES-256-GCM); required to store "
            "cookies on the aws backend",
            {.secret = true}),
      field("s3_bucket", "CHRONICLE_S3_BUCKET", &C::s3_bucket, "recordings bucket (aws backend)"),
      field("s3_addressing", "CHRONICLE_S3_ADDRESSING", &C::s3_addressing,
            "`auto` is path-style with `AWS_ENDPOINT_URL`, virtual-host on AWS"),
      field("sqs_queue", "CHRONICLE_SQS_QUEUE", &C::sqs_queue, "FIFO job queue (aws backend)"),
      field("sqs_dead_letter_queue", "CHRONICLE_SQS_DLQ", &C::sqs_dead_letter_queue,
            "FIFO dead-letter queue (aws backend)"),
      field("dynamodb_table", "CHRONICLE_DYNAMODB_TABLE", &C::dynamodb_table, "jobs table (aws backend)"),
      field("job_retention_days", "CHRONICLE_JOB_RETENTION_DAYS", &C::job_retention_days,
            "finished jobs expire after this many days (DynamoDB TTL)", {.bounds = {1, std::nullopt}}),
      field("launcher", "CHRONICLE_LAUNCHER", &C::launcher, "run recorders as local processes or as Fargate tasks"),
      field("ecs_cluster", "CHRONICLE_ECS_CLUSTER", &C::ecs_cluster, "ECS cluster for recorder tasks"),
      field("clip_function", "CHRONICLE_CLIP_FUNCTION", &C::clip_function,
            "the Lambda function that cuts clips (the dispatcher's, with ffmpeg); empty: the API function cuts none"),
      field("lambda_endpoint", "CHRONICLE_LAMBDA_ENDPOINT", &C::lambda_endpoint,
            "Lambda's API endpoint for invoking clip_function", {.default_doc = "AWS_ENDPOINT_URL, else AWS's"}),
      field("ecs_task_definition", "CHRONICLE_ECS_TASK_DEFINITION", &C::ecs_task_definition,
            "task definition of the recorder"),
      field("ecs_container", "CHRONICLE_ECS_CONTAINER", &C::ecs_container, "the recorder's container name"),
      field("ecs_subnets", "CHRONICLE_ECS_SUBNETS", &C::ecs_subnets, "subnets of recorder tasks (awsvpc)"),
      field("ecs_security_groups", "CHRONICLE_ECS_SECURITY_GROUPS", &C::ecs_security_groups,
            "security groups of recorder tasks"),
  };
}
#pragma GCC diagnostic pop

// A TOML value as the text the environment would give for it; arrays become comma lists.
std::optional<std::string> toml_text(const toml::node& node) {
  if (auto v = node.value_exact<std::string>()) return *v;
  if (auto v = node.value_exact<std::int64_t>()) return std::to_string(*v);
  if (auto v = node.value_exact<double>()) return show_number(*v);
  if (auto v = node.value_exact<bool>()) return *v ? "true" : "false";
  if (const auto* array = node.as_array()) {
    std::vector<std::string> items;
    for (const auto& element : *array) {
      auto text = toml_text(element);
      if (!text) return std::nullopt;
      items.push_back(*text);
    }
    return join(items);
  }
  return std::nullopt;
}

Error from_source(const std::string& source, const Error& e) { return Error{e.code, source + ": " + e.message}; }

}  // namespace

std::string_view to_string(BackendKind b) { return enum_name(b); }
std::string_view to_string(LauncherKind l) { return enum_name(l); }
std::string_view to_string(S3Addressing a) { return enum_name(a); }

const std::vector<Setting>& settings() {
  static const std::vector<Setting> table = make_table();
  return table;
}

const Setting* find_setting(std::string_view key) {
  for (const auto& s : settings())
    if (s.key == key) return &s;
  return nullptr;
}

Result<LoadedConfig> load_settings(const std::optional<std::filesystem::path>& file,
                                   const std::map<std::string, std::string>& flags) {
  LoadedConfig loaded;
  Config& c = loaded.config;
  c.data_dir = default_data_dir();
  for (const auto& s : settings()) loaded.sources.emplace(std::string(s.key), "default");
  if (file) {
    toml::table t;
    try {
      t = toml::parse_file(file->string());
    } catch (const toml::parse_error& e) {
      return make_error("invalid_config", "cannot read " + file->string() + ": " + std::string(e.description()));
    }
    for (const auto& [key, node] : t) {
      const Setting* s = find_setting(key.str());
      const std::string where = file->string() + ": " + std::string(key.str());
      if (!s) return make_error("invalid_config", where + " is not a setting (`chronicle config` lists them)");
      auto text = toml_text(node);
      if (!text) return make_error("invalid_config", where + " must be a " + std::string(s->type));
      if (auto set = s->set(c, *text); !set) return from_source(file->string(), set.error());
      loaded.sources[std::string(s->key)] = "file " + file->string();
    }
  }
  for (const auto& s : settings()) {
    const char* v = std::getenv(std::string(s.env).c_str());
    if (!v || !*v) continue;
    if (auto set = s.set(c, v); !set) return from_source(std::string(s.env), set.error());
    loaded.sources[std::string(s.key)] = "env " + std::string(s.env);
  }
  for (const auto& [key, text] : flags) {
    const Setting* s = find_setting(key);
    if (!s) return make_error("invalid_config", "no setting named " + key);
    const std::string name = s->flag.empty() ? key : std::string(s->flag);
    if (auto set = s->set(c, text); !set) return from_source(name, set.error());
    loaded.sources[std::string(s->key)] = "flag " + name;
  }
  return loaded;
}

Result<Config> load_config(const std::optional<std::filesystem::path>& file) {
  auto loaded = load_settings(file);
  if (!loaded) return loaded.error();
  return std::move(loaded->config);
}

std::string shown_value(const Setting& setting, const Config& config) {
  std::string value = setting.get(config);
  if (setting.secret && !value.empty()) return "(set, " + std::to_string(value.size()) + " characters)";
  // A 0 that stands for a computed default (the disk reserve) would read as "no reserve".
  // So does an empty value that stands for one (the tracker's address follows the API's).
  if ((value == "0" || value.empty()) && !setting.default_doc.empty()) {
    std::string doc(setting.default_doc);
    std::erase(doc, '`');
    return "auto: " + doc;
  }
  return value;
}

namespace {

// The default as the README's table writes it.
std::string default_text(const Setting& s) {
  static const Config defaults;
  if (!s.default_doc.empty()) return std::string(s.default_doc);
  const auto value = s.get(defaults);
  return value.empty() ? "unset" : "`" + value + "`";
}

}  // namespace

nlohmann::json settings_json(const LoadedConfig& loaded) {
  auto out = nlohmann::json::array();
  for (const auto& s : settings()) {
    std::string fallback = default_text(s);
    std::erase(fallback, '`');
    std::string help(s.help);
    std::erase(help, '`');
    const auto source = loaded.sources.find(s.key);
    out.push_back({{"key", s.key},
                   {"env", s.env},
                   {"flag", s.flag},
                   {"type", s.type},
                   {"help", help},
                   {"default", fallback},
                   {"secret", s.secret},
                   {"value", shown_value(s, loaded.config)},
                   {"source", source == loaded.sources.end() ? "default" : source->second}});
  }
  return out;
}

std::string settings_markdown() {
  std::string out = "| env | TOML key | type | default | meaning |\n| --- | --- | --- | --- | --- |\n";
  for (const auto& s : settings()) {
    std::string env = "`" + std::string(s.env) + "`";
    if (!s.flag.empty()) env += " / `" + std::string(s.flag) + "`";
    const std::string fallback = default_text(s);
    // A choice's bars would split the table's cell.
    std::string type(s.type);
    for (auto bar = type.find('|'); bar != std::string::npos; bar = type.find('|', bar + 3))
      type.replace(bar, 1, " / ");
    out.append("| ").append(env).append(" | `").append(s.key).append("` | ").append(type).append(" | ");
    out.append(fallback).append(" | ").append(s.help).append(" |\n");
  }
  return out;
}

}  // namespace chronicle
