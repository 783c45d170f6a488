#include "watch/watcher.hpp"

#include <spdlog/spdlog.h>

namespace chronicle::watch {

Watcher::Watcher(JobService& jobs, ChannelService* channels, int concurrency)
    : jobs_(jobs), channels_(channels), concurrency_(std::max(1, concurrency)) {}

Watcher::~Watcher() { stop(); }

void Watcher::start(const std::stop_token& shutdown) {
  on_shutdown_.emplace(shutdown, std::function<void()>([this] {
                         stop_.request_stop();
                         changed_.notify_all();
                       }));
  threads_.emplace_back([this] { loop(); });
  for (int i = 0; channels_ && i < concurrency_; ++i) threads_.emplace_back([this] { check_loop(); });
}

void Watcher::stop() {
  stop_.request_stop();
  changed_.notify_all();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

std::size_t Watcher::queue_due_channels() {
  if (!channels_) return 0;
  // Listing every channel every second would cost serve about 1% of a core per 1,000 channels: the
  // list is read again only when something was written since (the store's change token moved: a
  // channel added, changed or checked), when the earliest next check comes due, or, on a store
  // without a token, every 10 s.
  const TimePoint at = now();
  const auto token = jobs_.change_token();
  if (listed_at_) {
    const bool written = !token || token != listed_token_;
    const bool due = next_due_ && *next_due_ <= at;
    const bool stale = !token && at - *listed_at_ >= std::chrono::seconds(10);
    if ((token && !written && !due) || (!token && !due && !stale)) return 0;
  }
  auto due = channels_->due(at);
  if (!due) {
    spdlog::warn("watcher: cannot list channels: {}", due.error().message);
    return 0;
  }
  listed_at_ = at;
  listed_token_ = token;
  next_due_ = due->next;
  // While due channels are checked, look again each tick: a check that could not write leaves no
  // trace in the token, and its channel is still due.
  if (!due->channels.empty()) next_due_ = at;
  std::size_t queued = 0;
  {
    std::lock_guard lock(mutex_);
    for (const auto& c : due->channels)
      if (in_progress_.insert(c.id).second) {
        due_.push_back(c.id);
        ++queued;
      }
  }
  if (queued) changed_.notify_all();
  return queued;
}

void Watcher::check_loop() {
  const auto token = stop_.get_token();
  for (;;) {
    std::string id;
    {
      std::unique_lock lock(mutex_);
      if (!changed_.wait(lock, token, [this] { return !due_.empty(); })) return;
      id = due_.front();
      due_.pop_front();
    }
    auto checked = channels_->check(id);
    if (!checked && checked.error().code != "not_found")
      spdlog::warn("channel {}: check failed: {}", id, checked.error().message);
    {
      std::lock_guard lock(mutex_);
      in_progress_.erase(id);
      ++checked_;
    }
    changed_.notify_all();
  }
}

bool Watcher::retention_inputs_changed() {
  const auto token = jobs_.change_token();
  if (!token || token == signature_token_) return false;
  signature_token_ = token;
  // Most writes are heartbeats of recordings, which change nothing retention looks at: a pass is
  // brought forward only when a job finished or was removed (the finished counts move) or a pin
  // changed, so a long history is not listed again every few seconds while something records.
  auto counts = jobs_.count_by_status({JobStatus::completed, JobStatus::failed, JobStatus::canceled});
  std::string signature = std::to_string(jobs_.retention_generation());
  if (counts)
    for (const auto& [status, n] : *counts) signature += "," + std::to_string(n);
  else
    signature += ",?" + std::to_string(*token);  // cannot tell: assume it changed
  if (signature == retained_signature_) return false;
  retained_signature_ = std::move(signature);
  return true;
}

std::size_t Watcher::retention_pass() {
  if (!retention_.active() && !retention_always_) return 0;
  const TimePoint at = now();
  // Every interval; sooner (but not more than every 5 s) after a job finished or a pin changed, so
  // a recording that just completed counts against the budget, and shows in what the recordings
  // take, at once.
  const bool due = !retained_at_ || at - *retained_at_ >= retention_interval_;
  const bool changed = retention_inputs_changed() || pending_change_;
  if (!due && !(changed && at - *retained_at_ >= std::chrono::seconds(5))) {
    pending_change_ = changed;  // seen now, acted on once 5 s have passed
    return 0;
  }
  pending_change_ = false;
  retained_at_ = at;
  auto report = jobs_.apply_retention(retention_, at);
  if (!report) {
    spdlog::warn("retention: cannot look at the recordings: {}", report.error().message);
    return 0;
  }
  if (report->deleted)
    spdlog::info("retention: deleted {} recordings ({}); {} recordings take {} ({} pinned)", report->deleted,
                 human_bytes(report->freed_bytes), report->recordings, human_bytes(report->recordings_bytes),
                 human_bytes(report->pinned_bytes));
  return report->deleted;
}

void Watcher::loop() {
  const auto token = stop_.get_token();
  while (!token.stop_requested()) {
    if (auto sent = jobs_.send_due_checks(now()); !sent)
      spdlog::warn("watcher: cannot look at waiting jobs: {}", sent.error().message);
    queue_due_channels();
    retention_pass();
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, token, std::chrono::seconds(1), [] { return false; });
  }
}

PassSummary Watcher::run_once() {
  PassSummary summary;
  if (auto sent = jobs_.send_due_checks(now()); sent)
    summary.checks_sent = *sent;
  else
    spdlog::warn("watcher: cannot look at waiting jobs: {}", sent.error().message);
  const auto before = checked_;
  if (queue_due_channels() > 0) {
    std::vector<std::jthread> workers;
    workers.reserve(static_cast<std::size_t>(concurrency_));
    for (int i = 0; i < concurrency_; ++i) workers.emplace_back([this] { check_loop(); });
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [this] { return in_progress_.empty(); });
    }
    stop_.request_stop();
    changed_.notify_all();
  }
  summary.channels_checked = checked_ - before;
  summary.recordings_deleted = retention_pass();
  return summary;
}

}  // namespace chronicle::watch
