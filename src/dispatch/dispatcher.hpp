#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "core/config.hpp"
#include "core/ports.hpp"
#include "core/url_policy.hpp"
#include "record/probe.hpp"

namespace chronicle::dispatch {

struct DispatchStats {
  std::atomic<std::uint64_t> received{0};
  std::atomic<std::uint64_t> launched{0};
  std::atomic<std::uint64_t> rejected{0};
  std::atomic<std::uint64_t> recovered{0};
  // As metrics: chronicle_dispatch_received_total, ...
  std::map<std::string, std::uint64_t> counters() const;
};

// Takes jobs from the queue, claims each with a conditional pending -> starting write,
// probes the URL with yt-dlp and launches a recorder, keeping at most
// max_concurrent_recordings jobs in starting/recording/uploading.
//
// In serve, one thread receives and `workers` threads handle messages side by side (a burst of
// already-live streams must all be probed within their playlists' window); one more thread keeps
// the leases of every message being handled.
// Asks whether a job's URL is a stream that can be recorded, in the quality the job asks for
// (record::probe_stream: yt-dlp).
using Prober = std::function<Result<record::StreamInfo>(const Job& job)>;

class Dispatcher {
 public:
  // `prober`: how streams are probed; yt-dlp (record::probe_stream) when not given.
  Dispatcher(const Config& config, JobStore& store, JobQueue& queue, Launcher& launcher, Resolver resolver,
             DispatchStats& stats, Prober prober = {}, CookieStore* cookies = nullptr);
  ~Dispatcher();
  // Runs until `shutdown` (serve's one stop) is requested or stop() is called. The loops end after
  // what they are doing; stop() waits for them.
  void start(int workers, std::stop_token shutdown = {});
  void stop();

  // One queue message, start to end. `retry`: the job could not be read or claimed for a
  // reason that may pass (the store was unreachable); the message was left on the queue.
  enum class Handled { done, retry };
  Handled handle(const QueueMessage& message);
  // Whether another recording may start now (max_concurrent_recordings).
  bool has_capacity();
  // Fails the jobs of dead-lettered messages, saying why.
  void fail_dead_letters();
  void fail_dead_letter(const QueueMessage& message);

 private:
  Handled handle(const QueueMessage& message, bool counted_unclaimed);
  void request_stop();
  void receive_loop();
  void handle_loop();
  void keep_leases();
  // Whether another message may be taken: a free handler, and room for one more recording
  // counting the messages taken but not claimed yet.
  bool may_receive();

  const Config& config_;
  JobStore& store_;
  JobQueue& queue_;
  Launcher& launcher_;
  Resolver resolver_;
  DispatchStats& stats_;
  CookieStore* cookies_;  // the stored logins the default prober hands yt-dlp (a job's domain only)
  Prober prober_;
  std::atomic<bool> running_{false};
  std::optional<std::stop_callback<std::function<void()>>> on_shutdown_;
  std::vector<std::thread> threads_;
  int handlers_ = 0;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<QueueMessage> inbox_;              // received, waiting for a handler
  std::map<std::string, QueueMessage> leased_;  // received and not yet acked (by receipt)
  int handling_ = 0;                            // messages in the inbox or being handled
  std::atomic<int> unclaimed_{0};               // of those, not claimed yet
};

}  // namespace chronicle::dispatch
