#include "core/quality.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace chronicle {

namespace {

constexpr std::size_t kMaxSelectorLength = 200;

// A height cap that still records something when the stream has nothing that small (or does not
// say its heights): the smallest it has. Variants carrying audio and video together are the usual
// HLS case, so `b[...]` comes right after the split form.
std::string capped(int height) {
  const std::string cap = "[height<=" + std::to_string(height) + "]";
  return "bv*" + cap + "+ba/b" + cap + "/wv*+ba/w";
}

}  // namespace

std::string format_selector(const std::string& format, const std::string& fallback) {
  if (format.empty()) return fallback;
  if (format == "best") return "bv*+ba/b";
  if (format == "1080p") return capped(1080);
  if (format == "720p") return capped(720);
  if (format == "480p") return capped(480);
  // Audio alone where the site offers it; a stream that only has muxed variants gives its smallest.
  if (format == "audio") return "ba/w";
  return format;
}

Result<Ok> validate_format(const std::string& format) {
  if (format.empty()) return Ok{};
  if (std::find(std::begin(kQualityPresets), std::end(kQualityPresets), format) != std::end(kQualityPresets))
    return Ok{};
  if (format.size() > kMaxSelectorLength)
    return make_error("invalid_format", "format is longer than " + std::to_string(kMaxSelectorLength) + " characters");
  if (format.front() == '-')
    return make_error("invalid_format", "format must not begin with '-' (it is a yt-dlp format selector)");
  constexpr std::string_view kAllowed =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_*+/[]()<>=!?^$~,.:'\"- ";
  for (char c : format)
    if (kAllowed.find(c) == std::string_view::npos)
      return make_error("invalid_format", std::string("format is a preset (best, 1080p, 720p, 480p, audio) or a yt-dlp "
                                                      "format selector; '") +
                                              c + "' cannot be part of one");
  return Ok{};
}

nlohmann::json to_json(const MediaInfo& m) {
  nlohmann::json j = {{"bitrate", m.bitrate}};
  if (m.height > 0) {
    j["width"] = m.width;
    j["height"] = m.height;
  } else {
    j["width"] = nullptr;
    j["height"] = nullptr;
  }
  j["video_codec"] = m.video_codec.empty() ? nlohmann::json(nullptr) : nlohmann::json(m.video_codec);
  j["audio_codec"] = m.audio_codec.empty() ? nlohmann::json(nullptr) : nlohmann::json(m.audio_codec);
  j["fps"] = m.fps > 0 ? nlohmann::json(m.fps) : nlohmann::json(nullptr);
  return j;
}

std::optional<MediaInfo> media_from_json(const nlohmann::json& j) {
  if (!j.is_object()) return std::nullopt;
  MediaInfo m;
  auto number = [&](const char* key) { return j.contains(key) && j[key].is_number() ? j[key].get<double>() : 0.0; };
  auto text = [&](const char* key) {
    return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
  };
  m.width = static_cast<int>(number("width"));
  m.height = static_cast<int>(number("height"));
  m.fps = number("fps");
  m.bitrate = static_cast<std::uint64_t>(std::max(0.0, number("bitrate")));
  m.video_codec = text("video_codec");
  m.audio_codec = text("audio_codec");
  return m;
}

namespace {

double parse_number(const std::string& text) {
  double v = 0;
  std::from_chars(text.data(), text.data() + text.size(), v);
  return v;
}

// "30000/1001" -> 29.97; "0/0" -> 0.
double parse_rate(const std::string& text) {
  const auto slash = text.find('/');
  if (slash == std::string::npos) return parse_number(text);
  const double num = parse_number(text.substr(0, slash)), den = parse_number(text.substr(slash + 1));
  return den > 0 ? num / den : 0;
}

}  // namespace

std::optional<MediaInfo> media_from_ffprobe(const nlohmann::json& probe) {
  if (!probe.is_object() || !probe.contains("streams") || !probe["streams"].is_array()) return std::nullopt;
  MediaInfo m;
  for (const auto& s : probe["streams"]) {
    const std::string type = s.value("codec_type", "");
    if (type == "video" && m.video_codec.empty()) {
      // A cover picture (attached_pic) is not the recording's video.
      if (s.contains("disposition") && s["disposition"].value("attached_pic", 0) == 1) continue;
      m.video_codec = s.value("codec_name", "");
      m.width = s.value("width", 0);
      m.height = s.value("height", 0);
      m.fps = parse_rate(s.value("avg_frame_rate", ""));
      if (m.fps <= 0) m.fps = parse_rate(s.value("r_frame_rate", ""));
      m.fps = static_cast<double>(std::lround(m.fps * 100)) / 100;
    } else if (type == "audio" && m.audio_codec.empty()) {
      m.audio_codec = s.value("codec_name", "");
    }
  }
  if (probe.contains("format") && probe["format"].is_object()) {
    const auto& f = probe["format"];
    if (f.contains("bit_rate") && f["bit_rate"].is_string())
      m.bitrate = static_cast<std::uint64_t>(parse_number(f["bit_rate"].get<std::string>()));
  }
  if (m.video_codec.empty() && m.audio_codec.empty()) return std::nullopt;
  return m;
}

}  // namespace chronicle
