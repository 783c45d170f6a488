#pragma once
#include <string>

#include <optional>

#include "core/channel.hpp"
#include "core/cookies.hpp"

#include <filesystem>
#include "core/config.hpp"
#include "core/result.hpp"

namespace chronicle::record {

// The environment variable a local recorder finds the probe's extraction in (StreamInfo::extracted).
inline constexpr const char* kExtractedEnv = "CHRONICLE_EXTRACTED";

struct StreamInfo {
  std::string title;
  std::string protocol;     // of the selected format: "m3u8_native", "https", ...
  std::string live_status;  // as yt-dlp reports it; empty when the extractor does not say
  // yt-dlp's info, trimmed (see trim_info): handed to a recorder so that it does not extract the
  // same URL again. It may hold signed media URLs: it is never stored with the job or shown.
  std::string extracted;
  // The site announces the stream for later (yt-dlp's is_upcoming): nothing to record yet.
  bool upcoming = false;
  std::optional<TimePoint> starts_at;  // its release_timestamp, when given
};

// What a probe asks for beyond the URL: the job's format selector (core/quality.hpp; empty: the
// configured default).
struct ProbeOptions {
  std::string selector;
  std::string cookies_file;  // a Netscape cookies file for yt-dlp (a copy: yt-dlp writes it back)
  // false: a `yt-dlp -J` of its own, never the resident worker (a recorder asking for the title
  // every few minutes should not keep a worker of 50 MiB for it).
  bool resident = true;
};

// The cookies a job's URL gets (the stored domain its host is on), copied into `dir` (0600) for
// yt-dlp; "" when there are none. The copy is the caller's to remove.
std::string cookies_copy_for(CookieStore* cookies, const std::string& url, const std::filesystem::path& dir);

// Asks yt-dlp (with a timeout) whether `url` is something it can record, without downloading:
// through the resident extraction worker when it runs (see extractor.hpp), else a `yt-dlp -J`.
// Errors carry yt-dlp's own reason, e.g. "HTTP Error 404: Not Found" or "Unsupported URL".
Result<StreamInfo> probe_stream(const Config& config, const std::string& url, const ProbeOptions& options = {});

// Whether `url` is live now, for a channel check: a stream yt-dlp reports live; for sites that do
// not say (a plain playlist, a page with a <video>), an HLS playlist that has not ended. A file, a
// finished broadcast or an error that means "nothing here now" (404, no media) is `offline`;
// errors that mean the check itself failed (a refused address, a timeout, yt-dlp missing) are
// errors.
Result<LiveCheck> check_live(const Config& config, const std::string& url);

// Starts the process's resident extraction worker now (serve does at start, so the first submit
// does not wait for Python to import yt-dlp). False when probes will run yt-dlp per probe.
bool start_resident_extractor(const Config& config);

// Turns a yt-dlp "ERROR:" message into the error a user sees. An announced stream's message
// ("This live event will begin in 3 hours") gives stream_not_started.
Error stream_error(const std::string& url, const std::string& ytdlp_message);

}  // namespace chronicle::record
