#include "record/hls.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace chronicle::record {
namespace {

// The same resource, ignoring a query string (CDNs rotate tokens in them between reloads).
std::string without_query(const std::string& url) { return url.substr(0, url.find('?')); }

}  // namespace

std::optional<std::int64_t> sequence_of(const MediaPlaylist& playlist, const std::string& segment_url) {
  const std::string wanted = without_query(segment_url);
  for (std::size_t i = playlist.segments.size(); i-- > 0;)
    if (without_query(playlist.segments[i].uri) == wanted)
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
