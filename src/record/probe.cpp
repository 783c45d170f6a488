#include "record/probe.hpp"

#include <nlohmann/json.hpp>

#include <spdlog/spdlog.h>

#include <mutex>

#include "egress/proxy.hpp"
#include "record/extractor.hpp"
#include "record/progress.hpp"
#include "sys/process.hpp"

namespace chronicle::record {

Error stream_error(const std::string& url, const std::string& message) {
  std::string code = "not_a_stream";
  std::string reason = message;
  if (message.find("HTTP Error 404") != std::string::npos)
    code = "stream_not_found";
  else if (message.find("HTTP Error") != std::string::npos)
    code = "stream_unavailable";
  else if (message.find("Unsupported URL") != std::string::npos)
    reason = "no audio or video found at this address";
  return make_error(code, "not a recordable stream: " + url + " (" + reason + ")");
}

namespace {

// yt-dlp once per probe, as a process of its own.
Result<nlohmann::json> extract_once(const Config& config, const std::string& url) {
  auto proxy = egress::EgressProxy::start(config.url_policy());
  if (!proxy) return proxy.error();
  sys::SpawnOptions options;
  options.argv = {config.ytdlp,
                  "--proxy",
                  proxy.value()->url(),
                  "--ignore-config",
                  "--no-playlist",
                  "--no-warnings",
                  "--no-cache-dir",  // inside Lambda only /tmp is writable
                  "--dump-single-json",
                  "-f",
                  config.ytdlp_format,
                  "--",
                  url};
  const auto timeout = std::chrono::milliseconds(static_cast<long long>(config.probe_timeout_s * 1000));
  auto run = sys::run_capture(options, timeout);
  if (!run) return make_error("probe_failed", "cannot run yt-dlp (" + config.ytdlp + "): " + run.error().message);
  if (auto refusal = proxy.value()->first_refusal())
    return make_error("forbidden_address", "not recorded: " + refusal->message);
  if (run->timed_out)
    return make_error("probe_timeout", "yt-dlp did not answer within " +
                                           std::to_string(static_cast<int>(config.probe_timeout_s)) + " s for " + url);
  if (run->status.code != 0) {
    std::string last_error;
    LineSplitter lines;
    auto all = lines.feed(run->err);
    if (auto tail = lines.flush()) all.push_back(*tail);
    for (const auto& line : all)
      if (auto e = parse_error_line(line)) last_error = *e;
    if (last_error.empty()) last_error = "yt-dlp " + sys::describe(run->status);
    return make_error("extract_failed", last_error);
  }
  auto info = nlohmann::json::parse(run->out, nullptr, /*allow_exceptions=*/false);
  if (info.is_discarded()) return make_error("probe_failed", "yt-dlp printed something that is not JSON for " + url);
  return trim_info(info);
}

// The process's resident worker: made once, on first use, and kept for the life of the process
// (deliberately never destroyed: its worker ends when this process's end of the pipe closes).
Extractor* resident_extractor(const Config& config) {
  static std::mutex mutex;
  static Extractor* instance = nullptr;
  static bool tried = false;
  std::lock_guard lock(mutex);
  if (tried) return instance;
  tried = true;
  if (!config.resident_extractor) return nullptr;
  auto started = Extractor::start(config, config.dispatch_concurrency);
  if (!started) {
    spdlog::info("probing with a yt-dlp process per job: {}", started.error().message);
    return nullptr;
  }
  instance = started->release();
  return instance;
}

std::string text_of(const nlohmann::json& info, const char* key) {
  return info.contains(key) && info[key].is_string() ? info[key].get<std::string>() : std::string();
}

}  // namespace

bool start_resident_extractor(const Config& config) { return resident_extractor(config) != nullptr; }

Result<StreamInfo> probe_stream(const Config& config, const std::string& url) {
  const auto timeout = std::chrono::milliseconds(static_cast<long long>(config.probe_timeout_s * 1000));
  Result<nlohmann::json> info = make_error("worker_unavailable", "");
  if (auto* extractor = resident_extractor(config)) info = extractor->extract(url, config.ytdlp_format, timeout);
  if (!info && info.error().code == "worker_unavailable") info = extract_once(config, url);
  if (!info) {
    if (info.error().code == "extract_failed") return stream_error(url, info.error().message);
    return info.error();
  }
  StreamInfo s;
  s.title = text_of(*info, "title");
  s.live_status = text_of(*info, "live_status");
  s.protocol = text_of(*info, "protocol");
  if (!info->value("has_formats", false)) return stream_error(url, "yt-dlp found no audio or video formats");
  if (s.live_status == "is_upcoming")
    return make_error("stream_not_started", "the stream at " + url + " has not started yet");
  s.extracted = info->dump();
  return s;
}

}  // namespace chronicle::record
