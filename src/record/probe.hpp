#pragma once
#include <string>

#include "core/config.hpp"
#include "core/result.hpp"

namespace chronicle::record {

struct StreamInfo {
  std::string title;
  std::string protocol;     // of the selected format: "m3u8_native", "https", ...
  std::string live_status;  // as yt-dlp reports it; empty when the extractor does not say
};

// Asks yt-dlp (with a timeout) whether `url` is something it can record, without downloading.
// Errors carry yt-dlp's own reason, e.g. "HTTP Error 404: Not Found" or "Unsupported URL".
Result<StreamInfo> probe_stream(const Config& config, const std::string& url);

// Turns a yt-dlp "ERROR:" message into the error a user sees.
Error stream_error(const std::string& url, const std::string& ytdlp_message);

}  // namespace chronicle::record
