#pragma once
// Which stored recordings retention deletes: those older than the retention age, then the oldest
// until the recordings fit the storage budget. Pinned recordings are kept and still count against
// the budget (they are on the disk); a budget they alone exceed deletes every unpinned one.
// Retention never takes a recording nobody has had time to see: none younger than the minimum
// age, and never a channel's newest. When the budget cannot be met without them, the plan says
// so instead.
#include <cstdint>
#include <string>
#include <vector>

#include "core/job.hpp"
#include "core/names.hpp"

namespace chronicle {

struct RetentionPolicy {
  double max_age_days = 0;         // 0: recordings are kept whatever their age
  std::uint64_t budget_bytes = 0;  // 0: no budget
  double min_age_s = 0;            // nothing younger is deleted
  bool active() const { return max_age_days > 0 || budget_bytes > 0; }
};

struct PlannedDeletion {
  std::string job_id;
  std::string name;  // the job's, for people choosing what to pin
  std::uint64_t bytes = 0;
  std::string reason;  // in words, for the job's warning
};

struct RetentionPlan {
  std::vector<PlannedDeletion> deletions;  // oldest first
  std::uint64_t stored_bytes = 0;          // before the deletions
  std::size_t recordings = 0;              // stored, before the deletions
  std::uint64_t pinned_bytes = 0;
  // Why the recordings still exceed the budget after the deletions (the recordings retention
  // spares), in words; empty when they fit.
  std::string over_budget;
};

// What a finished job keeps in the object store and retention counts: the recording and its clips.
std::uint64_t stored_bytes(const Job& job);

// `jobs`: finished jobs; those without a recording are ignored. Age counts from finished_at.
RetentionPlan plan_retention(const std::vector<Job>& jobs, const RetentionPolicy& policy, TimePoint at);

// What the last retention pass found and did, for /api/v1/info and the dashboard.
struct StorageReport {
  std::uint64_t recordings_bytes = 0;  // stored recordings after the pass
  std::uint64_t pinned_bytes = 0;
  std::size_t recordings = 0;
  std::size_t deleted = 0;  // by this pass
  std::uint64_t freed_bytes = 0;
  std::string over_budget;  // RetentionPlan::over_budget
  TimePoint at{};
};

}  // namespace chronicle
