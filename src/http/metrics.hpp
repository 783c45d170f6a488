#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "core/service.hpp"

namespace chronicle::http {

// Prometheus text exposition. Written by hand: Debian has no prometheus-cpp, and the format
// is a few lines of text.
class Metrics {
 public:
  void count_request(const std::string& method, unsigned status);
  std::atomic<std::int64_t> sse_clients{0};
  std::atomic<std::uint64_t> events_sent{0};
  // `jobs`: nullopt when the store could not be read (the job gauges are left out).
  std::string render(const std::optional<JobTotals>& jobs,
                     const std::map<std::string, std::uint64_t>& extra_counters) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, unsigned>, std::uint64_t> requests_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace chronicle::http
