#include "core/retention.hpp"

#include <algorithm>
#include <cstdio>

namespace chronicle {

namespace {

std::string days_text(double days) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", days);
  return text;
}

}  // namespace

RetentionPlan plan_retention(const std::vector<Job>& jobs, const RetentionPolicy& policy, TimePoint at) {
  RetentionPlan plan;
  std::vector<const Job*> stored;
  for (const auto& job : jobs) {
    if (!job.recording || !is_terminal(job.status)) continue;
    plan.stored_bytes += job.recording->size;
    if (job.pinned)
      plan.pinned_bytes += job.recording->size;
    else
      stored.push_back(&job);
  }
  // Oldest first: by when the recording ended (created_at for a job that never says).
  const auto ended = [](const Job* j) { return j->finished_at.value_or(j->created_at); };
  std::sort(stored.begin(), stored.end(),
            [&](const Job* a, const Job* b) { return ended(a) != ended(b) ? ended(a) < ended(b) : a->id < b->id; });
  std::uint64_t kept = plan.stored_bytes;
  const auto max_age = std::chrono::milliseconds(static_cast<long long>(policy.max_age_days * 86400 * 1000));
  for (const Job* job : stored) {
    std::string reason;
    if (policy.max_age_days > 0 && at - ended(job) > max_age)
      reason = "older than " + days_text(policy.max_age_days) + " days (CHRONICLE_RETENTION_DAYS)";
    else if (policy.budget_bytes > 0 && kept > policy.budget_bytes)
      reason = "the oldest recording while the recordings took " + human_bytes(kept) + ", over the " +
               human_bytes(policy.budget_bytes) + " budget (CHRONICLE_STORAGE_BUDGET)";
    else
      continue;
    kept -= job->recording->size;
    plan.deletions.push_back({job->id, job->recording->size, reason});
  }
  return plan;
}

}  // namespace chronicle
