#include "record/attempt.hpp"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "egress/proxy.hpp"
#include "record/finalize.hpp"
#include "record/progress.hpp"
#include "sys/disk.hpp"

namespace chronicle::record {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string part_template(int number) {
  char name[32];
  std::snprintf(name, sizeof name, "part-%03d.%%(ext)s", number);
  return name;
}

namespace {

// ffmpeg's input options for a live HLS part. The first part starts from the oldest segment the
// live playlist still lists, so the seconds between submitting and the recorder starting are not
// lost; a later part starts right after the last segment already recorded. ffmpeg reloads a
// playlist without new segments every half target duration, and gives up after the hold count.
std::vector<std::string> hls_input_args(const Config& config, std::size_t live_start_index, double target_duration_s) {
  const double target = target_duration_s > 0 ? target_duration_s : 1;
  const auto hold = static_cast<long>(std::ceil(config.stall_timeout_for(target) / (target / 2)));
  return {"-live_start_index", std::to_string(live_start_index), "-m3u8_hold_counters", std::to_string(hold)};
}

}  // namespace

std::vector<std::string> downloader_argv(const Config& config, const Job& job, const std::string& output_template,
                                         std::optional<std::size_t> live_start_index, double target_duration_s,
                                         const std::string& cookies_file) {
  const std::string selector = format_selector(job.format, config.ytdlp_format);
  std::vector<std::string> argv = {
      config.ytdlp,   "--ignore-config", "--no-playlist",         "--newline", "--no-colors",
      "--downloader", "ffmpeg",          "--hls-use-mpegts",      "-f",        selector,
      "--fixup",      "never",           "--merge-output-format", "mkv",       "-o",
      output_template};
  if (!cookies_file.empty()) {
    argv.emplace_back("--cookies");
    argv.push_back(cookies_file);
  }
  // yt-dlp wants a path here; a bare name (the default "ffmpeg") is found on PATH by yt-dlp itself.
  if (config.ffmpeg.find('/') != std::string::npos) {
    argv.emplace_back("--ffmpeg-location");
    argv.push_back(config.ffmpeg);
  }
  // ffmpeg may open only what goes through the egress guard (HTTP, and HTTPS as CONNECT): a
  // format or playlist entry on RTMP, RTSP, UDP, FTP or a local file is refused, not fetched.
  std::string input_args = "-protocol_whitelist " + std::string(kDownloaderProtocols);
  if (live_start_index && job.protocol.find("m3u8") != std::string::npos)
    for (const auto& arg : hls_input_args(config, *live_start_index, target_duration_s)) input_args += " " + arg;
  argv.emplace_back("--downloader-args");
  argv.push_back("ffmpeg_i:" + input_args);
  argv.emplace_back("--");
  argv.push_back(job.url);
  return argv;
}

std::optional<std::string> parse_opening_line(const std::string& line) {
  constexpr std::string_view kOpening = "Opening '";
  const auto at = line.find(kOpening);
  if (at == std::string::npos) return std::nullopt;
  const auto start = at + kOpening.size();
  const auto end = line.find("' for reading", start);
  if (end == std::string::npos) return std::nullopt;
  return line.substr(start, end - start);
}

std::optional<std::string> parse_input_line(const std::string& line) {
  constexpr std::string_view kInput = "Input #0, hls, from '";
  const auto at = line.find(kInput);
  if (at == std::string::npos) return std::nullopt;
  const auto start = at + kInput.size();
  const auto end = line.rfind("':");
  if (end == std::string::npos || end < start) return std::nullopt;
  return line.substr(start, end - start);
}

namespace {

// ffmpeg waiting for a live playlist to change checks for interruption only once a second
// signal has arrived (the first only asks it to finish after the current read); yt-dlp, for its
// part, kills ffmpeg outright on a second SIGINT. So the second one goes to ffmpeg alone: the
// downloader's children.
void signal_children(pid_t parent, int sig) {
  const std::string path = "/proc/" + std::to_string(parent) + "/task/" + std::to_string(parent) + "/children";
  std::ifstream in(path);
  pid_t pid = 0;
  while (in >> pid)
    if (pid > 1) ::kill(pid, sig);
}

bool is_playlist_url(const std::string& url) {
  const std::string path = url.substr(0, url.find('?'));
  return path.ends_with(".m3u8") || path.ends_with(".m3u");
}

}  // namespace

AttemptResult run_attempt(const Config& config, const Job& job, const fs::path& work, int part,
                          std::optional<std::size_t> live_start_index, const AttemptWatch& watch) {
  AttemptResult result;
  sys::SpawnOptions options;
  options.argv = downloader_argv(config, job, (work / part_template(part)).string(), live_start_index,
                                 watch.target_duration_s, watch.cookies_file);
  // The egress guard, with its credential, in the environment (not in the arguments every user
  // can read): yt-dlp uses it, and the ffmpeg it runs inherits it for the playlist, every segment
  // and key; https goes through as CONNECT.
  if (!watch.proxy_url.empty()) options.env = egress::proxy_environment(watch.proxy_url);
  options.cwd = work;
  options.new_process_group = true;
  options.capture_stdout = true;
  options.capture_stderr = true;
  spdlog::info("job {}: downloader for part {} ({}){}", job.id, part, job.url,
               live_start_index ? " from playlist entry " + std::to_string(*live_start_index) : "");
  auto child = sys::spawn(options);
  if (!child) {
    result.exit.exited = true;
    result.last_error = child.error().message;
    return result;
  }
  std::ofstream(downloader_pgid_file(work)) << child->pid << "\n";

  std::vector<std::string> playlists;
  double stall_timeout = watch.stall_timeout_s;
  bool asked_target = false;
  const auto started = Clock::now();
  auto last_growth = started;
  auto last_disk_check = started - std::chrono::seconds(2);
  auto last_space_check = started - std::chrono::seconds(10);

  std::optional<Clock::time_point> interrupted_at;
  // `closing`: what the downloader writes as it finishes (its trailer, the final statistics
  // line) is not new media.
  auto note_size = [&](std::uint64_t size, std::optional<double> time_s, bool closing = false) {
    bool grew = false;
    if (size > result.bytes) {
      result.bytes = size;
      grew = true;
    }
    if (time_s && *time_s > result.duration_s) result.duration_s = *time_s;
    if (grew) result.got_media = true;
    // Once the downloader is being ended, what it still writes is its final flush, not new media.
    const bool fresh = grew && !interrupted_at && !closing;
    if (fresh) last_growth = Clock::now();
    if (watch.on_progress) watch.on_progress(result.bytes, result.duration_s, fresh);
  };
  auto handle_line = [&](const std::string& line) {
    if (auto p = parse_ffmpeg_progress(line)) {
      // The size on disk is looked at once a second below; a progress line is twice a second.
      note_size(p->size_bytes.value_or(0), p->time_s, line.find("Lsize=") != std::string::npos);
    }
    // A progress line and a log line can share one line (ffmpeg redraws with '\r').
    if (auto url = parse_opening_line(line)) {
      if (is_playlist_url(*url)) {
        if (std::find(playlists.begin(), playlists.end(), *url) == playlists.end()) playlists.push_back(*url);
      } else {
        if (result.last_segment_url.empty() && watch.on_first_segment) watch.on_first_segment(*url);
        result.last_segment_url = *url;
      }
    }
    // ffmpeg logs the opening of its input URL only at debug level, and through the egress guard
    // (a connection per request) a playlist it reloads is its input again: the input line names it.
    if (auto url = parse_input_line(line); url && is_playlist_url(*url) && playlists.empty()) playlists.push_back(*url);
    if (line.find("Failed to reload playlist") != std::string::npos) result.playlist_failed = true;
    if (auto e = parse_error_line(line)) result.last_error = *e;
    if (line.find("[hls @") == std::string::npos && line.find("[http @") == std::string::npos &&
        line.find("frame=") == std::string::npos)
      spdlog::info("yt-dlp: {}", line);
  };

  auto end_downloader = [&](AttemptEnd why, const std::string& reason) {
    if (interrupted_at) return;
    result.end = why;
    spdlog::info("job {}: {}", job.id, reason);
    ::kill(-child->pid, SIGINT);  // ffmpeg closes the file cleanly on SIGINT
    interrupted_at = Clock::now();
  };

  bool second_signal = false;
  LineSplitter splitters[2];
  pollfd fds[2] = {{child->stdout_fd, POLLIN, 0}, {child->stderr_fd, POLLIN, 0}};
  int open_fds = 2;
  char buf[8192];
  while (open_fds > 0) {
    const auto t = Clock::now();
    if (watch.stop_requested && watch.stop_requested())
      end_downloader(AttemptEnd::stopped, "stop requested, finalizing what was recorded");
    // Until the first media arrives the part is looked at ten times a second, so `recording`
    // shows within a moment of the first bytes; then once a second.
    if (t - last_disk_check >= (result.got_media ? std::chrono::milliseconds(1000) : std::chrono::milliseconds(100))) {
      last_disk_check = t;
      note_size(part_bytes(work, part), std::nullopt);
      // Free space every 5 s: at 10 Mbit/s that is about 6 MB, far inside any floor.
      if (watch.disk_floor_bytes && t - last_space_check >= std::chrono::seconds(5)) {
        last_space_check = t;
        if (auto space = sys::disk_space(work); space && space->free < watch.disk_floor_bytes)
          end_downloader(AttemptEnd::disk_full, "free space fell below the floor, storing what was recorded");
      }
      if (!asked_target && result.got_media && playlists.size() == 1 && watch.target_duration) {
        asked_target = true;
        if (auto target = watch.target_duration(playlists.front())) stall_timeout = config.stall_timeout_for(*target);
      }
      // Following a playlist, ffmpeg ends by itself once it stalls (a clean end that keeps the
      // last segment whole); the watchdog is the backstop a little later.
      const double grace = playlists.empty() ? 0 : 5;
      const double limit =
          result.got_media ? stall_timeout + grace : std::max(stall_timeout, watch.first_media_timeout_s);
      if (std::chrono::duration<double>(t - last_growth).count() > limit)
        end_downloader(AttemptEnd::stalled, "no new media for " + std::to_string(static_cast<int>(limit)) +
                                                " s, ending the downloader to reconnect");
    }
    if (interrupted_at && !second_signal && t - *interrupted_at > std::chrono::seconds(2)) {
      second_signal = true;
      signal_children(child->pid, SIGINT);
    }
    if (interrupted_at && t - *interrupted_at > std::chrono::seconds(20)) {
      spdlog::warn("job {}: downloader ignored SIGINT for 20 s, killing it", job.id);
      ::kill(-child->pid, SIGKILL);
      interrupted_at = t + std::chrono::hours(1);
    }
    // Once media flows, what the loop watches moves on a scale of seconds (and ffmpeg's progress
    // lines wake it twice a second anyway): no need to wake more often than once a second.
    const int r = ::poll(fds, 2, result.got_media ? 1000 : 50);
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
  result.exit = sys::wait_for(child->pid);
  // ffmpeg may outlive yt-dlp for a moment after a SIGINT: let the whole group finish writing.
  for (int i = 0; i < 50 && ::kill(-child->pid, 0) == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  note_size(part_bytes(work, part), std::nullopt, true);
  if (playlists.size() == 1) result.playlist_url = playlists.front();
  // A downloader that went quiet for a good part of the stall timeout before it exited stopped
  // because the stream stalled (ffmpeg's own hold limit), not because the stream ended.
  if (result.end == AttemptEnd::finished && result.got_media &&
      std::chrono::duration<double>(Clock::now() - last_growth).count() >= stall_timeout / 2)
    result.end = AttemptEnd::stalled;
  spdlog::info("job {}: part {} ended ({}): {} bytes, {:.1f} s{}", job.id, part, sys::describe(result.exit),
               result.bytes, result.duration_s, result.playlist_failed ? ", the playlist stopped answering" : "");
  return result;
}

}  // namespace chronicle::record
