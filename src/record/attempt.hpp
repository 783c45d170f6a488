#pragma once
// One run of the downloader (yt-dlp driving ffmpeg) into one part of a job's recording, watched
// the whole time: progress, the playlist and segments ffmpeg opens, a stall watchdog on the
// bytes on disk, the free-space floor, and stop requests.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/job.hpp"
#include "sys/process.hpp"

namespace chronicle::record {

// The yt-dlp command line for one part: best quality, ffmpeg following the live playlist from
// `live_start_index` (HLS), MPEG-TS while recording (append-safe) and no remux at the end (the
// parts are joined into Matroska once, after the last one). `--` guards the URL.
// For HLS, ffmpeg itself also ends a playlist that stops growing, after about the stall timeout
// (`-m3u8_hold_counters`, from the segments' `target_duration_s`, 1 s when not known yet): it
// then writes out the last segment in full, which an interrupted ffmpeg would drop.
// The protocols ffmpeg may use for a recording's input: what the egress guard carries.
inline constexpr const char* kDownloaderProtocols = "http,https,tcp,tls,crypto,data,httpproxy";

std::vector<std::string> downloader_argv(const Config& config, const Job& job, const std::string& output_template,
                                         std::optional<std::size_t> live_start_index, double target_duration_s = 0,
                                         const std::string& cookies_file = "");

// The output template of part `number` inside the work directory: "part-001.%(ext)s".
std::string part_template(int number);

enum class AttemptEnd {
  finished,   // the downloader exited by itself
  stopped,    // a stop was requested
  stalled,    // no new media for the stall timeout: the downloader was ended
  disk_full,  // free space fell below the floor: the downloader was ended
};

struct AttemptResult {
  AttemptEnd end = AttemptEnd::finished;
  sys::ExitStatus exit;
  std::string last_error;        // the last "ERROR: ..." line
  bool playlist_failed = false;  // ffmpeg could not reload the live playlist
  std::string playlist_url;      // the media playlist ffmpeg followed ("" if none, or several)
  std::string last_segment_url;  // the last media segment ffmpeg opened
  std::uint64_t bytes = 0;       // of this part
  double duration_s = 0;         // of this part, as ffmpeg reported it
  bool got_media = false;
};

struct AttemptWatch {
  double stall_timeout_s = 30;
  // Seconds to wait for the first media before the attempt counts as stalled (extraction).
  double first_media_timeout_s = 60;
  std::uint64_t disk_floor_bytes = 0;
  double target_duration_s = 0;  // of the playlist's segments, when known before the launch
  std::string proxy_url;         // the egress guard every connection of the downloader goes through
  std::string cookies_file;      // yt-dlp's --cookies (the job's domain's), "" for none
  std::function<bool()> stop_requested;
  // Called from the watching thread with this part's bytes and duration, and whether new media
  // arrived since the last call (bytes the downloader writes while finishing do not count).
  std::function<void(std::uint64_t bytes, double duration_s, bool grew)> on_progress;
  // Called with the first media segment ffmpeg opens in this attempt.
  std::function<void(const std::string& segment_url)> on_first_segment;
  // Seconds of target duration, when the playlist names one (read once per attempt).
  std::function<std::optional<double>(const std::string& playlist_url)> target_duration;
};

AttemptResult run_attempt(const Config& config, const Job& job, const std::filesystem::path& work, int part,
                          std::optional<std::size_t> live_start_index, const AttemptWatch& watch);

// "Opening 'URL' for reading": the URL ffmpeg opens (logged for the playlist and every segment).
std::optional<std::string> parse_opening_line(const std::string& line);
// "Input #0, hls, from 'URL':": the playlist ffmpeg was given.
std::optional<std::string> parse_input_line(const std::string& line);

}  // namespace chronicle::record
