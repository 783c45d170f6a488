#pragma once
// Seeds every recording that has a torrent, from storage, with a libtorrent session. Used
// inside `serve` and by the standalone `chronicle seed` node. The store is the source of
// truth: the seeder reconciles with it, adding new torrents and dropping deleted ones.
#include <nlohmann/json.hpp>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>

#include "core/config.hpp"
#include "core/ports.hpp"

namespace chronicle::torrent {

class Seeder {
 public:
  Seeder(const Config& config, JobStore& store, ObjectStore& objects);
  ~Seeder();
  // Called before a torrent is added, e.g. to let the tracker know its infohash first.
  void set_before_add(std::function<void()> hook);
  // Seeds until `shutdown` (serve's one stop) is requested or stop() is called.
  Result<Ok> start(std::stop_token shutdown = {});
  void stop();  // waits for the seeding loop, then saves resume data, so a restart does not re-hash

  // Live seeding state of a job's torrent, or nullopt while it is not seeded.
  std::optional<SeedingStats> stats(const std::string& job_id) const;
  std::map<std::string, std::uint64_t> counters() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace chronicle::torrent
