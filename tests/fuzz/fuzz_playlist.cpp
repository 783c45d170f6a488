// Live HLS playlists, as a stranger's server may send them: parsing never crashes, and every
// segment it returns has a URL, a duration that is a number and a sequence that only grows.
#include <cmath>
#include <cstdlib>
#include <string>

#include "hls/follower.hpp"
#include "hls/playlist.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string base = "http://cdn.example/live/index.m3u8";
  if (auto playlist = chronicle::hls::parse_media(text, base)) {
    std::int64_t previous = -1;
    for (const auto& segment : playlist->segments) {
      if (segment.uri.empty() || !std::isfinite(segment.duration_s) || segment.sequence <= previous) std::abort();
      previous = segment.sequence;
    }
    (void)chronicle::hls::drm_in(*playlist);
  }
  if (auto master = chronicle::hls::parse_master(text, base))
    if (!chronicle::hls::best_variant(*master)) std::abort();
  return 0;
}
