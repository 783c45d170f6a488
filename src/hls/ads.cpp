#include "hls/ads.hpp"

namespace chronicle::hls {
namespace {

class TwitchStitchedAds final : public AdRule {
 public:
  bool is_ad(const Segment& segment, const MediaPlaylist& playlist) override {
    if (segment.title.find("Amazon") != std::string::npos) return true;
    if (!segment.program_date_time_ms) return false;
    const auto at = *segment.program_date_time_ms;
    for (const auto& range : playlist.dateranges) {
      if (range.klass != "twitch-stitched-ad" && !range.id.starts_with("stitched-ad-")) continue;
      if (!range.start_ms) continue;
      const auto end = *range.start_ms + static_cast<std::int64_t>(range.duration_s.value_or(0) * 1000);
      if (at >= *range.start_ms && at < end) return true;
    }
    return false;
  }
  std::string name() const override { return "twitch-stitched-ad"; }
};

// The break's state is carried from one segment to the next: a playlist whose window begins
// inside a break without a CUE-OUT-CONT still counts the segments until CUE-IN as the break's.
class Scte35CueBreaks final : public AdRule {
 public:
  bool is_ad(const Segment& segment, const MediaPlaylist&) override {
    if (segment.cue_in) in_break_ = false;
    if (segment.cue_out) in_break_ = true;
    return in_break_;
  }
  std::string name() const override { return "scte35"; }

 private:
  bool in_break_ = false;
};

}  // namespace

std::unique_ptr<AdRule> twitch_stitched_ads() { return std::make_unique<TwitchStitchedAds>(); }
std::unique_ptr<AdRule> scte35_cue_breaks() { return std::make_unique<Scte35CueBreaks>(); }

std::vector<std::unique_ptr<AdRule>> ad_rules_for(const std::string&) {
  std::vector<std::unique_ptr<AdRule>> rules;
  rules.push_back(twitch_stitched_ads());
  rules.push_back(scte35_cue_breaks());
  return rules;
}

}  // namespace chronicle::hls
