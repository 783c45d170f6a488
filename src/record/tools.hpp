#pragma once
// The programs a recording needs. serve and record look for them at start, so a missing one is
// a clear configuration error instead of a recording that silently keeps nothing.
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/result.hpp"

namespace chronicle::record {

// ffprobe is found beside the configured ffmpeg.
std::string ffprobe_path(const Config& config);

// Name -> version ("yt-dlp" -> "2023.03.04"), or an error (code tool_missing) naming each tool
// that cannot be run and the setting that chooses it. Without `ask_versions` the tools are only
// looked up (an executable file at the path or on PATH): a recorder starts 0.4 s sooner than
// when it runs all three, and serve has already asked them.
Result<std::map<std::string, std::string>> check_tools(const Config& config, bool ask_versions = true);

// yt-dlp before 2023.07.06 hands a site's cookies to ffmpeg as a header, which goes to every host
// the stream leads to and shows in the process table (CVE-2023-35934). The error (cookies_unsafe)
// when the configured yt-dlp is such a version, or its version cannot be told.
std::optional<Error> ytdlp_leaks_cookies(const Config& config);

// What an operator must hear about the tools found (check_tools' versions), as of `today`: a
// yt-dlp older than 90 days (sites change their players every few weeks; yt-dlp itself warns
// past 90 days), an ffmpeg older than the 5.0 the recorder's arguments need. Versions that are
// not release numbers (a git build) are not judged.
std::vector<std::string> tool_warnings(const std::map<std::string, std::string>& versions,
                                       std::chrono::system_clock::time_point today);

}  // namespace chronicle::record
