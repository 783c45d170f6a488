#include "core/names.hpp"

#include <cstdio>
#include <iterator>

#include <sstream>
#include <string_view>

namespace chronicle {
namespace {
bool is_control(unsigned char c) { return c < 0x20 || c == 0x7f; }
}  // namespace

Result<Ok> validate_name(const std::string& name) {
  if (name.size() > kMaxNameLength)
    return make_error("invalid_name", "name is longer than " + std::to_string(kMaxNameLength) + " bytes");
  if (name.find("..") != std::string::npos) return make_error("invalid_name", "name must not contain '..'");
  for (unsigned char c : name) {
    if (is_control(c)) return make_error("invalid_name", "name contains control characters");
    if (c == '/' || c == '\\') return make_error("invalid_name", "name must not contain '/' or '\\'");
  }
  if (!name.empty() && name.front() == '.') return make_error("invalid_name", "name must not begin with '.'");
  if (!name.empty() && name.front() == '-') return make_error("invalid_name", "name must not begin with '-'");
  return Ok{};
}

Result<Ok> validate_prefix(const std::string& prefix) {
  if (prefix.size() > kMaxPrefixLength)
    return make_error("invalid_prefix", "prefix is longer than " + std::to_string(kMaxPrefixLength) + " bytes");
  if (prefix.empty()) return Ok{};
  if (prefix.front() == '/') return make_error("invalid_prefix", "prefix must be relative (no leading '/')");
  std::stringstream ss(prefix);
  std::string segment;
  while (std::getline(ss, segment, '/')) {
    if (segment.empty()) return make_error("invalid_prefix", "prefix has an empty segment ('//')");
    auto ok = validate_name(segment);
    if (!ok) return make_error("invalid_prefix", "prefix segment '" + segment + "': " + ok.error().message);
  }
  if (prefix.back() == '/') return Ok{};
  return Ok{};
}

std::string sanitize_component(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (is_control(c) || c == '/' || c == '\\' || c == ':' || c == '*' || c == '?' || c == '"' || c == '<' ||
        c == '>' || c == '|')
      out.push_back('_');
    else
      out.push_back(static_cast<char>(c));
  }
  while (out.find("..") != std::string::npos) out.replace(out.find(".."), 2, "_");
  while (!out.empty() && (out.front() == '.' || out.front() == '-' || out.front() == ' ')) out.erase(0, 1);
  while (!out.empty() && (out.back() == ' ' || out.back() == '.')) out.pop_back();
  if (out.size() > kMaxNameLength) out.resize(kMaxNameLength);
  if (out.empty()) out = "recording";
  return out;
}

bool is_safe_object_key(const std::string& key) {
  if (key.empty() || key.front() == '/' || key.find('\0') != std::string::npos) return false;
  std::size_t start = 0;
  for (;;) {
    const auto end = key.find('/', start);
    const auto part = std::string_view(key).substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (part.empty() || part == "." || part == "..") return false;
    if (end == std::string::npos) return true;
    start = end + 1;
  }
}

std::string key_with_suffix(const std::string& key, int n) {
  if (n == 0) return key;
  const auto slash = key.rfind('/');
  const auto dot = key.rfind('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return key + "-" + std::to_string(n);
  return key.substr(0, dot) + "-" + std::to_string(n) + key.substr(dot);
}

std::string recording_key(const std::string& prefix, const std::string& name, const std::string& id) {
  std::string key;
  std::stringstream ss(prefix);
  std::string segment;
  while (std::getline(ss, segment, '/')) {
    if (segment.empty()) continue;
    key += sanitize_component(segment) + "/";
  }
  key += sanitize_component(name.empty() ? id : name) + ".mkv";
  return key;
}

std::string human_bytes(std::uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  std::size_t unit = 0;
  while (v >= 1024 && unit + 1 < std::size(kUnits)) {
    v /= 1024;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, unit == 0 ? "%.0f %s" : "%.1f %s", v, kUnits[unit]);
  return buf;
}

std::string describe_end_reason(const std::string& reason) {
  if (reason == end_reason::stream_ended) return "the stream ended";
  if (reason == end_reason::stopped) return "stopped on request";
  if (reason == end_reason::forbidden) return "the stream led to an address chronicle may not connect to";
  if (reason == end_reason::stream_lost) return "the stream dropped and did not come back within the reconnect window";
  if (reason == end_reason::recorder_lost) return "the recorder was lost; what it had recorded was kept";
  if (reason == end_reason::disk_full) return "the disk was nearly full; what fit was stored";
  if (reason == end_reason::overrun)
    return "the stream gave more media than time allows (it repeats itself); what was recorded was kept";
  if (reason == end_reason::failed) return "the recorder could not go on; see the error";
  return reason;
}

}  // namespace chronicle
