#include "record/tools.hpp"

#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "sys/process.hpp"

namespace chronicle::record {

std::string ffprobe_path(const Config& config) {
  std::string ffprobe = config.ffmpeg;
  if (const auto pos = ffprobe.rfind("ffmpeg"); pos != std::string::npos) ffprobe.replace(pos, 6, "ffprobe");
  return ffprobe;
}

namespace {

bool executable_found(const std::string& program) {
  if (program.find('/') != std::string::npos) return ::access(program.c_str(), X_OK) == 0;
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/local/bin:/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':'))
    if (!dir.empty() && ::access(std::string(dir).append("/").append(program).c_str(), X_OK) == 0) return true;
  return false;
}

}  // namespace

Result<std::map<std::string, std::string>> check_tools(const Config& config, bool ask_versions) {
  struct Tool {
    std::string name, path, flag, setting;
  };
  const Tool tools[] = {{"yt-dlp", config.ytdlp, "--version", "CHRONICLE_YTDLP"},
                        {"ffmpeg", config.ffmpeg, "-version", "CHRONICLE_FFMPEG"},
                        {"ffprobe", ffprobe_path(config), "-version", "CHRONICLE_FFMPEG (ffprobe is found beside it)"}};
  std::map<std::string, std::string> versions;
  std::string missing;
  for (const auto& tool : tools) {
    if (!ask_versions) {
      if (executable_found(tool.path)) {
        versions[tool.name] = "";
        continue;
      }
      if (!missing.empty()) missing += "; ";
      missing += tool.name + " cannot be run as '" + tool.path + "' (set " + tool.setting + ")";
      continue;
    }
    sys::SpawnOptions o;
    o.argv = {tool.path, tool.flag};
    auto run = sys::run_capture(o, std::chrono::seconds(20), 64 << 10);
    if (!run || run->timed_out || run->status.code != 0) {
      if (!missing.empty()) missing += "; ";
      missing += tool.name + " cannot be run as '" + tool.path + "' (set " + tool.setting + ")";
      continue;
    }
    std::string first = run->out.substr(0, run->out.find('\n'));
    // "ffmpeg version 5.1.6-0+deb12u1 Copyright ..." -> "5.1.6-0+deb12u1"
    if (const auto at = first.find(" version "); at != std::string::npos) {
      first = first.substr(at + 9);
      first = first.substr(0, first.find(' '));
    }
    versions[tool.name] = first;
  }
  if (!missing.empty()) return make_error("tool_missing", missing);
  return versions;
}

namespace {

// "2023.03.04", "2024.08.06.232831" -> the day, or nullopt.
std::optional<std::chrono::sys_days> ytdlp_release_day(const std::string& version) {
  int y = 0, m = 0, d = 0;
  if (version.size() < 10 || std::sscanf(version.c_str(), "%4d.%2d.%2d", &y, &m, &d) != 3) return std::nullopt;
  const std::chrono::year_month_day day{std::chrono::year(y), std::chrono::month(static_cast<unsigned>(m)),
                                        std::chrono::day(static_cast<unsigned>(d))};
  if (!day.ok() || y < 2020) return std::nullopt;
  return std::chrono::sys_days(day);
}

}  // namespace

std::vector<std::string> tool_warnings(const std::map<std::string, std::string>& versions,
                                       std::chrono::system_clock::time_point today) {
  constexpr int kStaleDays = 90;
  std::vector<std::string> out;
  if (auto it = versions.find("yt-dlp"); it != versions.end())
    if (auto released = ytdlp_release_day(it->second)) {
      const auto age = std::chrono::floor<std::chrono::days>(today) - *released;
      if (age.count() > kStaleDays)
        out.push_back("yt-dlp " + it->second + " is " + std::to_string(age.count()) +
                      " days old: sites change their players every few weeks, and an old yt-dlp stops finding "
                      "their streams. Install a current one (the README's \"A current yt-dlp\") and set "
                      "CHRONICLE_YTDLP to it");
    }
  if (auto it = versions.find("ffmpeg"); it != versions.end()) {
    // "5.1.6-0+deb12u1", "4.4.2-0ubuntu0.22.04.1", "n6.1"; a git build ("N-112233-g...") is not judged.
    std::string v = it->second;
    if (!v.empty() && v[0] == 'n') v.erase(0, 1);
    int major = 0;
    if (!v.empty() && std::isdigit(static_cast<unsigned char>(v[0])) && std::sscanf(v.c_str(), "%d", &major) == 1 &&
        major < 5)
      out.push_back("ffmpeg " + it->second +
                    " is older than 5.0, which the recorder needs (-fps_mode, the concat demuxer's durations): "
                    "install ffmpeg 5 or later and set CHRONICLE_FFMPEG to it");
  }
  return out;
}

std::optional<Error> ytdlp_leaks_cookies(const Config& config) {
  constexpr const char* kFirstSafe = "2023.07.06";
  auto versions = check_tools(config);
  const std::string version = versions ? (*versions)["yt-dlp"] : std::string();
  // Versions are dates, "2023.03.04" (and "2023.07.06.1"): they compare as text.
  if (version.size() >= 10 && version.compare(0, 10, kFirstSafe) >= 0) return std::nullopt;
  return Error{"cookies_unsafe",
               "this stream is not HLS, so yt-dlp " + (version.empty() ? std::string("(version unknown)") : version) +
                   " would download it, and yt-dlp before " + kFirstSafe +
                   " sends a site's cookies to every host the stream leads to (CVE-2023-35934); the stored cookies "
                   "are not used with it: install yt-dlp " +
                   kFirstSafe + " or later (CHRONICLE_YTDLP)"};
}

}  // namespace chronicle::record
