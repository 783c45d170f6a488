#include "core/config.hpp"

#include <algorithm>
#include <cstdlib>

namespace chronicle {
namespace {

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return (v && *v) ? v : nullptr;
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
  const std::string listen_at = effective_tracker_listen();
  const std::string port = listen_at.substr(listen_at.rfind(':') + 1);
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

std::string Config::peers_host() const { return listens_on_loopback() && public_url.empty() ? "127.0.0.1" : "0.0.0.0"; }

std::string Config::effective_tracker_listen() const {
  return tracker_listen.empty() ? peers_host() + ":6969" : tracker_listen;
}

std::string Config::effective_seed_listen() const { return seed_listen.empty() ? peers_host() + ":6881" : seed_listen; }

Result<Ok> validate(const Config& c) {
  if (c.heartbeat_stale_s < 2 * c.heartbeat_interval_s)
    return make_error("invalid_config", "heartbeat_stale_s must be at least twice the heartbeat interval");
  if (c.disk_reserve_bytes && c.disk_floor_bytes > c.disk_reserve_bytes)
    return make_error("invalid_config", "disk_floor must not be larger than disk_reserve");
  if (c.listen.find(':') == std::string::npos) return make_error("invalid_config", "listen must be HOST:PORT");
  if (c.launcher == LauncherKind::ecs && c.ecs_subnets.empty())
    return make_error("invalid_config", "the ecs launcher needs CHRONICLE_ECS_SUBNETS (and usually _SECURITY_GROUPS)");
  if (!c.cookies_key.empty() &&
      (c.cookies_key.size() != 64 || c.cookies_key.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos))
    return make_error("invalid_config",
                      "cookies_key (CHRONICLE_COOKIES_KEY) must be 64 hex digits, e.g. from `openssl rand -hex 32`");
  return Ok{};
}

}  // namespace chronicle
