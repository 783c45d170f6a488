#include "record/recorder.hpp"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <fstream>
#include <mutex>
#include <thread>

#include "core/names.hpp"
#include "record/finalize.hpp"
#include "record/progress.hpp"
#include "sys/process.hpp"

namespace chronicle::record {
namespace fs = std::filesystem;
namespace {

volatile std::sig_atomic_t g_stop_signal = 0;
extern "C" void on_stop_signal(int sig) { g_stop_signal = sig; }

struct Shared {
  std::atomic<std::uint64_t> bytes{0};
  std::atomic<double> duration_s{0};
  std::atomic<bool> stop_requested{false};
  std::atomic<bool> finished{false};
  std::atomic<bool> announced_recording{false};  // the job has been moved to `recording`
  std::mutex mutex;
  std::condition_variable wake;
};

std::string format_seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", s);
  return buf;
}

// Writes heartbeat_at, bytes and duration every interval; moves starting -> recording as soon
// as bytes flow; picks up a stop requested through the API.
void heartbeat_loop(const Config& config, JobStore& store, const std::string& id, const fs::path& work,
                    Shared& shared) {
  const auto interval = std::chrono::milliseconds(static_cast<long long>(config.heartbeat_interval_s * 1000));
  while (!shared.finished) {
    const std::uint64_t on_disk = output_bytes(work);
    if (on_disk > shared.bytes) shared.bytes = on_disk;
    auto r = store.heartbeat(id, Heartbeat{now(), shared.bytes, shared.duration_s});
    if (r && r->status == JobStatus::starting && shared.bytes > 0) {
      auto moved = update_job(store, id, [&](Job& j) -> Result<Ok> {
        if (j.status != JobStatus::starting) return make_error("skip", "no longer starting");
        return transition(j, JobStatus::recording, now());
      });
      if (moved) r = moved;
    }
    if (r && r->stop_requested) shared.stop_requested = true;
    if (r && r->status != JobStatus::starting) shared.announced_recording = true;
    if (!r && r.error().code != "finished") spdlog::warn("heartbeat failed: {}", r.error().message);
    std::unique_lock lock(shared.mutex);
    // Woken early when the first bytes arrive, so `recording` shows without waiting a tick.
    shared.wake.wait_for(lock, interval,
                         [&] { return shared.finished.load() || (!shared.announced_recording && shared.bytes > 0); });
  }
}

Result<Job> set_status(JobStore& store, const std::string& id, JobStatus to, const std::function<void(Job&)>& also) {
  return update_job(store, id, [&](Job& j) -> Result<Ok> {
    if (j.status != to) {
      auto t = transition(j, to, now());
      if (!t) return t;
    }
    if (also) also(j);
    return Ok{};
  });
}

}  // namespace

std::vector<std::string> downloader_argv(const Config& config, const Job& job, const std::string& output_template) {
  std::vector<std::string> argv = {config.ytdlp,  "--ignore-config",   "--no-playlist", "--newline",
                                   "--no-colors", "--downloader",      "ffmpeg",        "--hls-use-mpegts",
                                   "-f",          config.ytdlp_format, "--remux-video", "mkv",
                                   "-o",          output_template};
  // yt-dlp wants a path here; a bare name (the default "ffmpeg") is found on PATH by yt-dlp itself.
  if (config.ffmpeg.find('/') != std::string::npos) {
    argv.push_back("--ffmpeg-location");
    argv.push_back(config.ffmpeg);
  }
  if (job.protocol.find("m3u8") != std::string::npos) {
    // Start from the oldest segment the live playlist still lists, so the seconds between
    // submitting and the recorder starting are not lost.
    argv.push_back("--downloader-args");
    argv.push_back("ffmpeg_i:-live_start_index 0");
  }
  argv.push_back("--");
  argv.push_back(job.url);
  return argv;
}

int run_recorder(const Config& config, JobStore& store, ObjectStore& objects, const std::string& job_id) {
  auto loaded = store.get(job_id);
  if (!loaded || !loaded.value()) {
    spdlog::error("job {}: {}", job_id, loaded ? "no such job" : loaded.error().message);
    return 2;
  }
  Job job = *loaded.value();
  if (is_terminal(job.status)) {
    spdlog::info("job {} is already {}", job_id, to_string(job.status));
    return 0;
  }

  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  signal(SIGHUP, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);

  const fs::path work = job_work_dir(config, job_id);
  std::error_code ec;
  fs::create_directories(work, ec);
  if (ec) {
    (void)set_status(store, job_id, JobStatus::failed, [&](Job& j) {
      j.error = Error{"storage_error", "cannot create " + work.string()};
    });
    return 1;
  }

  sys::SpawnOptions options;
  options.argv = downloader_argv(config, job, (work / "rec.%(ext)s").string());
  options.cwd = work;
  options.new_process_group = true;
  options.capture_stdout = true;
  options.capture_stderr = true;
  spdlog::info("job {}: starting downloader for {}", job_id, job.url);
  auto child = sys::spawn(options);
  if (!child) {
    (void)set_status(store, job_id, JobStatus::failed, [&](Job& j) {
      j.error = Error{"recorder_error", child.error().message};
    });
    return 1;
  }
  std::ofstream(downloader_pgid_file(work)) << child->pid << "\n";

  Shared shared;
  std::thread heartbeat([&] { heartbeat_loop(config, store, job_id, work, shared); });

  std::string last_error;
  std::optional<std::chrono::steady_clock::time_point> interrupted_at;
  LineSplitter splitters[2];
  pollfd fds[2] = {{child->stdout_fd, POLLIN, 0}, {child->stderr_fd, POLLIN, 0}};
  int open_fds = 2;
  char buf[8192];
  auto last_log = std::chrono::steady_clock::now();
  auto handle_line = [&](const std::string& line) {
    if (auto p = parse_ffmpeg_progress(line)) {
      if (p->time_s && *p->time_s > shared.duration_s) shared.duration_s = *p->time_s;
      if (p->size_bytes && *p->size_bytes > shared.bytes) shared.bytes = *p->size_bytes;
      if (!shared.announced_recording && shared.bytes == 0) {
        const auto on_disk = output_bytes(work);
        if (on_disk > 0) shared.bytes = on_disk;
      }
      if (!shared.announced_recording && shared.bytes > 0) {
        // Taking the lock orders this with the waiter's predicate check: no lost wakeup.
        { std::lock_guard lock(shared.mutex); }
        shared.wake.notify_all();
      }
      const auto t = std::chrono::steady_clock::now();
      if (t - last_log > std::chrono::seconds(30)) {
        last_log = t;
        spdlog::info("job {}: recording bytes={} duration_s={}", job_id, shared.bytes.load(),
                     format_seconds(shared.duration_s));
      }
      return;
    }
    if (auto e = parse_error_line(line)) last_error = *e;
    if (line.find("[hls @") == std::string::npos) spdlog::info("yt-dlp: {}", line);
  };

  while (open_fds > 0) {
    const bool stop_now = g_stop_signal != 0 || shared.stop_requested;
    if (stop_now && !interrupted_at) {
      spdlog::info("job {}: stop requested, finalizing what was recorded", job_id);
      ::kill(-child->pid, SIGINT);
      interrupted_at = std::chrono::steady_clock::now();
    }
    if (interrupted_at && std::chrono::steady_clock::now() - *interrupted_at > std::chrono::seconds(20)) {
      spdlog::warn("job {}: downloader ignored SIGINT for 20 s, killing it", job_id);
      ::kill(-child->pid, SIGKILL);
      interrupted_at = std::chrono::steady_clock::now() + std::chrono::hours(1);
    }
    const int r = ::poll(fds, 2, 200);
    if (r < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        if (n < 0 && errno == EINTR) continue;
        if (auto tail = splitters[i].flush()) handle_line(*tail);
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
        continue;
      }
      for (const auto& line : splitters[i].feed(std::string_view(buf, static_cast<std::size_t>(n)))) handle_line(line);
    }
  }
  const auto exit_status = sys::wait_for(child->pid);
  // ffmpeg may outlive yt-dlp for a moment after a SIGINT: let the whole group finish writing.
  for (int i = 0; i < 50 && ::kill(-child->pid, 0) == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const bool stopped = interrupted_at.has_value();
  spdlog::info("job {}: downloader finished ({}){}", job_id, sys::describe(exit_status), stopped ? " after stop" : "");

  auto finish_heartbeat = [&] {
    shared.finished = true;
    shared.wake.notify_all();
    if (heartbeat.joinable()) heartbeat.join();
  };

  const auto output = find_output(work);
  std::uint64_t recorded = 0;
  if (output) recorded = fs::file_size(*output, ec);
  if (!output || recorded == 0) {
    finish_heartbeat();
    auto current = store.get(job_id);
    const bool still_starting = current && current.value() && current.value()->status == JobStatus::starting;
    if (stopped && still_starting) {
      (void)set_status(store, job_id, JobStatus::canceled, [](Job& j) {
        j.error = Error{"stopped", "stopped before anything was recorded"};
      });
    } else {
      const std::string reason = last_error.empty() ? "yt-dlp " + sys::describe(exit_status) : last_error;
      (void)set_status(store, job_id, JobStatus::failed, [&](Job& j) {
        j.error = Error{"recording_failed", "nothing was recorded: " + reason};
      });
    }
    fs::remove_all(work, ec);
    return 0;
  }

  // The heartbeat keeps running through the upload so the reaper knows we are alive.
  auto up = set_status(store, job_id, JobStatus::uploading, [&](Job& j) {
    j.bytes = recorded;
    j.duration_s = shared.duration_s;
  });
  if (!up) {
    finish_heartbeat();
    spdlog::error("job {}: cannot mark uploading: {}", job_id, up.error().message);
    return 1;
  }
  auto stored = finalize_output(config, objects, job, *output);
  finish_heartbeat();
  if (!stored) {
    (void)set_status(store, job_id, JobStatus::failed, [&](Job& j) {
      j.error = Error{"storage_error", "the recording could not be stored: " + stored.error().message +
                                           " (it is kept in " + work.string() + ")"};
    });
    return 1;
  }

  const bool clean = exit_status.code == 0 || stopped;
  auto done = set_status(store, job_id, clean ? JobStatus::completed : JobStatus::failed, [&](Job& j) {
    j.recording = stored->recording;
    j.torrent = stored->torrent;
    j.bytes = stored->recording.size;
    if (stored->duration_s) j.duration_s = *stored->duration_s;
    if (!clean) {
      const std::string reason = last_error.empty() ? "yt-dlp " + sys::describe(exit_status) : last_error;
      j.error = Error{"stream_interrupted", "the recording stopped early (" + reason + "); the " +
                                                format_seconds(j.duration_s) + " s recorded before that are kept"};
    }
  });
  if (!done) {
    spdlog::error("job {}: cannot record the result: {}", job_id, done.error().message);
    return 1;
  }
  spdlog::info("job {}: {} key={} bytes={} duration_s={} sha256={} torrent={}", job_id, to_string(done->status),
               stored->recording.key, stored->recording.size, format_seconds(done->duration_s),
               stored->recording.sha256, stored->torrent.is_object() ? stored->torrent["infohash_v1"].dump() : "none");
  fs::remove_all(work, ec);
  return 0;
}

}  // namespace chronicle::record
