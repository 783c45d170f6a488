#include "core/waiting.hpp"

#include <algorithm>
#include <cmath>

namespace chronicle {

bool is_not_live_yet(const Error& e) {
  return e.code == "stream_not_found" || e.code == "stream_unavailable" || e.code == "not_a_stream" ||
         e.code == "stream_not_started" || e.code == "probe_timeout";
}

bool plan_next_check(Job& job, const NotLive& why, TimePoint at, const WaitPolicy& policy) {
  using std::chrono::milliseconds;
  auto after = [&](double seconds) { return at + milliseconds(static_cast<long long>(seconds * 1000)); };
  if (why.starts_at) {
    job.scheduled_start = why.starts_at;
    const auto announced_deadline =
        *why.starts_at + milliseconds(static_cast<long long>(policy.upcoming_wait_s * 1000));
    if (!job.wait_until || *job.wait_until < announced_deadline) job.wait_until = announced_deadline;
  }
  if (!job.wait_until || at >= *job.wait_until) return false;

  // 2, 4, 8, ... seconds up to the policy's interval: a stream that is about to start is caught
  // within seconds, one that starts hours later costs a check a minute.
  const double first = std::min(2.0, policy.max_interval_s);
  const double backoff = std::min(policy.max_interval_s, first * std::pow(2.0, std::min(job.live_checks, 30)));
  TimePoint next = after(backoff);
  // Far ahead of an announced start there is nothing to look at: come back shortly before it.
  if (job.scheduled_start && *job.scheduled_start - milliseconds(30000) > next)
    next = *job.scheduled_start - milliseconds(30000);
  job.next_check_at = std::min(next, *job.wait_until);
  job.live_checks += 1;
  job.waiting_reason = why.reason.message;
  if (job.status != JobStatus::waiting) {
    if (!transition(job, JobStatus::waiting, at)) return false;
  } else {
    job.updated_at = at;
  }
  return true;
}

bool due_for_check(const Job& job, TimePoint at) {
  return job.status == JobStatus::waiting && (!job.next_check_at || *job.next_check_at <= at);
}

Error not_live_error(const Job& job, const Error& last) {
  std::string waited;
  if (job.wait_until) {
    const auto s = static_cast<long long>(std::llround(seconds_between(job.created_at, *job.wait_until)));
    waited = s >= 3600 ? std::to_string(s / 3600) + " h " + std::to_string(s % 3600 / 60) + " min"
             : s >= 60 ? std::to_string(s / 60) + " min " + std::to_string(s % 60) + " s"
                       : std::to_string(s) + " s";
  }
  return Error{"not_live", "the stream at " + job.url + " did not go live" +
                               (waited.empty() ? std::string() : " within " + waited) +
                               " (last check: " + last.message + ")"};
}

}  // namespace chronicle
