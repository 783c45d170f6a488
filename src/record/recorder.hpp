#pragma once
#include <string>

#include "core/config.hpp"
#include "core/ports.hpp"

namespace chronicle::record {

// `chronicle record --job ID`: records one job to the end, heartbeating, and stores the
// result. When the stream drops, stalls or restarts, the recorder goes back to the submitted
// URL within the reconnect window and records on into a new part; the parts are joined into
// one file. SIGTERM/SIGINT (or stop_requested in the store) stop it and keep what was recorded.
// Returns the process exit code.
int run_recorder(const Config& config, JobStore& store, ObjectStore& objects, const std::string& job_id);

}  // namespace chronicle::record
