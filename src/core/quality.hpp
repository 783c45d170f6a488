#pragma once
// What quality a job records: a preset a user picks, or a yt-dlp format selector for experts.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace chronicle {

// The presets, in the order a picker lists them. "" (unset) records as `best`.
inline constexpr std::string_view kQualityPresets[] = {"best", "1080p", "720p", "480p", "audio"};

// The yt-dlp selector for a job's `format`: a preset's selector, the raw selector as given, or
// `fallback` (the configured default) when the job does not say.
std::string format_selector(const std::string& format, const std::string& fallback);

// Whether `format` may be stored on a job or channel: a preset, or a selector of the characters
// yt-dlp's selector grammar uses (it reaches yt-dlp as one argument after -f, never a shell).
Result<Ok> validate_format(const std::string& format);

// What was recorded, measured on the stored file (ffprobe).
struct MediaInfo {
  int width = 0, height = 0;  // 0: no video
  std::string video_codec, audio_codec;
  double fps = 0;
  std::uint64_t bitrate = 0;  // bits per second, of the whole file
  bool operator==(const MediaInfo&) const = default;
};
nlohmann::json to_json(const MediaInfo& media);
std::optional<MediaInfo> media_from_json(const nlohmann::json& j);
// ffprobe's `-show_streams -show_format -of json` output, read.
std::optional<MediaInfo> media_from_ffprobe(const nlohmann::json& probe);

}  // namespace chronicle
