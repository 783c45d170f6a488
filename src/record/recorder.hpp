#pragma once
#include <string>

#include "core/config.hpp"
#include "core/cookies.hpp"
#include "core/ports.hpp"

namespace chronicle::record {

// How a recording ended, as far as the job's status is concerned.
struct RecordingEnd {
  std::string reason;            // end_reason: stream_ended, stopped, stream_lost, ...
  std::optional<Error> refusal;  // the stream led to an address the policy refuses
  bool has_media = false;        // parts were written to the work directory
  bool still_starting = false;   // the job never reached `recording`
  std::string why_nothing;       // without media: yt-dlp's last error or how it exited
  std::optional<Error> failure;  // the recorder had to stop: DRM, more media than time allows, storage
};
// What the job becomes when nothing is to be stored; nullopt when there is media to store (the
// job then goes `uploading`, and ends from the stored Outcome). Media from a stream that led to a
// refused address is never kept: part of it may be that address's answer.
struct Conclusion {
  JobStatus status;
  Error error;
  std::string end_reason;
};
std::optional<Conclusion> conclude_without_storing(const RecordingEnd& end);

// `chronicle record --job ID`: records one job to the end, heartbeating, and stores the
// result. When the stream drops, stalls or restarts, the recorder goes back to the submitted
// URL within the reconnect window and records on into a new part; the parts are joined into
// one file. SIGTERM/SIGINT (or stop_requested in the store) stop it and keep what was recorded.
// Returns the process exit code.
// `cookies`: the stored logins; the job's domain's cookies (if any) go to yt-dlp as a copy in the
// work directory, removed when the downloads end.
int run_recorder(const Config& config, JobStore& store, ObjectStore& objects, const std::string& job_id,
                 CookieStore* cookies = nullptr);

}  // namespace chronicle::record
