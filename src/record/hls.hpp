#pragma once
// What the recorder needs to know about an HLS media playlist to resume a live stream without
// recording a segment twice or skipping one: which segments it lists, from which media
// sequence number, and whether the broadcaster has ended it. Pure logic, unit-tested.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hls/playlist.hpp"

namespace chronicle::record {

// The playlist model is chronicle's HLS client's (src/hls); the resume plan below is what yt-dlp's
// downloader needs of it.
using HlsSegment = hls::Segment;
using MediaPlaylist = hls::MediaPlaylist;
using hls::resolve_url;

// nullopt when the text is not an HLS media playlist (a master playlist is not one).
inline std::optional<MediaPlaylist> parse_media_playlist(std::string_view text, const std::string& playlist_url) {
  return hls::parse_media(text, playlist_url);
}

// Where the recording left off in a playlist: the last segment written, and its media sequence
// number when it was known.
struct ResumePoint {
  std::string last_segment_url;
  std::optional<std::int64_t> last_sequence;
};

struct ResumePlan {
  std::size_t start_index = 0;  // the first playlist entry still to record
  double behind_s = 0;          // media listed from there on: published while nobody recorded
  bool same_session = false;    // the playlist continues the one recorded before
};

// The entry after the last one recorded when the playlist still lists it (and its media
// sequence agrees), else the oldest entry: a fresh session, or one that moved past everything
// recorded, is taken from its start.
ResumePlan plan_resume(const MediaPlaylist& playlist, const ResumePoint& point);

// The media sequence number of `segment_url` in `playlist`, if listed.
std::optional<std::int64_t> sequence_of(const MediaPlaylist& playlist, const std::string& segment_url);

}  // namespace chronicle::record
