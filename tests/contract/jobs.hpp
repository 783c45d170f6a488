#pragma once
// Jobs for tests: a new pending job for a URL, and a status change written as the core writes it.
#include "core/ids.hpp"
#include "core/ports.hpp"

namespace chronicle::contract {

inline Job new_job(const std::string& url) {
  Job j;
  j.id = new_job_id();
  j.url = url;
  j.created_at = now();
  return j;
}

inline Result<Job> move_to(JobStore& store, const std::string& id, JobStatus status) {
  return update_job(store, id, [&](Job& j) { return transition(j, status, now()); });
}

}  // namespace chronicle::contract
