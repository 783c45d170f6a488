#pragma once
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/ports.hpp"

namespace chronicle::record {

// The yt-dlp command line for a job: best quality, ffmpeg following the live playlist,
// MPEG-TS while recording (append-safe), Matroska at the end. `--` guards the URL.
std::vector<std::string> downloader_argv(const Config& config, const Job& job, const std::string& output_template);

// `chronicle record --job ID`: records one job to the end, heartbeating, and stores the
// result. SIGTERM/SIGINT (or stop_requested in the store) stop it and keep what was recorded.
// Returns the process exit code.
int run_recorder(const Config& config, JobStore& store, ObjectStore& objects, const std::string& job_id);

}  // namespace chronicle::record
