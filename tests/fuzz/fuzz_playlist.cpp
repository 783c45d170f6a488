// Live HLS media playlists, as a stranger's server may send them: parsing never crashes, and
// every segment it returns has a URL and a duration that is a number.
#include <cmath>
#include <cstdlib>
#include <string>

#include "record/hls.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto playlist = chronicle::record::parse_media_playlist(text, "http://cdn.example/live/index.m3u8")) {
    for (const auto& segment : playlist->segments)
      if (segment.url.empty() || std::isnan(segment.duration_s)) std::abort();
    if (!playlist->segments.empty()) {
      chronicle::record::ResumePoint resume{playlist->segments.back().url, std::nullopt};
      const auto plan = chronicle::record::plan_resume(*playlist, resume);
      if (plan.start_index > playlist->segments.size()) std::abort();
    }
  }
  return 0;
}
