#include "record/finalize.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <fstream>
#include <thread>
#include <vector>

#include "core/names.hpp"
#include "sys/process.hpp"
#include "sys/sha256.hpp"
#include "torrent/creator.hpp"
#include "torrent/hasher.hpp"

namespace chronicle::record {
namespace fs = std::filesystem;

fs::path job_work_dir(const Config& config, const std::string& job_id) { return config.work_dir() / job_id; }
fs::path downloader_pgid_file(const fs::path& work_dir) { return work_dir / "downloader.pgid"; }

std::optional<fs::path> find_output(const fs::path& work_dir) {
  std::error_code ec;
  if (fs::is_regular_file(work_dir / "rec.mkv", ec) && fs::file_size(work_dir / "rec.mkv", ec) > 0)
    return work_dir / "rec.mkv";
  std::optional<fs::path> best;
  std::uintmax_t best_size = 0;
  for (const auto& entry : fs::directory_iterator(work_dir, ec)) {
    const auto name = entry.path().filename().string();
    if (!name.starts_with("rec.") || name.ends_with(".ytdl") || !entry.is_regular_file(ec)) continue;
    const auto size = entry.file_size(ec);
    if (!ec && size > best_size) {
      best = entry.path();
      best_size = size;
    }
  }
  return best;
}

std::uint64_t output_bytes(const fs::path& work_dir) {
  std::error_code ec;
  auto out = find_output(work_dir);
  return out ? fs::file_size(*out, ec) : 0;
}

fs::path make_playable(const Config& config, const fs::path& input, const fs::path& work_dir) {
  if (input.extension() == ".mkv") return input;
  const fs::path output = work_dir / "final.mkv";
  sys::SpawnOptions o;
  o.argv = {config.ffmpeg, "-nostdin", "-y", "-v",   "error", "-i",       input.string(),
            "-map",        "0",        "-c", "copy", "-f",    "matroska", output.string()};
  auto run = sys::run_capture(o, std::chrono::minutes(30));
  std::error_code ec;
  if (run && run->status.code == 0 && fs::file_size(output, ec) > 0) return output;
  fs::remove(output, ec);
  return input;
}

std::optional<double> media_duration(const Config& config, const fs::path& file) {
  std::string ffprobe = config.ffmpeg;
  if (const auto pos = ffprobe.rfind("ffmpeg"); pos != std::string::npos) ffprobe.replace(pos, 6, "ffprobe");
  sys::SpawnOptions o;
  o.argv = {ffprobe, "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", file.string()};
  auto run = sys::run_capture(o, std::chrono::seconds(60));
  if (!run || run->status.code != 0) return std::nullopt;
  try {
    return std::stod(run->out);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

Result<StoredResult> store_recording(const Config& config, ObjectStore& objects, const fs::path& file,
                                     const std::string& desired_key, const std::string& job_id,
                                     const std::string& title) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error("storage_error", "cannot read " + file.string());
  struct stat st {};
  ::fstat(fd, &st);
  const auto size = static_cast<std::uint64_t>(st.st_size);
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  auto writer = objects.create(desired_key, size);
  if (!writer) {
    ::close(fd);
    return writer.error();
  }
  std::optional<torrent::PieceHasher> hasher;
  if (config.torrent_enabled && size > 0)
    hasher.emplace(size, torrent::choose_piece_size(size), true, config.torrent_hybrid,
                   std::max(1u, std::thread::hardware_concurrency()));
  sys::Sha256 sha;
  std::vector<std::byte> own_buffer(hasher ? 0 : 4 << 20);
  std::uint64_t read_total = 0;
  for (;;) {
    // With a hasher, bytes are read straight into its piece buffer and the SHA-256 and the
    // store write use them from there: one read, no copy.
    const bool into_hasher = hasher && read_total < size;
    std::span<std::byte> into = into_hasher ? hasher->writable() : std::span<std::byte>(own_buffer);
    if (into.empty()) {  // the file grew past its measured size: finish with a plain buffer
      own_buffer.resize(4 << 20);
      into = own_buffer;
    }
    const ssize_t n = ::read(fd, into.data(), into.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return make_error("storage_error", "read error on " + file.string());
    }
    if (n == 0) break;
    const std::span<const std::byte> chunk(into.data(), static_cast<std::size_t>(n));
    sha.update(chunk);
    auto w = (*writer)->write(chunk);
    if (!w) {
      ::close(fd);
      return w.error();
    }
    if (into_hasher && into.data() != own_buffer.data()) hasher->commit(chunk.size());
    read_total += chunk.size();
  }
  ::close(fd);
  auto info = (*writer)->commit();
  if (!info) return info.error();
  const std::string public_url = config.effective_public_url();
  StoredResult result{
      StoredRecording{info->key, info->size, sha.hex_digest(), public_url + "/api/v1/jobs/" + job_id + "/recording"},
      nullptr, std::nullopt};
  if (!hasher || read_total != size) return result;

  torrent::TorrentSpec spec;
  spec.file_name = fs::path(info->key).filename().string();
  spec.file_size = size;
  spec.piece_size = hasher->piece_size();
  spec.trackers = config.announce_urls();
  spec.web_seeds = {result.recording.url};
  spec.comment = title.empty() ? "Recorded by chronicle" : title + " (recorded by chronicle)";
  auto made = torrent::make_torrent(spec, hasher->finish());
  if (!made) {
    spdlog::warn("job {}: no torrent: {}", job_id, made.error().message);
    return result;
  }
  std::string torrent_key = info->key.substr(0, info->key.rfind('.')) + ".torrent";
  auto torrent_writer = objects.create(torrent_key);
  if (torrent_writer) {
    (void)(*torrent_writer)->write(std::as_bytes(std::span(made->bencoded.data(), made->bencoded.size())));
    auto stored = (*torrent_writer)->commit();
    if (stored) {
      result.torrent =
          torrent::torrent_json(*made, spec, stored->key, public_url + "/api/v1/jobs/" + job_id + "/torrent");
      if (!config.torrent_watch_dir.empty()) {
        std::error_code ec;
        fs::create_directories(config.torrent_watch_dir, ec);
        std::ofstream(config.torrent_watch_dir / (job_id + ".torrent"), std::ios::binary) << made->bencoded;
      }
      return result;
    }
    spdlog::warn("job {}: cannot store the torrent: {}", job_id, stored.error().message);
  }
  return result;
}

Result<StoredResult> finalize_output(const Config& config, ObjectStore& objects, const Job& job,
                                     const fs::path& output) {
  const fs::path playable = make_playable(config, output, job_work_dir(config, job.id));
  std::string key = recording_key(job.prefix, job.name, job.id);
  if (playable.extension() != ".mkv") key = key.substr(0, key.size() - 4) + ".ts";
  auto stored = store_recording(config, objects, playable, key, job.id, job.title);
  if (stored) stored->duration_s = media_duration(config, playable);
  return stored;
}

void stop_leftover_downloader(const fs::path& work_dir) {
  std::ifstream in(downloader_pgid_file(work_dir));
  pid_t pgid = 0;
  if (!(in >> pgid) || pgid <= 1) return;
  // The pid may have been reused after a reboot: only signal it if it is still a downloader.
  std::ifstream cmdline("/proc/" + std::to_string(pgid) + "/cmdline");
  std::string cmd((std::istreambuf_iterator<char>(cmdline)), std::istreambuf_iterator<char>());
  if (cmd.find("yt-dlp") == std::string::npos && cmd.find("yt_dlp") == std::string::npos) return;
  ::kill(-pgid, SIGINT);  // ffmpeg closes the file cleanly on SIGINT
  for (int i = 0; i < 50 && sys::is_alive(pgid); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  if (sys::is_alive(pgid)) ::kill(-pgid, SIGKILL);
}

Result<Job> recover_lost_job(const Config& config, JobStore& store, ObjectStore& objects, const Job& claimed,
                             const std::string& reason) {
  const fs::path work = job_work_dir(config, claimed.id);
  stop_leftover_downloader(work);
  std::optional<StoredResult> stored;
  std::string storage_problem;
  if (auto partial = find_output(work)) {
    auto s = finalize_output(config, objects, claimed, *partial);
    if (s)
      stored = *s;
    else
      storage_problem = s.error().message;
  }
  auto result = update_job(store, claimed.id, [&](Job& j) -> Result<Ok> {
    if (is_terminal(j.status)) return make_error("conflict", "job already finished");
    if (j.status != JobStatus::uploading) {
      auto t = transition(j, JobStatus::uploading, now());
      if (!t) return t;
    }
    auto t = transition(j, JobStatus::failed, now());
    if (!t) return t;
    std::string message = reason;
    if (stored) {
      char secs[32];
      std::snprintf(secs, sizeof secs, "%.1f", stored->duration_s.value_or(0));
      message += "; the " + std::string(secs) + " s recorded before that are kept";
      j.recording = stored->recording;
      j.torrent = stored->torrent;
      j.bytes = stored->recording.size;
      if (stored->duration_s) j.duration_s = *stored->duration_s;
    } else if (!storage_problem.empty()) {
      message +=
          "; the partial recording could not be stored: " + storage_problem + " (it is still in " + work.string() + ")";
    } else {
      message += "; nothing had been recorded yet";
    }
    j.error = Error{"recorder_lost", message};
    return Ok{};
  });
  if (result && stored) {
    std::error_code ec;
    fs::remove_all(work, ec);
  }
  return result;
}

}  // namespace chronicle::record
