#pragma once
// Keeping up with the store without listing it: a follower lists the jobs it cares about once,
// then reads only the change feed (what was written or deleted since), so what it costs per tick
// depends on the work going on, not on how many jobs the store holds. It lists again now and then
// (`relist_every`), which also covers changes the feed no longer holds.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/ports.hpp"

namespace chronicle {

struct FeedUpdate {
  // true: `jobs` is every job in the follower's statuses; replace what you know with it.
  bool full = false;
  std::vector<Job> jobs;      // written since the last poll, oldest first (or the full listing)
  std::vector<bool> removed;  // parallel to `jobs` when not full: the job was deleted
};

class FeedFollower {
 public:
  FeedFollower(JobStore& store, std::vector<JobStatus> statuses,
               std::chrono::seconds relist_every = std::chrono::minutes(10))
      : store_(store), statuses_(std::move(statuses)), relist_every_(relist_every) {}

  Result<FeedUpdate> poll();

 private:
  JobStore& store_;
  std::vector<JobStatus> statuses_;
  std::chrono::seconds relist_every_;
  std::optional<std::int64_t> cursor_;
  std::chrono::steady_clock::time_point listed_at_{};
};

}  // namespace chronicle
