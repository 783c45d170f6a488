#include "dispatch/reaper.hpp"

#include <spdlog/spdlog.h>

#include "record/finalize.hpp"

namespace chronicle::dispatch {

Reaper::Reaper(const Config& config, JobStore& store, ObjectStore& objects, Launcher& launcher, DispatchStats& stats,
               std::function<void()> housekeeping)
    : config_(config),
      store_(store),
      objects_(objects),
      launcher_(launcher),
      stats_(stats),
      housekeeping_(std::move(housekeeping)) {}

Reaper::~Reaper() { stop(); }

void Reaper::start(std::stop_token shutdown) {
  on_shutdown_.emplace(std::move(shutdown), [this] { stop_.request_stop(); });
  thread_ = std::thread([this] {
    const auto tick =
        std::chrono::milliseconds(static_cast<long long>(std::min(config_.heartbeat_interval_s, 2.0) * 1000));
    const auto stopping = stop_.get_token();
    while (!stopping.stop_requested()) {
      if (housekeeping_) housekeeping_();
      sweep();
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, stopping, tick, [] { return false; });
    }
  });
}

void Reaper::stop() {
  stop_.request_stop();
  if (thread_.joinable()) thread_.join();
  on_shutdown_.reset();
}

void Reaper::sweep() {
  auto jobs = store_.list_by_status({JobStatus::starting, JobStatus::recording, JobStatus::uploading});
  if (!jobs) {
    spdlog::warn("reaper: {}", jobs.error().message);
    return;
  }
  const auto stale_after = std::chrono::milliseconds(static_cast<long long>(config_.heartbeat_stale_s * 1000));
  for (const auto& job : *jobs) {
    // A job still being probed by a dispatcher has no recorder yet; the dispatcher owns it.
    if (job.recorder_ref.empty()) continue;
    const auto last_sign = job.heartbeat_at ? *job.heartbeat_at : job.updated_at.value_or(job.created_at);
    const bool stale = now() - last_sign > stale_after;
    const auto exited = launcher_.has_exited(job.recorder_ref);
    std::string reason;
    if (exited.value_or(false)) {
      // Give a recorder that just exited a moment to have written its final status.
      auto fresh = store_.get(job.id);
      if (!fresh || !fresh.value() || is_terminal(fresh.value()->status)) continue;
      if (fresh.value()->version != job.version) continue;  // still moving; look again next sweep
      reason = "the recorder process exited without finishing the job";
    } else if (stale) {
      reason = "the recorder stopped sending heartbeats (last one " +
               std::to_string(static_cast<long long>(seconds_between(last_sign, now()))) + " s ago)";
    } else {
      continue;
    }
    // Claim the recovery with a compare-and-set on the version we looked at.
    Job claim = job;
    if (claim.status != JobStatus::uploading) {
      if (!transition(claim, JobStatus::uploading, now())) continue;
    }
    claim.heartbeat_at = now();
    claim.recorder_ref = "reaper";
    auto won = store_.replace_if_version(claim);
    if (!won) {
      // The store refuses writes (full, busy, down): the next sweep tries again.
      spdlog::warn("job {}: cannot claim its recovery ({}): {}; retrying", job.id, reason, won.error().message);
      continue;
    }
    if (!*won) continue;
    spdlog::warn("job {}: recovering: {}", job.id, reason);
    // A recorder that is gone cannot be asked; one that is stuck must not go on writing.
    if (auto stopped = launcher_.request_stop(job); !stopped)
      spdlog::info("job {}: no recorder to stop ({})", job.id, stopped.error().message);
    auto recovered = record::recover_lost_job(config_, store_, objects_, claim, reason);
    ++stats_.recovered;
    if (recovered)
      spdlog::warn("job {}: recovered as {} ({}), recording kept: {}", job.id, to_string(recovered->status),
                   recovered->end_reason, recovered->recording ? recovered->recording->key : "none");
    else
      spdlog::error("job {}: recovery failed: {}", job.id, recovered.error().message);
  }
}

}  // namespace chronicle::dispatch
