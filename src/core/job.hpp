#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/quality.hpp"
#include "core/result.hpp"
#include "core/time.hpp"

namespace chronicle {

// `waiting`: the URL was not live yet and the job waits for it (wait_for_live, or a stream announced
// for later); it holds its URL like the other active statuses, and has no recorder.
enum class JobStatus { pending, waiting, starting, recording, uploading, completed, failed, canceled };

std::string_view to_string(JobStatus s);
std::optional<JobStatus> parse_status(std::string_view s);
bool is_terminal(JobStatus s);
// Active = a recorder may be working on it: the same URL is not accepted twice meanwhile.
bool is_active(JobStatus s);
// The job lifecycle (DESIGN.md). Every status change goes through this check.
bool can_transition(JobStatus from, JobStatus to);

struct StoredRecording {
  std::string key;
  std::uint64_t size = 0;
  std::string sha256;
  std::string url;
};

// A still of the recording: the poster frame of a stored recording, or while it records a preview
// of the latest seconds that the recorder replaces about every 30 s (`live`).
struct Thumbnail {
  std::string key;  // in the object store
  std::string url;  // where clients get it (the API signs it per read)
  bool live = false;
  bool operator==(const Thumbnail&) const = default;
};

// A recording's torrent, as made when the recording was stored.
struct TorrentInfo {
  std::string key;                       // the .torrent in the object store
  std::string infohash_v1, infohash_v2;  // hex; empty for a version the torrent does not have
  std::string magnet;
  std::string url;  // where clients download the .torrent (the API signs it per read)
  std::vector<std::string> trackers, web_seeds;
  std::uint32_t piece_size = 0;
  bool operator==(const TorrentInfo&) const = default;
};
nlohmann::json to_json(const TorrentInfo& torrent);
// nullopt unless `j` is an object naming the .torrent's key.
std::optional<TorrentInfo> torrent_from_json(const nlohmann::json& j);

// What the seeder reports of a torrent it seeds (merged into the job's JSON by the API).
struct SeedingStats {
  std::string state;  // "seeding", "checking_files", "paused", ...
  int peers = 0;
  std::uint64_t uploaded = 0;
  double ratio = 0;
  bool announced = false;  // a tracker accepted it
  bool operator==(const SeedingStats&) const = default;
};
nlohmann::json to_json(const SeedingStats& stats);

// A stretch where the stream delivered nothing and the recorder went back to the URL. `at_s` is
// the position in the recording where the gap falls; `gap_s` stays unset while the recorder is
// still waiting for the stream to come back.
struct Interruption {
  double at_s = 0;
  std::optional<double> gap_s;
  TimePoint started_at{};
};

// Advertising left out of a recording (the job's `keep_ads` keeps it): where in the recording the
// break fell, and how much was left out.
struct AdBreak {
  double at_s = 0;
  double duration_s = 0;
};

// The stream's title changed at `at_s` in the recording (the first entry is the title it began with).
struct TitleChange {
  double at_s = 0;
  std::string title;
  bool operator==(const TitleChange&) const = default;
};

// A part of a recording cut out as a file of its own (a stream copy, so it begins on a keyframe).
namespace clip_status {
inline constexpr const char* cutting = "cutting";
inline constexpr const char* ready = "ready";
inline constexpr const char* failed = "failed";
}  // namespace clip_status

struct Clip {
  std::string id;
  std::string name;
  double start_s = 0, end_s = 0;  // what was asked, on the recording's timeline
  std::string status = clip_status::cutting;
  // Where the cut really fell: the keyframe at or before start_s, and start plus what was copied.
  std::optional<double> cut_start_s, cut_end_s;
  std::uint64_t size = 0;
  std::string sha256;
  std::string key;  // in the object store, once ready
  std::string url;  // where clients download it (the API signs it per read)
  std::optional<Error> error;
  TimePoint created_at{};
  // Its slice of the recording's chat (at_s on the clip's own timeline), when the recording has one.
  std::string chat_key;
  std::uint64_t chat_messages = 0, chat_bytes = 0;
  // What the clip keeps in the object store: its file and its chat.
  std::vector<std::string> stored_keys() const;
};
nlohmann::json to_json(const Clip& clip);
std::optional<Clip> clip_from_json(const nlohmann::json& j);

// The stream's live chat, recorded beside it: one NDJSON file per recording, each line a message
// or event with `at_s` on the recording's timeline. Not part of the torrent.
struct ChatLog {
  std::string source;  // "twitch", "youtube"
  std::string state;   // "recording", "stored", "failed"
  std::uint64_t messages = 0, bytes = 0;
  std::string key;  // in the object store, once stored
  std::string url;  // where clients get it (the API signs it per read)
  std::optional<Error> error;
};
nlohmann::json to_json(const ChatLog& chat);
std::optional<ChatLog> chat_from_json(const nlohmann::json& j);

// Where a live recording begins: the first segment the playlist still lists (its DVR window or
// an EVENT playlist), or the live edge.
namespace start_at {
inline constexpr const char* earliest = "earliest";
inline constexpr const char* live = "live";
}  // namespace start_at

// Why a recording ended, for every job that recorded something (see DESIGN.md).
namespace end_reason {
inline constexpr const char* stream_ended = "stream_ended";
inline constexpr const char* stopped = "stopped";
inline constexpr const char* stream_lost = "stream_lost";
inline constexpr const char* recorder_lost = "recorder_lost";
inline constexpr const char* disk_full = "disk_full";
inline constexpr const char* forbidden = "forbidden_address";  // the stream led to a refused address
inline constexpr const char* overrun = "recording_overrun";    // more media than time allows: stopped
inline constexpr const char* failed = "recording_failed";      // the recorder could not go on (DRM, storage)
}  // namespace end_reason

struct Job {
  std::string id;
  std::string url;
  std::string name;
  std::string prefix;
  JobStatus status = JobStatus::pending;
  std::string title;
  TimePoint created_at{};
  std::optional<TimePoint> started_at, updated_at, heartbeat_at, finished_at;
  std::uint64_t bytes = 0;
  double duration_s = 0;
  std::optional<Error> error;
  std::optional<StoredRecording> recording;
  std::optional<TorrentInfo> torrent;
  // When the job entered each status it went through, for timelines: {"recording": "..."}.
  std::map<std::string, TimePoint> milestones;
  std::vector<Interruption> interruptions;
  std::string end_reason;                    // empty until the recording ends
  std::optional<TimePoint> last_media_at;    // when the recorder last saw new media arrive
  std::optional<double> reconnect_window_s;  // per job; unset: the configured default
  std::vector<std::string> warnings;         // what a user should know about a finished recording
  std::string channel_id;                    // the channel whose live session this job records
  // Waiting for the stream to go live: until when, when it is checked next, how often it was, and
  // when the site says it starts (yt-dlp's release_timestamp for an upcoming stream).
  std::optional<TimePoint> wait_until, next_check_at, scheduled_start;
  int live_checks = 0;
  std::string waiting_reason;      // what the last check found instead of a live stream
  std::string format;              // the quality asked for: a preset or a yt-dlp selector; empty: the default
  std::optional<MediaInfo> media;  // what was recorded, measured on the stored file
  std::optional<Thumbnail> thumbnail;
  bool pinned = false;                            // kept by retention (and on S3, by the lifecycle rule)
  std::optional<TimePoint> recording_deleted_at;  // retention deleted its files; the job stays
  std::vector<AdBreak> ad_breaks;                 // advertising left out of the recording
  bool keep_ads = false;                          // record advertising as the stream shows it
  std::string start;                              // start_at::live, or empty: the earliest segment listed
  std::vector<TitleChange> titles;                // the stream's titles while it recorded, from 0 s
  std::vector<Clip> clips;
  bool chat_enabled = true;  // record the live chat where the site has one (`chat: false` turns it off)
  std::optional<ChatLog> chat;

  // Internal bookkeeping, persisted but not part of the public JSON.
  std::int64_t version = 0;     // compare-and-set token, bumped by every write
  bool stop_requested = false;  // set by the API, honoured by dispatcher and recorder
  std::string recorder_ref;     // launcher-specific handle: a pid, an ECS task ARN
  std::string protocol;         // from the probe: "m3u8_native", "https", ...
  // When someone last fetched the live preview. The recorder renews a preview only after it
  // changes: a still costs an ffmpeg run, which is most of what a recording costs while nobody
  // is looking.
  std::optional<TimePoint> preview_wanted_at;
};

// Removes a trailing interruption the stream never came back from: it is not a gap inside the
// recording (the job's end_reason says how it ended).
void drop_open_interruption(Job& job);

// Moves `job` to `to`, stamping the milestone times. Fails if the lifecycle forbids it.
Result<Ok> transition(Job& job, JobStatus to, TimePoint at);

nlohmann::json to_public_json(const Job& job);
// JSON text for the wire: invalid UTF-8 (from a URL or name a client sent) is replaced rather
// than thrown on, so every answer and event serializes.
std::string json_text(const nlohmann::json& j);
nlohmann::json to_storage_json(const Job& job);
Job from_storage_json(const nlohmann::json& j);
// A stored document read back: an error (corrupt_job), never an exception, when it is not one.
// `removed`: set from the document's deletion mark (change-feed entries carry one).
Result<Job> parse_stored_job(const std::string& text, bool* removed = nullptr);

}  // namespace chronicle
