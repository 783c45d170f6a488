#include "record/hls.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace chronicle::record {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}

// A duration or count from a stranger's playlist: "nan", "inf" and negative values count as 0,
// so they never reach the gap arithmetic (or the job's JSON).
double number_after(std::string_view line, std::size_t prefix) {
  const double v = std::strtod(std::string(line.substr(prefix)).c_str(), nullptr);
  return std::isfinite(v) && v > 0 && v < 1e6 ? v : 0;
}

// The same resource, ignoring a query string (CDNs rotate tokens in them between reloads).
std::string without_query(const std::string& url) { return url.substr(0, url.find('?')); }

}  // namespace

std::string resolve_url(const std::string& base, const std::string& reference) {
  if (reference.find("://") != std::string::npos) return reference;
  const auto scheme_end = base.find("://");
  if (scheme_end == std::string::npos) return reference;
  if (reference.starts_with("//")) return base.substr(0, scheme_end + 1) + reference;
  const auto authority_end = base.find('/', scheme_end + 3);
  const std::string origin = authority_end == std::string::npos ? base : base.substr(0, authority_end);
  if (reference.starts_with("/")) return origin + reference;
  std::string path = authority_end == std::string::npos ? "/" : base.substr(authority_end);
  path = path.substr(0, path.find_first_of("?#"));
  path = path.substr(0, path.rfind('/') + 1);
  return origin + path + reference;
}

std::optional<MediaPlaylist> parse_media_playlist(std::string_view text, const std::string& playlist_url) {
  MediaPlaylist playlist;
  bool header = false, media = false;
  double pending_duration = 0;
  while (!text.empty()) {
    const auto eol = text.find('\n');
    const std::string_view line = trim(text.substr(0, eol));
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
    if (line.empty()) continue;
    if (line == "#EXTM3U") {
      header = true;
    } else if (line.starts_with("#EXT-X-STREAM-INF")) {
      return std::nullopt;  // a master playlist
    } else if (line.starts_with("#EXT-X-MEDIA-SEQUENCE:")) {
      // Kept where sequence arithmetic cannot overflow (the spec allows 0 to 2^64-1).
      playlist.media_sequence =
          std::clamp<long long>(std::strtoll(std::string(line.substr(22)).c_str(), nullptr, 10), 0, 1LL << 53);
    } else if (line.starts_with("#EXT-X-TARGETDURATION:")) {
      playlist.target_duration_s = number_after(line, 22);
      media = true;
    } else if (line.starts_with("#EXTINF:")) {
      pending_duration = number_after(line, 8);
      media = true;
    } else if (line == "#EXT-X-ENDLIST") {
      playlist.ended = true;
    } else if (line.front() != '#') {
      playlist.segments.push_back({resolve_url(playlist_url, std::string(line)), pending_duration});
      pending_duration = 0;
    }
  }
  if (!header || !media) return std::nullopt;
  return playlist;
}

std::optional<std::int64_t> sequence_of(const MediaPlaylist& playlist, const std::string& segment_url) {
  const std::string wanted = without_query(segment_url);
  for (std::size_t i = playlist.segments.size(); i-- > 0;)
    if (without_query(playlist.segments[i].url) == wanted)
      return playlist.media_sequence + static_cast<std::int64_t>(i);
  return std::nullopt;
}

ResumePlan plan_resume(const MediaPlaylist& playlist, const ResumePoint& point) {
  ResumePlan plan;
  if (!point.last_segment_url.empty()) {
    if (auto seq = sequence_of(playlist, point.last_segment_url)) {
      if (!point.last_sequence || *point.last_sequence == *seq) {
        plan.start_index = static_cast<std::size_t>(*seq - playlist.media_sequence) + 1;
        plan.same_session = true;
      }
    } else if (point.last_sequence && playlist.media_sequence > *point.last_sequence) {
      plan.same_session = true;  // the same numbering, moved on past what was recorded
    }
  }
  for (std::size_t i = plan.start_index; i < playlist.segments.size(); ++i)
    plan.behind_s += playlist.segments[i].duration_s;
  return plan;
}

}  // namespace chronicle::record
