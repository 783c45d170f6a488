#pragma once
// A job's recording of an HLS stream, by chronicle's own follower (src/hls): one follower per
// rendition (a muxed stream, or video and audio side by side), all writing to the job's segment
// journal. When the stream drops, the recording goes back to the submitted URL for a fresh
// playlist URL (through the resident extractor) within the reconnect window and goes on from
// the next segment it lacks; every gap and every ad break left out is written to the job.
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/job.hpp"
#include "core/ports.hpp"
#include "hls/client.hpp"

namespace chronicle::record {

// One media playlist the extraction selected.
struct HlsTarget {
  std::string rendition;  // "main" (video and audio in one), "video", "audio"
  std::string url;
  std::string format_id;
};

struct HlsSource {
  std::vector<HlsTarget> targets;  // the first one is the one the job's timeline follows
  hls::Headers headers;            // what the site asks for (User-Agent, Referer); never a Cookie
  std::string extractor;
};

// The HLS playlists among yt-dlp's selected formats; nullopt when any selected format is not HLS
// over http(s) (yt-dlp's own downloader records those).
std::optional<HlsSource> hls_source_from(const std::string& extracted_json);

struct HlsHooks {
  std::function<bool()> stop;
  std::function<void(std::uint64_t bytes, double duration_s)> progress;  // after every segment written
  // A fresh extraction of the job's URL (expired playlist URLs, a reconnect); nullopt when the
  // URL gives none now.
  std::function<std::optional<HlsSource>()> refresh;
};

class HlsRecording {
 public:
  HlsRecording(const Config& config, JobStore& store, const Job& job, std::filesystem::path work, HlsSource source,
               std::string cookies_file, HlsHooks hooks);
  ~HlsRecording();
  HlsRecording(const HlsRecording&) = delete;
  HlsRecording& operator=(const HlsRecording&) = delete;

  // Records until the stream ends, is stopped or lost, or must stop; returns the end_reason.
  std::string run();
  // Why it had to stop (forbidden_address, drm_protected, recording_overrun, storage_error).
  const std::optional<Error>& error() const { return error_; }
  // What ended the last round of the followers, when nothing was recorded ("HTTP 404", ...).
  const std::string& last_detail() const { return detail_; }
  // Call after anything hooks.stop reads has changed (from any thread): the followers sleep
  // until their next reload and look at it only when woken.
  void wake();
  // The file being written for the job's timeline, for live stills.
  std::optional<std::filesystem::path> newest_file() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::optional<Error> error_;
  std::string detail_;
};

// Where a job's journal lives in its work directory.
std::filesystem::path journal_dir(const std::filesystem::path& work);

}  // namespace chronicle::record
