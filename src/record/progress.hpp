#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chronicle::record {

// ffmpeg's status line: "frame= 250 fps= 31 q=-1.0 size=    2304kB time=00:00:10.02 bitrate=..."
struct FfmpegProgress {
  std::optional<double> time_s;
  std::optional<std::uint64_t> size_bytes;
};
std::optional<FfmpegProgress> parse_ffmpeg_progress(std::string_view line);

// yt-dlp / ffmpeg error lines ("ERROR: ...") carry the reason a user should read.
std::optional<std::string> parse_error_line(std::string_view line);

// Splits a byte stream into lines on '\n' or '\r' (ffmpeg redraws its status with '\r').
class LineSplitter {
 public:
  std::vector<std::string> feed(std::string_view chunk);
  std::optional<std::string> flush();

 private:
  std::string pending_;
};

}  // namespace chronicle::record
