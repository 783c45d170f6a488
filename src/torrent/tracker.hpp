#pragma once
// Runs opentracker (Debian's package) as a supervised child: restarted with backoff if it
// dies, stopped with serve. Debian builds opentracker in whitelist mode, so the supervisor
// keeps its access list equal to the infohashes of the torrents in the store.
#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>

#include <filesystem>
#include <set>
#include <string>

#include <map>

#include "core/config.hpp"
#include "core/feed.hpp"
#include "core/ports.hpp"

namespace chronicle::torrent {

class TrackerSupervisor {
 public:
  TrackerSupervisor(const Config& config, JobStore& store)
      : config_(config), feed_(store, {JobStatus::uploading, JobStatus::completed, JobStatus::failed}) {}
  ~TrackerSupervisor();
  // Supervises opentracker until `shutdown` (serve's one stop) is requested or stop() is called;
  // stop() waits for the supervisor and for opentracker to end.
  void start(std::stop_token shutdown = {});
  void stop();
  std::uint64_t restarts() const { return restarts_; }
  // Brings opentracker's access list up to date with the store now (also done every 0.5 s).
  void sync_whitelist();
  bool running() const { return pid_ > 0; }

 private:
  void run();
  void request_stop();
  std::optional<std::stop_callback<std::function<void()>>> on_shutdown_;
  static void end_leftover(const std::filesystem::path& pid_file, const std::filesystem::path& work);
  const Config& config_;
  std::mutex whitelist_mutex_;  // guards the three below
  FeedFollower feed_;
  std::map<std::string, std::set<std::string>> hashes_by_job_;
  std::set<std::string> whitelisted_;
  std::thread sync_thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> pid_{0};
  std::atomic<std::uint64_t> restarts_{0};
  std::mutex mutex_;
  std::condition_variable wake_;
  std::thread thread_;
};

}  // namespace chronicle::torrent
