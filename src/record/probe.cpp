#include "record/probe.hpp"

#include <nlohmann/json.hpp>

#include "egress/proxy.hpp"
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

Result<StreamInfo> probe_stream(const Config& config, const std::string& url) {
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
    return stream_error(url, last_error);
  }
  nlohmann::json info;
  try {
    info = nlohmann::json::parse(run->out);
  } catch (const std::exception&) {
    return make_error("probe_failed", "yt-dlp printed something that is not JSON for " + url);
  }
  StreamInfo s;
  if (info.contains("title") && info["title"].is_string()) s.title = info["title"].get<std::string>();
  if (info.contains("live_status") && info["live_status"].is_string())
    s.live_status = info["live_status"].get<std::string>();
  if (info.contains("protocol") && info["protocol"].is_string()) s.protocol = info["protocol"].get<std::string>();
  const bool has_formats = (info.contains("formats") && info["formats"].is_array() && !info["formats"].empty()) ||
                           info.contains("url") || info.contains("requested_formats");
  if (!has_formats) return stream_error(url, "yt-dlp found no audio or video formats");
  if (s.live_status == "is_upcoming")
    return make_error("stream_not_started", "the stream at " + url + " has not started yet");
  return s;
}

}  // namespace chronicle::record
