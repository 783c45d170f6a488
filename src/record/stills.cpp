#include "record/stills.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "record/tools.hpp"
#include "sys/process.hpp"

namespace chronicle::record {
namespace fs = std::filesystem;

namespace {

constexpr auto kStillTimeout = std::chrono::seconds(30);
// MPEG-TS packets are 188 bytes; a window that starts on a packet boundary parses from its first
// byte. 6 MiB holds a keyframe interval of a 1080p stream at 8 Mb/s with room to spare.
constexpr std::uint64_t kTsPacket = 188;
constexpr std::uint64_t kLiveWindow = 6ull << 20;

bool non_empty_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec) && fs::file_size(p, ec) > 0 && !ec;
}

bool run_ffmpeg(const Config& config, std::vector<std::string> args, const fs::path& jpeg) {
  std::error_code ec;
  fs::remove(jpeg, ec);
  sys::SpawnOptions o;
  o.argv = {config.ffmpeg, "-nostdin", "-hide_banner", "-v", "error", "-y"};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  // Only local files: a recording is never a reason to fetch anything.
  o.capture_stdout = true;
  o.capture_stderr = true;
  auto run = sys::run_capture(o, kStillTimeout, 64 << 10);
  return run && !run->timed_out && run->status.code == 0 && non_empty_file(jpeg);
}

// Scaled to at most 640 wide, even dimensions (JPEG chroma), keeping the aspect ratio.
constexpr const char* kScale = "scale='min(640,iw)':-2";

}  // namespace

MediaProbe probe_media(const Config& config, const fs::path& file) {
  MediaProbe out;
  sys::SpawnOptions o;
  o.argv = {ffprobe_path(config), "-v", "error", "-show_streams", "-show_format", "-of", "json", file.string()};
  o.capture_stdout = true;
  o.capture_stderr = true;
  auto run = sys::run_capture(o, std::chrono::seconds(60));
  if (!run || run->status.code != 0) return out;
  const auto j = nlohmann::json::parse(run->out, nullptr, false);
  if (j.is_discarded()) return out;
  out.media = media_from_ffprobe(j);
  if (j.contains("format") && j["format"].is_object()) {
    const auto& f = j["format"];
    if (f.contains("duration") && f["duration"].is_string()) {
      try {
        out.duration_s = std::stod(f["duration"].get<std::string>());
      } catch (const std::exception&) {
      }
    }
  }
  return out;
}

bool write_poster(const Config& config, const fs::path& input, double at_s, const fs::path& jpeg) {
  const auto frame_at = [&](double seconds) {
    return run_ffmpeg(config,
                      {"-ss", std::to_string(seconds), "-i", input.string(), "-map", "0:v:0", "-frames:v", "1", "-vf",
                       kScale, "-q:v", "4", "-f", "image2", jpeg.string()},
                      jpeg);
  };
  // Seeking past the end gives no frame: the first one then.
  return frame_at(std::max(0.0, at_s)) || (at_s > 0 && frame_at(0));
}

bool write_live_still(const Config& config, const fs::path& part_ts, const fs::path& jpeg) {
  // The newest seconds of the part, copied out so ffmpeg reads a file that does not grow under it.
  sys::UniqueFd in(::open(part_ts.c_str(), O_RDONLY | O_CLOEXEC));
  struct stat st {};
  if (in.get() < 0 || ::fstat(in.get(), &st) != 0 || st.st_size <= 0) return false;
  const auto size = static_cast<std::uint64_t>(st.st_size) / kTsPacket * kTsPacket;
  const std::uint64_t start = size > kLiveWindow ? (size - kLiveWindow) / kTsPacket * kTsPacket : 0;
  const fs::path window = jpeg.string() + ".ts";
  {
    std::ofstream out(window, std::ios::binary | std::ios::trunc);
    std::vector<char> buf(1 << 20);
    std::uint64_t at = start;
    while (at < size) {
      const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), size - at));
      const auto got = ::pread(in.get(), buf.data(), want, static_cast<off_t>(at));
      if (got <= 0) break;
      out.write(buf.data(), got);
      at += static_cast<std::uint64_t>(got);
    }
    if (!out) return false;
  }
  // Only keyframes are decoded; each is written over the last, so the newest one stays.
  const bool made =
      run_ffmpeg(config,
                 {"-skip_frame", "nokey", "-f", "mpegts", "-i", window.string(), "-map", "0:v:0", "-vf", kScale,
                  "-fps_mode", "passthrough", "-q:v", "5", "-update", "1", "-f", "image2", jpeg.string()},
                 jpeg);
  std::error_code ec;
  fs::remove(window, ec);
  return made;
}

Result<std::string> store_still(ObjectStore& objects, const fs::path& jpeg, const std::string& desired_key) {
  std::ifstream in(jpeg, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.empty()) return make_error("storage_error", "cannot read " + jpeg.string());
  auto writer = objects.create(desired_key, bytes.size());
  if (!writer) return writer.error();
  auto written = (*writer)->write(std::as_bytes(std::span(bytes.data(), bytes.size())));
  if (!written) return written.error();
  auto info = (*writer)->commit();
  if (!info) return info.error();
  return info->key;
}

std::string thumbnail_url(const Config& config, const std::string& job_id) {
  return config.effective_public_url() + "/api/v1/jobs/" + job_id + "/thumbnail";
}

}  // namespace chronicle::record
