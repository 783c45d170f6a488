#pragma once
// Turning what yt-dlp left in a job's work directory into a stored, playable recording.
#include <filesystem>
#include <optional>
#include <string>

#include "core/config.hpp"
#include "core/job.hpp"
#include "core/ports.hpp"

namespace chronicle::record {

std::filesystem::path job_work_dir(const Config& config, const std::string& job_id);
// File holding the process group id of the job's yt-dlp, so it can be stopped even when
// the recorder that started it is gone.
std::filesystem::path downloader_pgid_file(const std::filesystem::path& work_dir);

// The recording in progress or finished: "rec.mkv" when yt-dlp completed, else the largest
// "rec.*" file (the MPEG-TS ".part" that ffmpeg appends to while recording).
std::optional<std::filesystem::path> find_output(const std::filesystem::path& work_dir);
std::uint64_t output_bytes(const std::filesystem::path& work_dir);

// A Matroska file with the same streams (ffmpeg -c copy). Returns the input if it already is
// one, or if remuxing fails (the raw bytes are still worth keeping).
std::filesystem::path make_playable(const Config& config, const std::filesystem::path& input,
                                    const std::filesystem::path& work_dir);
std::optional<double> media_duration(const Config& config, const std::filesystem::path& file);

struct StoredResult {
  StoredRecording recording;
  nlohmann::json torrent;            // null when no torrent was made
  std::optional<double> duration_s;  // measured on the stored file (set by finalize_output)
};

// One read pass feeds the SHA-256, the torrent piece hashes and the object-store write; the
// .torrent is then stored beside the recording. A torrent that cannot be made is logged and
// left out: it never costs the recording.
Result<StoredResult> store_recording(const Config& config, ObjectStore& objects, const std::filesystem::path& file,
                                     const std::string& desired_key, const std::string& job_id,
                                     const std::string& title);

// The whole finalize for what a downloader left (`output`, in the job's work directory): made
// playable, measured, and stored under the job's key (".ts" when it cannot be remuxed) with
// its torrent. Shared by the recorder and by the recovery of lost recorders.
Result<StoredResult> finalize_output(const Config& config, ObjectStore& objects, const Job& job,
                                     const std::filesystem::path& output);

// Stops a leftover downloader process group, if its pid file names a live yt-dlp.
void stop_leftover_downloader(const std::filesystem::path& work_dir);

// For jobs whose recorder is gone: keeps whatever was recorded and ends the job `failed`
// with `reason` (code recorder_lost), the partial recording attached.
Result<Job> recover_lost_job(const Config& config, JobStore& store, ObjectStore& objects, const Job& claimed,
                             const std::string& reason);

}  // namespace chronicle::record
