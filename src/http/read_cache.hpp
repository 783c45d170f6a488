#pragma once
// Job reads answered from memory. A job's JSON changes only with its version, so it is rendered
// once per version; a list page or a job looked up by id is kept while the store's change token
// (core/ports.hpp) stays the same, so a repeated read costs no store query and no parsing. Any
// write anywhere changes the token, which drops nothing but makes the next read of each page ask
// the store again (and reuse the renderings whose versions did not move).
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/job.hpp"

namespace chronicle::http {

struct RenderedJob {
  explicit RenderedJob(const Job& job);
  std::string id;
  std::int64_t version = 0;
  nlohmann::json public_json;  // to_public_json(job)
  std::string text;            // public_json as sent when nothing live is added to it

  // The last rendering with live parts (signed links, seeding state), kept while they are the same.
  struct Live {
    std::int64_t link_epoch = -1;
    std::optional<SeedingStats> seeding;
    std::string text;
  };
  mutable std::mutex live_mutex;
  mutable Live live;
};

using RenderedJobPtr = std::shared_ptr<const RenderedJob>;

struct CachedPage {
  std::vector<RenderedJobPtr> jobs;
  std::optional<std::string> next_cursor;
};

class ReadCache {
 public:
  // The rendering of this job: the one kept for its id when the version matches, else a new one.
  RenderedJobPtr rendering(const Job& job);
  // A job or page read under change token `token`, if one was kept under that same token.
  RenderedJobPtr job(const std::string& id, std::uint64_t token);
  std::optional<CachedPage> page(const std::string& key, std::uint64_t token);
  void keep_job(const RenderedJobPtr& job, std::uint64_t token);
  void keep_page(const std::string& key, CachedPage page, std::uint64_t token);

 private:
  // Bounds on memory: past them the maps start over (cheaper than tracking recency, and a read
  // that misses only costs what every read cost before).
  static constexpr std::size_t kMaxJobs = 20000, kMaxPages = 2000;
  void keep_job_locked(const RenderedJobPtr& job, std::uint64_t token);  // with mutex_ held
  struct KeptJob {
    RenderedJobPtr job;
    std::uint64_t token = 0;
  };
  struct KeptPage {
    CachedPage page;
    std::uint64_t token = 0;
  };
  std::mutex mutex_;
  std::unordered_map<std::string, KeptJob> jobs_;
  std::unordered_map<std::string, KeptPage> pages_;
};

}  // namespace chronicle::http
