#include "hls/ads.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <utility>

namespace chronicle::hls {
namespace {

// A break's date range is remembered by its ID: the tag rides on the break's first segment, so a
// break longer than the window is listed, after a few reloads, without it.
class TwitchStitchedAds final : public AdRule {
 public:
  bool is_ad(const Segment& segment, const MediaPlaylist& playlist) override {
    for (const auto& range : playlist.dateranges) {
      if (range.klass != "twitch-stitched-ad" && !range.id.starts_with("stitched-ad-")) continue;
      if (!range.start_ms) continue;
      breaks_[range.id] = {*range.start_ms,
                           *range.start_ms + static_cast<std::int64_t>(range.duration_s.value_or(0) * 1000)};
    }
    if (segment.title.find("Amazon") != std::string::npos) return true;
    if (!segment.program_date_time_ms) return false;
    const auto at = *segment.program_date_time_ms;
    // Breaks long over are forgotten: a day of breaks stays a handful of entries.
    std::erase_if(breaks_, [&](const auto& b) { return b.second.second + kForgetAfterMs < at; });
    return std::any_of(breaks_.begin(), breaks_.end(),
                       [&](const auto& b) { return at >= b.second.first && at < b.second.second; });
  }
  std::string name() const override { return "twitch-stitched-ad"; }

 private:
  static constexpr std::int64_t kForgetAfterMs = std::int64_t{10} * 60 * 1000;
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> breaks_;  // id -> [start, end) in ms
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
