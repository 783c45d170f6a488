#include "core/feed.hpp"

namespace chronicle {

Result<FeedUpdate> FeedFollower::poll() {
  const auto now = std::chrono::steady_clock::now();
  if (!cursor_ || now - listed_at_ >= relist_every_) {
    // The head first: a change made during the listing is read again from the feed, never lost.
    auto head = store_.changes_since(-1, 0);
    if (!head) return head.error();
    auto jobs = store_.list_by_status(statuses_);
    if (!jobs) return jobs.error();
    cursor_ = head->cursor;
    listed_at_ = now;
    return FeedUpdate{true, std::move(*jobs), {}};
  }
  FeedUpdate update;
  for (;;) {
    auto batch = store_.changes_since(*cursor_, 500);
    if (!batch) return batch.error();
    cursor_ = batch->cursor;
    for (std::size_t i = 0; i < batch->jobs.size(); ++i) {
      update.jobs.push_back(std::move(batch->jobs[i]));
      update.removed.push_back(batch->removed[i]);
    }
    if (batch->jobs.size() < 500) return update;
  }
}

}  // namespace chronicle
