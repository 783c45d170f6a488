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

}  // namespace chronicle
