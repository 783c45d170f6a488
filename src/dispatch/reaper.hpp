#pragma once
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>

#include "core/config.hpp"
#include "core/ports.hpp"
#include "dispatch/dispatcher.hpp"

namespace chronicle::dispatch {

// Finds jobs whose recorder is gone (process exited without finishing the job, or heartbeat
// stale: killed, machine rebooted) and recovers them: the partial recording is remuxed and
// stored, and the job ends `failed` with code recorder_lost.
class Reaper {
 public:
  Reaper(const Config& config, JobStore& store, ObjectStore& objects, Launcher& launcher, DispatchStats& stats,
         std::function<void()> housekeeping = {});
  ~Reaper();
  // Sweeps every few seconds until `shutdown` (serve's one stop) is requested or stop() is called;
  // a sweep under way finishes first, and stop() waits for it.
  void start(std::stop_token shutdown = {});
  void stop();
  void sweep();  // one pass (exposed for tests)

 private:
  const Config& config_;
  JobStore& store_;
  ObjectStore& objects_;
  Launcher& launcher_;
  DispatchStats& stats_;
  std::function<void()> housekeeping_;
  std::stop_source stop_;  // its own stop, requested by stop() or by serve's shutdown
  std::optional<std::stop_callback<std::function<void()>>> on_shutdown_;
  std::mutex mutex_;
  std::condition_variable_any wake_;  // waits end when stop_ is requested
  std::thread thread_;
};

}  // namespace chronicle::dispatch
