#pragma once
// Turning what yt-dlp left in a job's work directory into a stored, playable recording.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/job.hpp"
#include "core/ports.hpp"
#include "remux/matroska.hpp"

namespace chronicle::record {

std::filesystem::path job_work_dir(const Config& config, const std::string& job_id);
// File holding the process group id of the job's yt-dlp, so it can be stopped even when
// the recorder that started it is gone.
std::filesystem::path downloader_pgid_file(const std::filesystem::path& work_dir);

// A recording is made of parts, one per downloader run ("part-001.*", "part-002.*", ...); each
// part's file is the merged "part-NNN.mkv" when yt-dlp finished one, else the largest
// "part-NNN.*" (the MPEG-TS that ffmpeg appends to while recording). Empty parts are left out.
// Recorders before the HLS journal ran ffmpeg directly on HLS and wrote a part twice (a work
// directory they left is still finished from it): MPEG-TS, which survives any crash and is what
// parts are joined from, and beside it Matroska ("part-NNN.whole.mkv.writing", renamed to
// "part-NNN.whole.mkv" once ffmpeg has ended cleanly, its index and duration written). A
// recording of one such part is stored from that file as it is: no remux after the stream ends.
std::filesystem::path whole_matroska(const std::filesystem::path& work_dir, int part, bool finished);

std::optional<std::filesystem::path> part_file(const std::filesystem::path& work_dir, int part);
std::uint64_t part_bytes(const std::filesystem::path& work_dir, int part);
std::vector<std::filesystem::path> list_parts(const std::filesystem::path& work_dir);
// The number the next part gets (one past the highest present).
int next_part_number(const std::filesystem::path& work_dir);

// Whether the work directory holds anything recorded: parts of yt-dlp's downloader, or segments
// in the HLS journal.
bool has_recorded_media(const std::filesystem::path& work_dir);

struct JoinedRecording {
  std::filesystem::path file;
  std::vector<std::string> warnings;
  std::optional<double> duration_s;  // when the join measured it (chronicle's remuxer does)
};

// One playable file from all parts, in order, with continuous timestamps: a single part's
// finished Matroska as it is, else Matroska through ffmpeg's concat demuxer (-c copy). When the free space cannot hold
// the remux (or ffmpeg fails), the MPEG-TS is kept as it is, the parts appended to the first, and a warning says so.
// The parts stay until the caller removes the work directory.
Result<JoinedRecording> join_parts(const Config& config, const std::filesystem::path& work_dir,
                                   const std::vector<std::filesystem::path>& parts,
                                   const std::vector<remux::Chapter>& chapters = {}, double duration_s = 0);
// One Matroska file from the HLS journal in `work_dir` (see hls/journal.hpp): each rendition's
// runs through ffmpeg's concat demuxer, each run placed after the one before by the durations
// the playlist gave (timestamps continuous across discontinuities, gaps and ads left out), the
// renditions side by side (-c copy). When that fails or does not fit, the main rendition's
// MPEG-TS runs are kept as they are, appended, with a warning.
Result<JoinedRecording> join_journal(const Config& config, const std::filesystem::path& work_dir,
                                     const std::vector<remux::Chapter>& chapters = {});
// A path quoted for ffmpeg's concat demuxer ("file '...'"), single quotes escaped.
std::string concat_quote(const std::string& path);
// The chapters a recording's file carries: its start (with the title it began with), each
// interruption, each ad break left out and each change of the stream's title.
std::vector<remux::Chapter> chapters_for(const Job& job);
std::optional<double> media_duration(const Config& config, const std::filesystem::path& file);

struct StoredResult {
  StoredRecording recording;
  std::optional<TorrentInfo> torrent;  // none when no torrent was made
  std::optional<double> duration_s;    // measured on the stored file (set by finalize_parts)
  std::optional<MediaInfo> media;      // likewise
  std::optional<Thumbnail> thumbnail;  // its poster frame, when one could be taken
  std::vector<std::string> warnings;
  std::optional<ChatLog> chat;  // the live chat, stored beside it
};

// What a recorder stored, kept in the work directory until the job says so: when the store did
// not take the final write, whoever finishes the job (the recorder retrying, or the reaper)
// completes it from here instead of storing the recording again.
struct Outcome {
  StoredResult stored;
  std::string end_reason;
  std::optional<Error> error;  // set: the job ends failed with it (a recovered recorder), else completed
};
void save_outcome(const std::filesystem::path& work_dir, const Outcome& outcome);
std::optional<Outcome> load_outcome(const std::filesystem::path& work_dir);

// One read pass feeds the SHA-256, the torrent piece hashes and the object-store write; the
// .torrent is then stored beside the recording. A torrent that cannot be made is logged and
// left out: it never costs the recording.
Result<StoredResult> store_recording(const Config& config, ObjectStore& objects, const std::filesystem::path& file,
                                     const std::string& desired_key, const std::string& job_id,
                                     const std::string& title);

// The whole finalize for the parts a job's downloaders left in its work directory: joined,
// measured, and stored under the job's key (".ts" when it cannot be remuxed) with its torrent.
// Shared by the recorder and by the recovery of lost recorders. Error "nothing_recorded" when
// there are no parts.
Result<StoredResult> finalize_parts(const Config& config, ObjectStore& objects, const Job& job);

// Completes a job from what its recorder stored (see Outcome): the change itself, for callers
// with their own retry policy, and one compare-and-set write of it.
Result<Ok> apply_outcome(Job& job, const Outcome& outcome);
Result<Job> finish_from_outcome(JobStore& store, const std::string& job_id, const Outcome& outcome);

// Stops a leftover downloader process group, if its pid file names a live yt-dlp.
void stop_leftover_downloader(const std::filesystem::path& work_dir);

// Removes the preview a recorder kept while recording (Job::thumbnail with `live`), if there is one.
void remove_live_preview(ObjectStore& objects, const Job& job);

// For jobs whose recorder is gone: keeps whatever was recorded and ends the job `failed`
// with `reason` (code recorder_lost, end_reason recorder_lost), the partial recording attached.
// A recorder that had stored its recording but could not say so is finished as it would have.
Result<Job> recover_lost_job(const Config& config, JobStore& store, ObjectStore& objects, const Job& claimed,
                             const std::string& reason);

}  // namespace chronicle::record
