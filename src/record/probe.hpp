#pragma once
#include <string>

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
};

// Asks yt-dlp (with a timeout) whether `url` is something it can record, without downloading:
// through the resident extraction worker when it runs (see extractor.hpp), else a `yt-dlp -J`.
// Errors carry yt-dlp's own reason, e.g. "HTTP Error 404: Not Found" or "Unsupported URL".
Result<StreamInfo> probe_stream(const Config& config, const std::string& url);

// Starts the process's resident extraction worker now (serve does at start, so the first submit
// does not wait for Python to import yt-dlp). False when probes will run yt-dlp per probe.
bool start_resident_extractor(const Config& config);

// Turns a yt-dlp "ERROR:" message into the error a user sees.
Error stream_error(const std::string& url, const std::string& ytdlp_message);

}  // namespace chronicle::record
