#include "core/service.hpp"

#include <spdlog/spdlog.h>

#include "core/ids.hpp"
#include "core/names.hpp"
#include "core/waiting.hpp"

namespace chronicle {

Result<CreateOutcome> JobService::submit(const SubmitRequest& request) {
  // Cheap checks first: the URL check may have to resolve a host name.
  if (auto n = validate_name(request.name); !n) return n.error();
  if (auto p = validate_prefix(request.prefix); !p) return p.error();
  if (request.reconnect_window_s && (*request.reconnect_window_s < 0 || *request.reconnect_window_s > 86400))
    return make_error("invalid_body", "reconnect_window_s must be between 0 and 86400 seconds");
  if (request.wait_for_live_s && !(*request.wait_for_live_s >= 0 && *request.wait_for_live_s <= kMaxWaitForLiveS))
    return make_error("invalid_body", "wait_for_live_s must be between 0 and 604800 seconds (7 days)");
  if (auto f = validate_format(request.format); !f) return f.error();
  if (!request.start.empty() && request.start != start_at::earliest && request.start != start_at::live)
    return make_error("invalid_body", "start must be \"earliest\" (the first segment the playlist lists) or \"live\"");
  auto url = check_url(request.url, policy_, resolver_);
  if (!url) return url.error();
  if (disk_gauge_) {
    if (auto space = disk_gauge_()) {
      const auto reserve = reserve_for_(space->total);
      if (space->free < reserve)
        return make_error("insufficient_storage",
                          "not enough free space to start a recording: " + human_bytes(space->free) +
                              " free on the data filesystem, " + human_bytes(reserve) +
                              " kept in reserve (CHRONICLE_DISK_RESERVE); delete "
                              "recordings or add space");
    }
  }

  Job job;
  job.id = request.id.empty() ? new_job_id() : request.id;
  job.channel_id = request.channel_id;
  job.url = request.url;
  job.name = request.name;
  job.prefix = request.prefix;
  job.format = request.format;
  job.reconnect_window_s = request.reconnect_window_s;
  job.keep_ads = request.keep_ads;
  job.chat_enabled = request.chat;
  job.start = request.start == start_at::live ? start_at::live : "";
  job.status = JobStatus::pending;
  job.created_at = now();
  job.updated_at = job.created_at;
  if (request.wait_for_live_s && *request.wait_for_live_s > 0)
    job.wait_until =
        job.created_at + std::chrono::milliseconds(static_cast<long long>(*request.wait_for_live_s * 1000));
  auto outcome = store_.create_or_get_active(job);
  if (!outcome) return outcome;
  if (outcome->created) {
    auto sent = queue_.send(outcome->job.id, outcome->job.id);
    if (!sent) {
      // Without a queue message nobody would ever pick the job up: say so and end it.
      auto ended = update_job(store_, outcome->job.id, [&](Job& j) -> Result<Ok> {
        auto t = transition(j, JobStatus::failed, now());
        j.error = Error{"queue_error", "could not queue the job: " + sent.error().message};
        return t;
      });
      // (It then stays pending, and its URL taken, until the store answers again and it is deleted.)
      if (!ended)
        spdlog::error("job {}: not queued, and cannot be marked failed: {}", outcome->job.id, ended.error().message);
      return sent.error();
    }
  }
  return outcome;
}

Result<std::string> JobService::resolve_id(const std::string& id_or_prefix) {
  if (looks_like_job_id(id_or_prefix)) return id_or_prefix;
  const auto prefix = id_prefix(id_or_prefix);
  if (!prefix) return make_error("not_found", "no job with id '" + id_or_prefix.substr(0, 64) + "'");
  // The store lists at most two: enough to tell one from several.
  auto ids = store_.ids_starting_with(*prefix, 2);
  if (!ids) return ids.error();
  return resolve_id_among(*prefix, *ids, "job");
}

Result<Job> JobService::get(const std::string& id) {
  auto job = store_.get(id);
  if (!job) return job.error();
  if (!job.value()) return make_error("not_found", "no job with id '" + id + "'");
  return *job.value();
}

Result<JobPage> JobService::list(const ListQuery& query) { return store_.list(query); }

Result<JobTotals> JobService::totals() {
  JobTotals totals;
  auto counts = store_.count_by_status();
  if (!counts) return counts.error();
  totals.by_status = std::move(*counts);
  auto recording = store_.list_by_status({JobStatus::recording});
  if (!recording) return recording.error();
  for (const auto& j : *recording) totals.recording_bytes += j.bytes;
  return totals;
}

Result<std::size_t> JobService::send_due_checks(TimePoint at) {
  auto waiting = store_.list_by_status({JobStatus::waiting});
  if (!waiting) return waiting.error();
  std::size_t sent = 0;
  std::lock_guard lock(checks_mutex_);
  std::map<std::string, std::pair<int, TimePoint>> still_waiting;
  for (const auto& job : *waiting) {
    if (auto it = checks_sent_.find(job.id); it != checks_sent_.end()) still_waiting.insert(*it);
    if (!due_for_check(job, at)) continue;
    // A message sent for this check that has not been handled within a minute (a dispatcher that
    // died with it) is sent again.
    if (auto it = still_waiting.find(job.id); it != still_waiting.end() && it->second.first == job.live_checks &&
                                              at - it->second.second < std::chrono::minutes(1))
      continue;
    // The deduplication id names the check: the queue drops a second message for the same check
    // (two watchers), never the next one.
    auto r = queue_.send(job.id, job.id + "-check-" + std::to_string(job.live_checks));
    if (!r) {
      spdlog::warn("job {}: cannot queue its next live check: {}", job.id, r.error().message);
      continue;
    }
    still_waiting[job.id] = {job.live_checks, at};
    ++sent;
  }
  checks_sent_ = std::move(still_waiting);
  return sent;
}

Result<Job> JobService::stop(const std::string& id) {
  auto updated = update_job(store_, id, [](Job& j) -> Result<Ok> {
    if (is_terminal(j.status))
      return make_error("conflict", "job is already " + std::string(to_string(j.status)) + "; nothing to stop");
    j.stop_requested = true;
    if (j.status == JobStatus::pending) {
      j.error = Error{"canceled", "canceled before it started"};
      return transition(j, JobStatus::canceled, now());
    }
    if (j.status == JobStatus::waiting) {
      j.error = Error{"canceled", "canceled while waiting for the stream to start"};
      return transition(j, JobStatus::canceled, now());
    }
    return Ok{};
  });
  if (!updated) {
    if (updated.error().code == "not_found") return make_error("not_found", "no job with id '" + id + "'");
    return updated;
  }
  if (launcher_ && !updated->recorder_ref.empty() &&
      (updated->status == JobStatus::starting || updated->status == JobStatus::recording)) {
    // The recorder also sees stop_requested at its next heartbeat; the signal is just faster, so
    // a failed one changes nothing for the caller.
    if (auto signaled = launcher_->request_stop(*updated); !signaled)
      spdlog::warn("job {}: stop recorded, the recorder will see it at its next heartbeat ({})", id,
                   signaled.error().message);
  }
  return updated;
}

Result<Job> JobService::remove(const std::string& id) {
  auto job = get(id);
  if (!job) return job;
  if (!is_terminal(job->status))
    return make_error("conflict", "job is " + std::string(to_string(job->status)) + "; stop it before deleting it");
  if (job->recording) {
    auto r = objects_.remove(job->recording->key);
    if (!r) return r.error();
  }
  // The recording is what matters; a torrent left behind is a small orphan, said in the log.
  if (job->torrent)
    if (auto gone = objects_.remove(job->torrent->key); !gone)
      spdlog::warn("job {}: its torrent file stays: {}", id, gone.error().message);
  if (job->thumbnail)
    if (auto gone = objects_.remove(job->thumbnail->key); !gone)
      spdlog::warn("job {}: its thumbnail stays: {}", id, gone.error().message);
  for (const auto& clip : job->clips)
    for (const auto& key : clip.stored_keys())
      if (auto gone = objects_.remove(key); !gone)
        spdlog::warn("job {}: {} of clip {} stays: {}", id, key, clip.id, gone.error().message);
  if (job->chat && !job->chat->key.empty())
    if (auto gone = objects_.remove(job->chat->key); !gone)
      spdlog::warn("job {}: its chat stays: {}", id, gone.error().message);
  auto removed = store_.remove(id);
  if (!removed) return removed.error();
  return job;
}

void JobService::preview_viewed(const Job& job) {
  constexpr auto kNoted = std::chrono::seconds(5);
  if (!job.thumbnail || !job.thumbnail->live || job.status != JobStatus::recording) return;
  const auto at = now();
  if (job.preview_wanted_at && at - *job.preview_wanted_at < kNoted) return;
  auto noted = update_job(store_, job.id, [&](Job& j) -> Result<Ok> {
    if (j.status != JobStatus::recording) return make_error("skip", "not recording");
    j.preview_wanted_at = at;
    return Ok{};
  });
  if (!noted && noted.error().code != "skip")
    spdlog::debug("job {}: preview view not noted: {}", job.id, noted.error().message);
}

Result<Job> JobService::set_pinned(const std::string& id, bool pinned) {
  auto updated = update_job(store_, id, [&](Job& j) -> Result<Ok> {
    // A recording in progress may be pinned ahead: it is kept once stored.
    if (pinned && j.recording_deleted_at)
      return make_error("conflict", "the recording of job " + id + " was already deleted by retention");
    j.pinned = pinned;
    return Ok{};
  });
  if (!updated) {
    if (updated.error().code == "not_found") return make_error("not_found", "no job with id '" + id + "'");
    return updated;
  }
  // Stores with an expiry of their own (S3 lifecycle) are told too; chronicle's pass reads the job.
  std::vector<std::string> keys;
  if (updated->recording) keys.push_back(updated->recording->key);
  if (updated->torrent) keys.push_back(updated->torrent->key);
  if (updated->thumbnail && !updated->thumbnail->live) keys.push_back(updated->thumbnail->key);
  for (const auto& clip : updated->clips)
    for (const auto& key : clip.stored_keys()) keys.push_back(key);
  if (updated->chat && !updated->chat->key.empty()) keys.push_back(updated->chat->key);
  ++retention_generation_;
  for (const auto& key : keys)
    if (auto tagged = objects_.set_retention(key, pinned); !tagged) return tagged.error();
  return updated;
}

Result<RetentionPlan> JobService::preview_retention(const RetentionPolicy& policy, TimePoint at) {
  auto finished = store_.list_by_status({JobStatus::completed, JobStatus::failed, JobStatus::canceled});
  if (!finished) return finished.error();
  return plan_retention(*finished, policy, at);
}

Result<StorageReport> JobService::apply_retention(const RetentionPolicy& policy, TimePoint at) {
  auto planned = preview_retention(policy, at);
  if (!planned) return planned.error();
  const RetentionPlan& plan = *planned;
  StorageReport report;
  report.at = at;
  report.recordings_bytes = plan.stored_bytes;
  report.pinned_bytes = plan.pinned_bytes;
  report.over_budget = plan.over_budget;
  if (!plan.over_budget.empty()) spdlog::warn("retention: {}", plan.over_budget);
  report.recordings = plan.recordings;
  for (const auto& deletion : plan.deletions) {
    std::optional<Job> before;
    // The job first, with a compare-and-set: a pin that arrives meanwhile wins, and a job that says
    // its recording is gone never points at deleted files.
    auto updated = update_job(store_, deletion.job_id, [&](Job& j) -> Result<Ok> {
      if (j.pinned || !j.recording) return make_error("skip", "pinned or already deleted");
      before = j;
      j.recording.reset();
      j.torrent.reset();
      j.thumbnail.reset();
      j.clips.clear();  // clips and the chat go with their recording
      if (j.chat) {
        j.chat->key.clear();
        j.chat->url.clear();
        j.chat->state = "deleted";
      }
      j.recording_deleted_at = at;
      j.warnings.push_back("the recording was deleted by retention on " + to_rfc3339(at) + ": " + deletion.reason);
      return Ok{};
    });
    if (!updated) {
      if (updated.error().code != "skip")
        spdlog::warn("retention: job {}: {}", deletion.job_id, updated.error().message);
      continue;
    }
    std::vector<std::string> keys = {before->recording->key};
    if (before->torrent) keys.push_back(before->torrent->key);
    if (before->thumbnail) keys.push_back(before->thumbnail->key);
    for (const auto& clip : before->clips)
      for (const auto& key : clip.stored_keys()) keys.push_back(key);
    if (before->chat && !before->chat->key.empty()) keys.push_back(before->chat->key);
    for (const auto& key : keys)
      if (auto gone = objects_.remove(key); !gone)
        spdlog::warn("retention: job {}: {} stays: {}", deletion.job_id, key, gone.error().message);
    ++report.deleted;
    report.freed_bytes += deletion.bytes;
    report.recordings_bytes -= deletion.bytes;
    --report.recordings;
    spdlog::info("retention: deleted the recording of job {} ({}): {}", deletion.job_id, human_bytes(deletion.bytes),
                 deletion.reason);
  }
  {
    std::lock_guard lock(report_mutex_);
    report_ = report;
  }
  return report;
}

}  // namespace chronicle
