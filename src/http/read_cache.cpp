#include "http/read_cache.hpp"

namespace chronicle::http {

RenderedJob::RenderedJob(const Job& job)
    : id(job.id), version(job.version), public_json(to_public_json(job)), text(json_text(public_json)) {}

RenderedJobPtr ReadCache::rendering(const Job& job) {
  {
    std::lock_guard lock(mutex_);
    if (auto it = jobs_.find(job.id); it != jobs_.end() && it->second.job->version == job.version)
      return it->second.job;
  }
  return std::make_shared<const RenderedJob>(job);
}

RenderedJobPtr ReadCache::job(const std::string& id, std::uint64_t token) {
  std::lock_guard lock(mutex_);
  auto it = jobs_.find(id);
  return it != jobs_.end() && it->second.token == token ? it->second.job : nullptr;
}

std::optional<CachedPage> ReadCache::page(const std::string& key, std::uint64_t token) {
  std::lock_guard lock(mutex_);
  auto it = pages_.find(key);
  if (it == pages_.end() || it->second.token != token) return std::nullopt;
  return it->second.page;
}

void ReadCache::keep_job(const RenderedJobPtr& job, std::uint64_t token) {
  std::lock_guard lock(mutex_);
  keep_job_locked(job, token);
}

void ReadCache::keep_job_locked(const RenderedJobPtr& job, std::uint64_t token) {
  if (jobs_.size() >= kMaxJobs && !jobs_.count(job->id)) jobs_.clear();
  auto& kept = jobs_[job->id];
  // A slower reader that read under an older token does not replace a newer rendering.
  if (kept.job && kept.token > token) return;
  kept = {job, token};
}

void ReadCache::keep_page(const std::string& key, CachedPage page, std::uint64_t token) {
  std::lock_guard lock(mutex_);
  if (pages_.size() >= kMaxPages && !pages_.count(key)) pages_.clear();
  auto& kept = pages_[key];
  if (kept.token > token) return;
  kept = {std::move(page), token};
  for (const auto& j : kept.page.jobs) keep_job_locked(j, token);
}

}  // namespace chronicle::http
