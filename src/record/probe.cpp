#include "record/probe.hpp"

#include "hls/follower.hpp"
#include "hls/playlist.hpp"
#include "record/hls_recording.hpp"

#include <nlohmann/json.hpp>

#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <unistd.h>

#include <mutex>
#include <optional>

#include "core/waiting.hpp"
#include "egress/proxy.hpp"
#include "record/extractor.hpp"
#include "record/hls.hpp"
#include "record/progress.hpp"
#include "sys/http_fetch.hpp"
#include "sys/process.hpp"

namespace chronicle::record {

namespace {

// "HTTP Error 404: Not Found" in yt-dlp's words -> "404 Not Found".
std::optional<std::string> http_status_in(const std::string& message) {
  const auto at = message.find("HTTP Error ");
  if (at == std::string::npos) return std::nullopt;
  std::string status = message.substr(at + 11);
  status = status.substr(0, status.find_first_of("\n(;"));
  if (const auto colon = status.find(": "); colon != std::string::npos) status.replace(colon, 2, " ");
  while (!status.empty() && (status.back() == ' ' || status.back() == '.')) status.pop_back();
  return status;
}

// yt-dlp's message without what is addressed to its own developers ("please report this issue
// on https://github.com/yt-dlp/yt-dlp/issues ...", "Confirm you are on the latest version ...").
std::string short_reason(std::string message) {
  for (const char* tail : {"; please report this issue", " please report this issue", ". Please report",
                           "; Confirm you", " Confirm you are on the latest"})
    if (const auto at = message.find(tail); at != std::string::npos) message.resize(at);
  if (message.starts_with("ERROR: ")) message.erase(0, 7);
  // "[generic] Unable to ..." -> "Unable to ...": the extractor's name means nothing to a person.
  if (!message.empty() && message.front() == '[')
    if (const auto close = message.find("] "); close != std::string::npos) message.erase(0, close + 2);
  if (message.size() > 200) message = message.substr(0, 199) + "~";
  return message;
}

}  // namespace

Error stream_error(const std::string& url, const std::string& message) {
  // A short reason for people; yt-dlp's whole text stays in the detail.
  std::string code = "not_a_stream";
  std::string reason;
  if (message.find("will begin in") != std::string::npos || message.find("Premieres in") != std::string::npos ||
      message.find("is_upcoming") != std::string::npos) {
    code = "stream_not_started";
    reason = "the stream has not started yet";
  } else if (message.find("DRM protected") != std::string::npos) {
    return make_error("drm_protected", "the stream is DRM-protected: chronicle does not record DRM (" + url + ")");
  } else if (auto status = http_status_in(message)) {
    code = status->starts_with("404") ? "stream_not_found" : "stream_unavailable";
    reason = "the page answered " + *status;
  } else if (message.find("Unsupported URL") != std::string::npos) {
    reason = "no audio or video found at this address";
  } else {
    reason = short_reason(message);
  }
  Error e = make_error(code, "not a recordable stream: " + reason);
  e.detail = message;
  return e;
}

namespace {

// yt-dlp once per probe, as a process of its own.
Result<nlohmann::json> extract_once(const Config& config, const std::string& url, const std::string& selector,
                                    const std::string& cookies_file) {
  auto proxy = egress::EgressProxy::start(config.url_policy());
  if (!proxy) return proxy.error();
  sys::SpawnOptions options;
  // The proxy (with its credential) in the environment, not in the arguments every user can read.
  options.env = proxy.value()->environment();
  options.argv = {config.ytdlp,
                  "--ignore-config",
                  "--no-playlist",
                  "--no-warnings",
                  "--no-cache-dir",  // inside Lambda only /tmp is writable
                  "--dump-single-json",
                  "-f",
                  selector};
  if (!cookies_file.empty()) options.argv.insert(options.argv.end(), {"--cookies", cookies_file});
  options.argv.insert(options.argv.end(), {"--", url});
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

std::string cookies_copy_for(CookieStore* cookies, const std::string& url, const std::filesystem::path& dir) {
  if (!cookies) return "";
  auto parsed = parse_url(url);
  if (!parsed) return "";
  // A stored login that cannot be read (a store outage, a changed CHRONICLE_COOKIES_KEY) is said,
  // so a job refused by the site without it shows why in its log.
  auto domains = cookies->domains();
  if (!domains) {
    spdlog::warn("cannot look for stored cookies for {}: {}", parsed->host, domains.error().message);
    return "";
  }
  auto domain = cookie_domain_for(parsed->host, *domains);
  if (!domain) return "";
  auto text = cookies->get(*domain);
  if (!text) {
    spdlog::warn("the stored cookies of {} are not used: {}", *domain, text.error().message);
    return "";
  }
  if (!*text) return "";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  const auto file = dir / "cookies.txt";
  sys::UniqueFd fd(::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (fd.get() < 0) return "";
  const std::string& bytes = **text;
  if (::write(fd.get(), bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) return "";
  spdlog::info("using the stored cookies of {} for {}", *domain, parsed->host);
  return file.string();
}

Result<StreamInfo> probe_stream(const Config& config, const std::string& url, const ProbeOptions& options) {
  const auto timeout = std::chrono::milliseconds(static_cast<long long>(config.probe_timeout_s * 1000));
  const std::string selector = options.selector.empty() ? config.ytdlp_format : options.selector;
  Result<nlohmann::json> info = make_error("worker_unavailable", "");
  // With cookies, a yt-dlp of its own: the resident worker's YoutubeDL objects are shared between
  // jobs, and one site's login must never reach another's requests.
  if (auto* extractor = options.cookies_file.empty() && options.resident ? resident_extractor(config) : nullptr)
    info = extractor->extract(url, selector, timeout);
  if (!info && info.error().code == "worker_unavailable")
    info = extract_once(config, url, selector, options.cookies_file);
  if (!info) {
    if (info.error().code == "extract_failed") return stream_error(url, info.error().message);
    return info.error();
  }
  StreamInfo s;
  s.title = text_of(*info, "title");
  s.live_status = text_of(*info, "live_status");
  s.protocol = text_of(*info, "protocol");
  if (s.live_status == "is_upcoming") {
    s.upcoming = true;
    if (auto r = info->find("release_timestamp"); r != info->end() && r->is_number())
      s.starts_at = TimePoint(std::chrono::seconds(r->get<std::int64_t>()));
    return s;
  }
  if (!info->value("has_formats", false)) return stream_error(url, "yt-dlp found no audio or video formats");
  s.extracted = info->dump();
  // yt-dlp flags only some DRM systems; a playlist asking for SAMPLE-AES or a key format other
  // than identity is refused here, before a recorder would write noise.
  if (auto source = hls_source_from(s.extracted)) {
    if (auto text = sys::fetch_text(source->targets.front().url, config.url_policy(), timeout))
      if (auto playlist = hls::parse_media(*text, source->targets.front().url))
        if (auto drm = hls::drm_in(*playlist))
          return make_error("drm_protected",
                            "the stream is DRM-protected (" + *drm + "): chronicle does not record DRM (" + url + ")");
  }
  return s;
}

namespace {

// The media playlist's URL among the selected formats, when the stream is HLS.
std::optional<std::string> hls_playlist_of(const nlohmann::json& info) {
  auto of = [](const nlohmann::json& f) -> std::optional<std::string> {
    if (f.value("protocol", "").starts_with("m3u8") && f.contains("url") && f["url"].is_string())
      return f["url"].get<std::string>();
    return std::nullopt;
  };
  if (auto it = info.find("requested_formats"); it != info.end() && it->is_array())
    for (const auto& f : *it)
      if (auto u = of(f)) return u;
  return of(info);
}

}  // namespace

Result<LiveCheck> check_live(const Config& config, const std::string& url) {
  auto probed = probe_stream(config, url);
  LiveCheck check;
  if (!probed) {
    if (!is_not_live_yet(probed.error()) || probed.error().code == "probe_timeout") return probed.error();
    check.answer = LiveCheck::Answer::offline;
    // Not an error: the channel is not live now, and why, in a few words.
    std::string why = probed.error().message;
    if (why.starts_with("not a recordable stream: ")) why.erase(0, 25);
    check.reason = "offline: " + why;
    return check;
  }
  check.title = probed->title;
  if (probed->upcoming) {
    check.answer = LiveCheck::Answer::upcoming;
    check.starts_at = probed->starts_at;
    check.reason = "the stream is announced for later";
    return check;
  }
  const auto& status = probed->live_status;
  if (status == "is_live") {
    check.answer = LiveCheck::Answer::live;
    return check;
  }
  if (!status.empty()) {
    check.answer = LiveCheck::Answer::offline;
    check.reason = "the channel shows a recording that is not live (" + status + ")";
    return check;
  }
  // The site does not say. A live HLS playlist is one without #EXT-X-ENDLIST; anything else
  // (a file, a finished playlist) would be recorded again at every check, so it is not live.
  const auto info = nlohmann::json::parse(probed->extracted, nullptr, false);
  const auto playlist_url = hls_playlist_of(info);
  if (!playlist_url) {
    check.answer = LiveCheck::Answer::offline;
    check.reason = "the page has media, but not a live stream (protocol " + probed->protocol + ")";
    return check;
  }
  const auto timeout = std::chrono::milliseconds(static_cast<long long>(config.probe_timeout_s * 1000));
  auto text = sys::fetch_text(*playlist_url, config.url_policy(), timeout);
  if (!text) return text.error();
  auto playlist = parse_media_playlist(*text, *playlist_url);
  if (playlist && playlist->ended) {
    check.answer = LiveCheck::Answer::offline;
    check.reason = "the stream's playlist has ended (#EXT-X-ENDLIST)";
    return check;
  }
  check.answer = LiveCheck::Answer::live;
  return check;
}

}  // namespace chronicle::record
