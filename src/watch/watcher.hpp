#pragma once
// The watcher: every second it sends the due checks of waiting jobs through the queue, and checks
// each enabled channel whose interval has passed (a few side by side). In serve it runs on threads
// of its own; the scheduled Lambda runs one pass (run_once) a minute.
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "core/channel_service.hpp"
#include "core/service.hpp"

namespace chronicle::watch {

struct PassSummary {
  std::size_t checks_sent = 0;         // waiting jobs sent to the dispatcher for a check
  std::size_t channels_checked = 0;    // channel checks made
  std::size_t recordings_deleted = 0;  // by retention
};

class Watcher {
 public:
  // `channels` may be null (a backend without channels): only waiting jobs are watched.
  Watcher(JobService& jobs, ChannelService* channels, int concurrency);
  ~Watcher();
  void start(const std::stop_token& shutdown);
  void stop();
  // Retention passes (see core/retention.hpp) every `interval_s`, when the policy is active; with
  // `always`, also without a policy, to measure what the recordings take (the dashboard shows it).
  void set_retention(const RetentionPolicy& policy, double interval_s, bool always = false) {
    retention_ = policy;
    retention_interval_ = std::chrono::milliseconds(static_cast<long long>(interval_s * 1000));
    retention_always_ = always;
  }
  // One pass, start to end, with `concurrency` checks side by side (and a retention pass).
  PassSummary run_once();

 private:
  void loop();
  void check_loop();
  std::size_t retention_pass();
  // True when what retention keeps may have changed since the last pass.
  bool retention_inputs_changed();
  // Queues the due channels that are not being checked already; returns how many.
  std::size_t queue_due_channels();

  JobService& jobs_;
  ChannelService* channels_;
  int concurrency_;
  std::mutex mutex_;
  std::condition_variable_any changed_;
  std::deque<std::string> due_;        // channel ids to check
  std::set<std::string> in_progress_;  // queued or being checked
  std::size_t checked_ = 0;
  // When the channels were last listed, the store's change token then, and the earliest next check
  // among those not due (queue_due_channels lists again only when one of these says so).
  std::optional<TimePoint> listed_at_, next_due_;
  std::optional<std::uint64_t> listed_token_;
  RetentionPolicy retention_;
  std::chrono::milliseconds retention_interval_{60000};
  bool retention_always_ = false;
  std::optional<TimePoint> retained_at_;
  // What the last pass saw of the changes that matter to it (finished counts, pins), and the store's
  // change token when that was last read.
  std::string retained_signature_;
  std::optional<std::uint64_t> signature_token_;
  bool pending_change_ = false;
  std::stop_source stop_;
  std::optional<std::stop_callback<std::function<void()>>> on_shutdown_;
  std::vector<std::jthread> threads_;
};

}  // namespace chronicle::watch
