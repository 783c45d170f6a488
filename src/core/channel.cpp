#include "core/channel.hpp"

#include <array>
#include <ctime>

#include "core/json_fields.hpp"
#include "core/names.hpp"

namespace chronicle {
namespace {

constexpr std::array<std::string_view, 6> kStateNames{"unknown", "offline", "upcoming", "live", "recording", "error"};

// Calls `field(name, argument)` for each {name} or {name:argument} in `format`, and `text` for
// what lies between; false when a brace is not closed.
template <class Text, class Field>
bool walk_format(const std::string& format, Text text, Field field) {
  std::size_t i = 0;
  while (i < format.size()) {
    const auto open = format.find('{', i);
    text(format.substr(i, open == std::string::npos ? std::string::npos : open - i));
    if (open == std::string::npos) break;
    const auto close = format.find('}', open);
    if (close == std::string::npos) return false;
    const std::string inside = format.substr(open + 1, close - open - 1);
    const auto colon = inside.find(':');
    if (!field(inside.substr(0, colon), colon == std::string::npos ? std::string() : inside.substr(colon + 1)))
      return false;
    i = close + 1;
  }
  return true;
}

std::string strftime_utc(const std::string& pattern, TimePoint at) {
  const std::time_t t = Clock::to_time_t(std::chrono::time_point_cast<Clock::duration>(at));
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[256];
  const auto n = std::strftime(buffer, sizeof buffer, pattern.c_str(), &tm);
  return std::string(buffer, n);
}

}  // namespace

std::string_view to_string(ChannelState s) { return kStateNames[static_cast<std::size_t>(s)]; }

std::optional<ChannelState> parse_channel_state(std::string_view s) {
  for (std::size_t i = 0; i < kStateNames.size(); ++i)
    if (kStateNames[i] == s) return static_cast<ChannelState>(i);
  return std::nullopt;
}

Result<Ok> validate_name_format(const std::string& format) {
  if (format.empty()) return make_error("invalid_body", "name_format must not be empty");
  if (format.size() > kMaxNameLength) return make_error("invalid_body", "name_format is longer than 120 characters");
  std::string unknown;
  const bool closed = walk_format(
      format, [](const std::string&) {},
      [&](const std::string& name, const std::string& argument) {
        if (name == "channel" || name == "title" || (name == "date" && argument.size() < 100)) return true;
        unknown = name;
        return false;
      });
  if (!closed && unknown.empty()) return make_error("invalid_body", "name_format has a '{' that is not closed");
  if (!unknown.empty())
    return make_error("invalid_body", "name_format knows {channel}, {title} and {date:%Y-%m-%d %H%M}, not {" +
                                          unknown.substr(0, 40) + "}");
  return Ok{};
}

std::string render_job_name(const Channel& channel, const std::string& title, TimePoint at) {
  std::string out;
  walk_format(
      channel.name_format, [&](const std::string& text) { out += text; },
      [&](const std::string& name, const std::string& argument) {
        if (name == "channel") out += channel.name.empty() ? channel.id : channel.name;
        if (name == "title") out += title;
        if (name == "date") out += strftime_utc(argument.empty() ? "%Y-%m-%d %H%M" : argument, at);
        return true;
      });
  // A channel name or a title may hold '/' or worse: the name is made safe, never refused (the
  // recording must start).
  std::string safe = sanitize_component(out);
  if (safe.size() > kMaxNameLength) safe.resize(kMaxNameLength);
  return safe;
}

nlohmann::json to_public_json(const Channel& c) {
  nlohmann::json j;
  j["id"] = c.id;
  j["url"] = c.url;
  j["name"] = c.name;
  j["prefix"] = c.prefix;
  j["name_format"] = c.name_format;
  j["format"] = text_or_null(c.format);
  j["poll_interval_s"] = c.poll_interval_s;
  j["enabled"] = c.enabled;
  j["chat"] = c.chat;
  j["created_at"] = to_rfc3339(c.created_at);
  j["updated_at"] = time_or_null(c.updated_at);
  j["state"] = to_string(c.state);
  j["last_check_at"] = time_or_null(c.last_check_at);
  j["next_check_at"] = time_or_null(c.next_check_at);
  j["last_live_at"] = time_or_null(c.last_live_at);
  j["scheduled_start"] = time_or_null(c.scheduled_start);
  j["last_error"] = c.last_error ? nlohmann::json{{"code", c.last_error->code}, {"message", c.last_error->message}}
                                 : nlohmann::json(nullptr);
  j["last_result"] = text_or_null(c.last_result);
  j["failures"] = c.failures;
  j["active_job_id"] = text_or_null(c.active_job_id);
  j["last_job_id"] = text_or_null(c.last_job_id);
  j["skip_until_offline"] = c.skip_until_offline;
  return j;
}

nlohmann::json to_storage_json(const Channel& c) {
  nlohmann::json j = to_public_json(c);
  j["linked_at"] = time_or_null(c.linked_at);
  j["version"] = c.version;
  return j;
}

Result<Channel> parse_stored_channel(const std::string& text) {
  try {
    const auto j = nlohmann::json::parse(text);
    if (!j.is_object()) return make_error("corrupt_channel", "a stored channel is not a JSON object");
    auto str = [&j](const char* key) {
      auto it = j.find(key);
      return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    Channel c;
    c.id = str("id");
    c.url = str("url");
    c.name = str("name");
    c.prefix = str("prefix");
    // Channels stored before quality existed kept their name template in "format".
    if (j.contains("name_format")) {
      if (auto f = str("name_format"); !f.empty()) c.name_format = f;
      c.format = str("format");
    } else if (auto f = str("format"); !f.empty()) {
      c.name_format = f;
    }
    c.poll_interval_s = j.value("poll_interval_s", 60.0);
    c.enabled = j.value("enabled", true);
    c.chat = j.value("chat", true);
    c.created_at = time_from(j, "created_at").value_or(TimePoint{});
    c.updated_at = time_from(j, "updated_at");
    c.state = parse_channel_state(str("state")).value_or(ChannelState::unknown);
    c.last_check_at = time_from(j, "last_check_at");
    c.next_check_at = time_from(j, "next_check_at");
    c.last_live_at = time_from(j, "last_live_at");
    c.scheduled_start = time_from(j, "scheduled_start");
    if (auto it = j.find("last_error"); it != j.end() && it->is_object())
      c.last_error = Error{it->value("code", ""), it->value("message", "")};
    c.last_result = str("last_result");
    c.failures = j.value("failures", 0);
    c.active_job_id = str("active_job_id");
    c.linked_at = time_from(j, "linked_at");
    c.last_job_id = str("last_job_id");
    c.skip_until_offline = j.value("skip_until_offline", false);
    c.version = j.value("version", std::int64_t{0});
    return c;
  } catch (const nlohmann::json::exception& e) {
    return make_error("corrupt_channel", std::string("a stored channel cannot be read: ") + e.what());
  }
}

}  // namespace chronicle
