#include <cctype>

#include "core/ports.hpp"

namespace chronicle {

Result<Job> update_job(JobStore& store, const std::string& id, const std::function<Result<Ok>(Job&)>& change,
                       int attempts) {
  for (int i = 0; i < attempts; ++i) {
    auto loaded = store.get(id);
    if (!loaded) return loaded.error();
    if (!loaded.value()) return make_error("not_found", "no job with id " + id);
    Job job = std::move(*loaded.value());
    auto changed = change(job);
    if (!changed) return changed.error();
    job.updated_at = now();
    auto written = store.replace_if_version(job);
    if (!written) return written.error();
    if (*written) return job;
  }
  return make_error("conflict", "job " + id + " kept changing underneath; try again");
}

Result<Job> JobStore::heartbeat(const std::string& id, const Heartbeat& beat) {
  return update_job(*this, id, [&](Job& j) -> Result<Ok> {
    if (!apply_heartbeat(j, beat))
      return make_error("finished", "job " + id + " is " + std::string(to_string(j.status)));
    return Ok{};
  });
}

bool apply_heartbeat(Job& job, const Heartbeat& beat) {
  if (is_terminal(job.status) || job.status == JobStatus::pending || job.status == JobStatus::waiting) return false;
  job.heartbeat_at = beat.at;
  if (job.status == JobStatus::starting || job.status == JobStatus::recording) {
    job.bytes = beat.bytes;
    job.duration_s = beat.duration_s;
    if (beat.last_media_at) job.last_media_at = beat.last_media_at;
  }
  return true;
}

bool matches_search(const Job& job, const std::string& search) {
  if (search.empty()) return true;
  const auto contains = [&](std::string text) {
    for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text.find(search) != std::string::npos;
  };
  return contains(job.name) || contains(job.title) || contains(job.url);
}

}  // namespace chronicle
