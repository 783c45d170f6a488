#pragma once
// Channels: URLs watched for live sessions. Each check asks whether the channel is live now; a live
// channel with no active job gets one, linked to it (Job::channel_id, Channel::active_job_id).
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "core/time.hpp"

namespace chronicle {

// What the last check found. `live`: live, and no job records it (yet); `recording`: its job is
// active; `error`: the check itself failed (the site could not be asked), which is retried with
// backoff.
enum class ChannelState { unknown, offline, upcoming, live, recording, error };
std::string_view to_string(ChannelState s);
std::optional<ChannelState> parse_channel_state(std::string_view s);

inline constexpr const char* kDefaultNameFormat = "{channel} {date:%Y-%m-%d %H%M}";

struct Channel {
  std::string id;
  std::string url;
  std::string name;                              // shown, and {channel} in the name format
  std::string prefix;                            // where its recordings are stored
  std::string name_format = kDefaultNameFormat;  // each recording's name
  std::string format;                            // its recordings' quality (Job::format)
  double poll_interval_s = 60;
  bool enabled = true;
  bool chat = true;  // its recordings keep the live chat where the site has one
  TimePoint created_at{};
  std::optional<TimePoint> updated_at;

  ChannelState state = ChannelState::unknown;
  std::optional<TimePoint> last_check_at, next_check_at, last_live_at, scheduled_start;
  std::optional<Error> last_error;
  std::string last_result;  // what the last check found, in words ("HTTP Error 404: Not Found", "live")
  int failures = 0;         // checks in a row that failed (backoff)
  // The job of the current live session. Set (with a compare-and-set on the channel) before the job
  // is created, so a second check sees the session taken; linked_at tells a link whose job was
  // never created (the checker died in between) from one being made now.
  std::string active_job_id;
  std::optional<TimePoint> linked_at;
  std::string last_job_id;
  // The session's job was stopped by a user: that session is not recorded again; the next one is
  // (after the channel was seen offline).
  bool skip_until_offline = false;
  std::int64_t version = 0;
};

nlohmann::json to_public_json(const Channel& channel);
nlohmann::json to_storage_json(const Channel& channel);
Result<Channel> parse_stored_channel(const std::string& text);

// A job name from a channel's format: {channel}, {title} and {date:<strftime>} (UTC) are replaced;
// the result is made a safe name (path separators and control characters replaced).
std::string render_job_name(const Channel& channel, const std::string& title, TimePoint at);
// Whether a format is usable: braces closed, only the known fields.
Result<Ok> validate_name_format(const std::string& format);

// The answer to "is this URL live now?" (record::check_live: yt-dlp).
struct LiveCheck {
  enum class Answer { live, offline, upcoming } answer = Answer::offline;
  std::string title;
  std::optional<TimePoint> starts_at;  // upcoming: when the site says it starts
  std::string reason;                  // offline/upcoming: what the site said
};

// Channels in a store. Every write takes the version read (compare-and-set), as jobs do.
class ChannelStore {
 public:
  virtual ~ChannelStore() = default;
  // Error "conflict" when a channel with the same URL exists (one channel per URL).
  virtual Result<Channel> create(const Channel& channel) = 0;
  virtual Result<std::optional<Channel>> get(const std::string& id) = 0;
  virtual Result<std::vector<Channel>> list() = 0;  // oldest first
  // Writes `channel` only if the stored version equals channel.version, then bumps it.
  virtual Result<bool> replace_if_version(Channel& channel) = 0;
  virtual Result<bool> remove(const std::string& id) = 0;
};

}  // namespace chronicle
