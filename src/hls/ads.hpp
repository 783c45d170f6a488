#pragma once
// Which segments of a live playlist are advertising, by the markers sites put in their
// playlists. Each rule is a small plug-in asked the same question about each new segment, in
// order (streamlink asks its Twitch writer the same way); a job that keeps ads asks none.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "hls/playlist.hpp"

namespace chronicle::hls {

class AdRule {
 public:
  virtual ~AdRule() = default;
  // Called once per new segment, in playlist order across reloads; `playlist` is the reload that
  // lists it (its date ranges, its neighbours).
  virtual bool is_ad(const Segment& segment, const MediaPlaylist& playlist) = 0;
  virtual std::string name() const = 0;
};

// Twitch's stitched ads: an EXTINF title with "Amazon", or a segment whose PROGRAM-DATE-TIME
// falls in an EXT-X-DATERANGE of CLASS "twitch-stitched-ad" or an ID starting "stitched-ad-".
std::unique_ptr<AdRule> twitch_stitched_ads();
// SCTE-35 breaks signalled in the playlist: from EXT-X-CUE-OUT (or -CONT) to EXT-X-CUE-IN.
std::unique_ptr<AdRule> scte35_cue_breaks();

// The rules for a stream extracted by yt-dlp's `extractor` ("twitch:stream", "generic", ...).
// Both rules look only at markers that mean an ad wherever they appear, so every site gets both.
std::vector<std::unique_ptr<AdRule>> ad_rules_for(const std::string& extractor);

}  // namespace chronicle::hls
