#pragma once
#include <atomic>
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
  void start();
  // Lets the loops end after what they are doing; stop() then waits for them. serve asks
  // every component first, so a store that answers slowly delays shutdown once, not per component.
  void request_stop() { running_ = false; }
  void stop();
  void sweep();  // one pass (exposed for tests)

 private:
  const Config& config_;
  JobStore& store_;
  ObjectStore& objects_;
  Launcher& launcher_;
  DispatchStats& stats_;
  std::function<void()> housekeeping_;
  std::atomic<bool> running_{false};
  std::thread thread_;
};

}  // namespace chronicle::dispatch
