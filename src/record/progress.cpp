#include "record/progress.hpp"

#include <cctype>
#include <cstdlib>

namespace chronicle::record {
namespace {

std::string_view value_after(std::string_view line, std::string_view key) {
  const auto at = line.find(key);
  if (at == std::string_view::npos) return {};
  auto rest = line.substr(at + key.size());
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  const auto end = rest.find(' ');
  return rest.substr(0, end);
}

std::optional<double> parse_clock(std::string_view v) {
  // HH:MM:SS.cc, possibly negative at the very start of a stream ("-00:00:00.04").
  if (v.empty() || v.front() == '-' || v == "N/A") return std::nullopt;
  int h = 0, m = 0;
  double s = 0;
  std::string text(v);
  if (std::sscanf(text.c_str(), "%d:%d:%lf", &h, &m, &s) != 3) return std::nullopt;
  return h * 3600.0 + m * 60.0 + s;
}

std::optional<std::uint64_t> parse_size(std::string_view v) {
  if (v.empty() || !std::isdigit(static_cast<unsigned char>(v.front()))) return std::nullopt;
  std::string text(v);
  char* end = nullptr;
  const double n = std::strtod(text.c_str(), &end);
  std::string unit(end);
  double mult = 1;
  if (unit == "kB" || unit == "KiB")
    mult = 1024;
  else if (unit == "mB" || unit == "MiB" || unit == "MB")
    mult = 1024.0 * 1024;
  else if (unit == "gB" || unit == "GiB" || unit == "GB")
    mult = 1024.0 * 1024 * 1024;
  else if (!unit.empty() && unit != "B")
    return std::nullopt;
  return static_cast<std::uint64_t>(n * mult);
}

}  // namespace

std::optional<FfmpegProgress> parse_ffmpeg_progress(std::string_view line) {
  if (line.find("time=") == std::string_view::npos) return std::nullopt;
  FfmpegProgress p;
  p.time_s = parse_clock(value_after(line, "time="));
  auto size = value_after(line, "Lsize=");
  if (size.empty()) size = value_after(line, "size=");
  p.size_bytes = parse_size(size);
  if (!p.time_s && !p.size_bytes) return std::nullopt;
  return p;
}

std::optional<std::string> parse_error_line(std::string_view line) {
  constexpr std::string_view kPrefix = "ERROR: ";
  const auto at = line.find(kPrefix);
  if (at == std::string_view::npos) return std::nullopt;
  std::string msg(line.substr(at + kPrefix.size()));
  while (!msg.empty() && std::isspace(static_cast<unsigned char>(msg.back()))) msg.pop_back();
  if (msg.empty()) return std::nullopt;
  return msg;
}

std::vector<std::string> LineSplitter::feed(std::string_view chunk) {
  std::vector<std::string> lines;
  for (char c : chunk) {
    if (c == '\n' || c == '\r') {
      if (!pending_.empty()) lines.push_back(std::move(pending_));
      pending_.clear();
    } else if (pending_.size() < std::size_t{64} * 1024) {
      pending_.push_back(c);
    }
  }
  return lines;
}

std::optional<std::string> LineSplitter::flush() {
  if (pending_.empty()) return std::nullopt;
  std::string out = std::move(pending_);
  pending_.clear();
  return out;
}

}  // namespace chronicle::record
