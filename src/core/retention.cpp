#include "core/retention.hpp"

#include <algorithm>
#include <cstdio>
#include <map>

namespace chronicle {

namespace {

std::string duration_text(double seconds) {
  char text[32];
  if (seconds >= 3600 && static_cast<long long>(seconds) % 3600 == 0)
    std::snprintf(text, sizeof text, "%lld h", static_cast<long long>(seconds) / 3600);
  else
    std::snprintf(text, sizeof text, "%g s", seconds);
  return text;
}

std::string days_text(double days) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", days);
  return text;
}

}  // namespace

std::uint64_t stored_bytes(const Job& job) {
  std::uint64_t bytes = job.recording ? job.recording->size : 0;
  for (const auto& clip : job.clips) bytes += clip.size + clip.chat_bytes;
  if (job.chat && !job.chat->key.empty()) bytes += job.chat->bytes;
  return bytes;
}

RetentionPlan plan_retention(const std::vector<Job>& jobs, const RetentionPolicy& policy, TimePoint at) {
  RetentionPlan plan;
  std::vector<const Job*> stored;
  for (const auto& job : jobs) {
    if (!job.recording || !is_terminal(job.status)) continue;
    plan.stored_bytes += stored_bytes(job);
    ++plan.recordings;
    if (job.pinned)
      plan.pinned_bytes += stored_bytes(job);
    else
      stored.push_back(&job);
  }
  // Oldest first: by when the recording ended (created_at for a job that never says).
  const auto ended = [](const Job* j) { return j->finished_at.value_or(j->created_at); };
  std::sort(stored.begin(), stored.end(),
            [&](const Job* a, const Job* b) { return ended(a) != ended(b) ? ended(a) < ended(b) : a->id < b->id; });
  // Each channel's newest recording, pinned or not: the one a viewer of the channel looks for.
  std::map<std::string, const Job*> newest_of_channel;
  for (const auto& job : jobs) {
    if (!job.recording || !is_terminal(job.status) || job.channel_id.empty()) continue;
    const Job*& newest = newest_of_channel[job.channel_id];
    if (!newest || ended(newest) < ended(&job) || (ended(newest) == ended(&job) && newest->id < job.id)) newest = &job;
  }
  std::uint64_t kept = plan.stored_bytes;
  std::uint64_t spared_bytes = 0;
  std::size_t spared = 0;
  const auto max_age = std::chrono::milliseconds(static_cast<long long>(policy.max_age_days * 86400 * 1000));
  const auto min_age = std::chrono::milliseconds(static_cast<long long>(policy.min_age_s * 1000));
  for (const Job* job : stored) {
    const bool young = at - ended(job) < min_age;
    const bool channels_newest = !job->channel_id.empty() && newest_of_channel[job->channel_id] == job;
    if (young || channels_newest) {
      spared_bytes += stored_bytes(*job);
      ++spared;
      continue;
    }
    std::string reason;
    if (policy.max_age_days > 0 && at - ended(job) > max_age)
      reason = "older than " + days_text(policy.max_age_days) + " days (CHRONICLE_RETENTION_DAYS)";
    else if (policy.budget_bytes > 0 && kept > policy.budget_bytes)
      reason = "the oldest recording while the recordings took " + human_bytes(kept) + ", over the " +
               human_bytes(policy.budget_bytes) + " budget (CHRONICLE_STORAGE_BUDGET)";
    else
      continue;
    kept -= stored_bytes(*job);
    plan.deletions.push_back({job->id, job->name, stored_bytes(*job), reason});
  }
  if (policy.budget_bytes > 0 && kept > policy.budget_bytes)
    plan.over_budget = "the recordings take " + human_bytes(kept) + ", over the " + human_bytes(policy.budget_bytes) +
                       " budget (CHRONICLE_STORAGE_BUDGET): " +
                       (spared > 0 ? std::to_string(spared) + " recording(s) of " + human_bytes(spared_bytes) +
                                         " are kept as younger than " + duration_text(policy.min_age_s) +
                                         " (CHRONICLE_RETENTION_MIN_AGE) or their channel's newest"
                                   : std::string("what is left is pinned")) +
                       "; free space or raise the budget";
  return plan;
}

}  // namespace chronicle
