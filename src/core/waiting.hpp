#pragma once
// Jobs whose stream is not live yet: `wait_for_live_s` on submit, or a stream the site announces
// for later. Such a job waits in `waiting` (holding its URL, with no recorder) and goes back
// through the queue for each check; the dispatcher's probe is the check.
#include <optional>

#include "core/job.hpp"

namespace chronicle {

// The longest wait a submit may ask for.
inline constexpr double kMaxWaitForLiveS = 7 * 86400;

struct WaitPolicy {
  double max_interval_s = 60;     // checks are at most this far apart
  double upcoming_wait_s = 3600;  // an announced stream is waited for this long past its start
};

// What a probe found instead of a live stream.
struct NotLive {
  Error reason;
  std::optional<TimePoint> starts_at;  // when the site says the stream starts
};

// Whether `e` says the stream is not there yet (a 404, a page without media, a stream announced
// for later, a timeout), as opposed to a refusal that waiting cannot change (a forbidden address,
// a URL that is not allowed, yt-dlp missing).
bool is_not_live_yet(const Error& e);

// For a job in `starting` whose probe found no live stream: moves it to `waiting` with its next
// check planned (backing off from a few seconds to policy.max_interval_s, never past its deadline;
// for an announced stream, shortly before its start) and returns true; or returns false when the
// job does not wait (none was asked and nothing was announced, or the deadline has passed), and
// the caller ends it.
bool plan_next_check(Job& job, const NotLive& why, TimePoint at, const WaitPolicy& policy);

// Whether a waiting job's next check is due.
bool due_for_check(const Job& job, TimePoint at);

// The error a job ends with when its stream did not go live before its deadline.
Error not_live_error(const Job& job, const Error& last);

}  // namespace chronicle
