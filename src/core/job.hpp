#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "core/time.hpp"

namespace chronicle {

enum class JobStatus { pending, starting, recording, uploading, completed, failed, canceled };

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
  nlohmann::json torrent;  // null until a torrent exists
  // When the job entered each status it went through, for timelines: {"recording": "..."}.
  std::map<std::string, TimePoint> milestones;

  // Internal bookkeeping, persisted but not part of the public JSON.
  std::int64_t version = 0;     // compare-and-set token, bumped by every write
  bool stop_requested = false;  // set by the API, honoured by dispatcher and recorder
  std::string recorder_ref;     // launcher-specific handle: a pid, an ECS task ARN
  std::string protocol;         // from the probe: "m3u8_native", "https", ...
};

// Moves `job` to `to`, stamping the milestone times. Fails if the lifecycle forbids it.
Result<Ok> transition(Job& job, JobStatus to, TimePoint at);

nlohmann::json to_public_json(const Job& job);
nlohmann::json to_storage_json(const Job& job);
Job from_storage_json(const nlohmann::json& j);

}  // namespace chronicle
