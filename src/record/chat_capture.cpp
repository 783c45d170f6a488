#include "record/chat_capture.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <fstream>
#include <thread>

#include "chat/seen_ids.hpp"
#include "chat/twitch.hpp"
#include "chat/youtube.hpp"
#include "core/time.hpp"
#include "egress/proxy.hpp"
#include "sys/process.hpp"
#include "sys/resolve.hpp"

namespace chronicle::record {
namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

namespace {

// The chat file and the job's `chat`: each record gets its place on the recording's timeline and
// is appended as one line; the job's counts are written every few seconds, not per message.
class ChatWriter {
 public:
  ChatWriter(JobStore& store, const Job& job, const fs::path& file, std::string source, const ChatClock& clock)
      : store_(store), job_(job), source_(std::move(source)), clock_(clock) {
    // A recorder taking over a job goes on with the same file, and knows the ids in it: what the
    // site sends again at the new connection (a replay, a first page) is not kept twice.
    const auto counted = chat_counts(file, [this](const std::string& line) {
      if (auto r = nlohmann::json::parse(line, nullptr, false);
          r.is_object() && r.contains("id") && r["id"].is_string())
        (void)seen_.first_time(r["id"].get<std::string>());
    });
    messages_ = counted.first;
    bytes_ = counted.second;
    resumed_ = bytes_ > 0;
    out_.open(file, std::ios::app | std::ios::binary);
  }

  // `at_s` is where the recording was when the message was sent (the site's own time of it, when
  // it says and it is under half a minute old; else when it arrived), and never before the line
  // above it: the file stays in timeline order, which a player's window and `--follow` rely on.
  void add(nlohmann::json r) {
    if (const auto id = r.find("id"); resumed_ && id != r.end() && id->is_string() && r["type"] != "delete" &&
                                      r["type"] != "clear" && !seen_.first_time(id->get<std::string>()))
      return;
    double at_s = clock_.position_s();
    const auto now_ms = to_epoch_ms(now());
    if (auto sent = r.find("sent_ms"); sent != r.end() && sent->is_number_integer())
      at_s -= std::clamp((now_ms - sent->get<std::int64_t>()) / 1000.0, 0.0, 30.0);
    last_at_s_ = std::max({last_at_s_, at_s, 0.0});
    r["at_s"] = std::round(last_at_s_ * 1000) / 1000;
    r["at"] = to_rfc3339(now());
    if (clock_.in_gap()) r["in_gap"] = true;
    // Invalid UTF-8 from the site is replaced, never thrown on: the line is stored either way.
    const std::string line = r.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    out_ << line << '\n';
    out_.flush();
    bytes_ += line.size() + 1;
    if (r["type"] == "message") ++messages_;
    changed_ = true;
    if (SteadyClock::now() - last_state_ > std::chrono::seconds(5)) state("recording", std::nullopt);
  }

  void state(const std::string& state, const std::optional<Error>& error) {
    last_state_ = SteadyClock::now();
    changed_ = false;
    auto written = update_job(store_, job_.id, [&](Job& j) -> Result<Ok> {
      if (is_terminal(j.status) || j.status == JobStatus::uploading) return make_error("skip", "the recording is over");
      ChatLog chat = j.chat.value_or(ChatLog{});
      chat.source = source_;
      chat.state = state;
      chat.messages = messages_;
      chat.bytes = bytes_;
      chat.error = error;
      j.chat = chat;
      return Ok{};
    });
    if (!written && written.error().code != "skip")
      spdlog::warn("job {}: cannot write the chat's state: {}", job_.id, written.error().message);
  }

  bool changed() const { return changed_; }

 private:
  JobStore& store_;
  const Job& job_;
  std::string source_;
  const ChatClock& clock_;
  std::ofstream out_;
  std::uint64_t messages_ = 0, bytes_ = 0;
  double last_at_s_ = 0;
  bool changed_ = false;
  // Only for a file taken over: within one recorder the readers keep each message once themselves.
  bool resumed_ = false;
  chat::SeenIds seen_;
  SteadyClock::time_point last_state_ = SteadyClock::now();
};

void sleep_unless(const std::function<bool()>& stop, std::chrono::milliseconds total) {
  const auto until = SteadyClock::now() + total;
  while (!stop() && SteadyClock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(100));
}

// The last "ERROR:" line yt-dlp wrote, without the prefix; else its last line.
std::string last_error_in(const fs::path& log) {
  std::ifstream in(log);
  std::string last, error;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    last = line;
    if (line.starts_with("ERROR: ")) error = line.substr(7);
  }
  std::string why = error.empty() ? last : error;
  if (why.size() > 300) why = why.substr(0, 300) + "…";
  return why;
}

// YouTube's live chat through yt-dlp's own live_chat downloader (it follows YouTube's innertube
// continuations, which change as often as the site does: the same yt-dlp that keeps up with the
// video keeps up with the chat). Its file is read as it grows. A yt-dlp that ends while the video
// records is started again with backoff; what both saw is kept once (by message id), and the
// time between is marked. Its requests go through the egress guard like the video's.
Result<Ok> run_youtube_chat(const Config& config, const Job& job, const fs::path& work, const std::string& cookies,
                            const std::function<bool()>& stop, const std::function<void(nlohmann::json)>& on_record) {
  std::atomic<bool> refused{false};  // set from the guard's own thread
  auto proxy = egress::EgressProxy::start(config.url_policy(), [&refused](const egress::Refusal&) { refused = true; });
  if (!proxy) return make_error(proxy.error().code, proxy.error().message);
  chat::SeenIds seen;
  auto backoff = std::chrono::milliseconds(1000);
  bool ever_read = false, disconnected_noted = false;
  int failures_before_any = 0;
  for (int attempt = 1; !stop(); ++attempt) {
    const std::string stem = "youtube-chat-" + std::to_string(attempt);
    const fs::path file = work / (stem + ".live_chat.json"), log = work / (stem + ".log");
    sys::SpawnOptions options;
    options.argv = {config.ytdlp,
                    "--ignore-config",
                    "--no-playlist",
                    "--no-colors",
                    "--skip-download",
                    "--write-subs",
                    "--sub-langs",
                    "live_chat",
                    "--no-part",
                    "-o",
                    (work / (stem + ".%(ext)s")).string()};
    if (!cookies.empty()) {
      options.argv.emplace_back("--cookies");
      options.argv.push_back(cookies);
    }
    options.argv.emplace_back("--");
    options.argv.push_back(job.url);
    options.env = egress::proxy_environment(proxy.value()->url());
    options.cwd = work;
    options.new_process_group = true;
    options.output_file = log;
    std::error_code ec;
    fs::remove(file, ec);  // a reader that was stopped dead before this one may have left it
    auto child = sys::spawn(options);
    if (!child) return make_error("chat_failed", child.error().message);

    std::ifstream in;
    std::string pending;
    bool read_any = false;
    const auto drain = [&] {
      if (!in.is_open()) {
        in.open(file, std::ios::binary);
        if (!in.is_open()) return;
      }
      char buf[65536];
      for (;;) {
        in.read(buf, sizeof buf);
        const auto n = in.gcount();
        if (n <= 0) break;
        pending.append(buf, static_cast<std::size_t>(n));
      }
      in.clear();  // at the end of what is written so far: read on from here next time
      std::size_t start = 0;
      for (auto nl = pending.find('\n'); nl != std::string::npos; nl = pending.find('\n', start)) {
        const std::string_view line(pending.data() + start, nl - start);
        start = nl + 1;
        for (auto& r : chat::youtube_chat_records(line)) {
          const std::string id = r.value("id", std::string());
          if (r["type"] != "delete" && r["type"] != "clear" && !seen.first_time(id)) continue;
          if (!read_any && disconnected_noted) {
            on_record({{"type", "connected"}});
            disconnected_noted = false;
          }
          read_any = ever_read = true;
          on_record(std::move(r));
        }
      }
      pending.erase(0, start);
    };
    sys::ExitStatus status;
    while (!(status = sys::try_wait(child->pid)).exited) {
      drain();
      if (stop()) {
        ::kill(-child->pid, SIGTERM);
        const auto deadline = SteadyClock::now() + std::chrono::seconds(5);
        while (!(status = sys::try_wait(child->pid)).exited && SteadyClock::now() < deadline)
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        if (!status.exited) {
          ::kill(-child->pid, SIGKILL);
          status = sys::wait_for(child->pid);
        }
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    drain();
    const std::string why = refused ? "an address the URL policy refuses" : last_error_in(log);
    fs::remove(file, ec);
    fs::remove(log, ec);
    if (stop()) break;
    spdlog::info("job {}: the chat reader ended ({}): {}", job.id, sys::describe(status), why);
    if (!ever_read && ++failures_before_any >= 3)
      return make_error("chat_failed", why.empty() ? "yt-dlp read no chat" : why);
    if (ever_read && !disconnected_noted) {
      on_record({{"type", "disconnected"}, {"reason", why.empty() ? "yt-dlp stopped reading the chat" : why}});
      disconnected_noted = true;
    }
    if (read_any) backoff = std::chrono::milliseconds(1000);
    sleep_unless(stop, backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(30000));
  }
  return Ok{};
}

}  // namespace

fs::path chat_file(const fs::path& work) { return work / "chat.ndjson"; }

std::string chat_source_of(const Job& job, const std::string& extractor) {
  if (!job.chat_enabled) return "";
  if ((extractor.empty() || extractor.starts_with("twitch")) && !chat::twitch_channel_of(job.url).empty())
    return "twitch";
  if (extractor == "youtube" || (extractor.empty() && chat::is_youtube_url(job.url))) return "youtube";
  return "";
}

std::pair<std::uint64_t, std::uint64_t> chat_counts(const fs::path& file,
                                                    const std::function<void(const std::string&)>& each_line) {
  std::ifstream in(file, std::ios::binary);
  std::uint64_t messages = 0, bytes = 0;
  for (std::string line; std::getline(in, line);) {
    if (each_line) each_line(line);
    bytes += line.size() + 1;
    if (line.find("\"type\":\"message\"") != std::string::npos) ++messages;
  }
  return {messages, bytes};
}

void capture_chat(const Config& config, JobStore& store, const Job& job, const std::string& source,
                  const fs::path& work, const std::string& cookies, const ChatClock& clock) {
  if (!config.chat || source.empty()) return;
  ChatWriter writer(store, job, chat_file(work), source, clock);
  writer.state("recording", std::nullopt);
  const auto on_record = [&writer](nlohmann::json r) { writer.add(std::move(r)); };
  Result<Ok> ran = Ok{};
  if (source == "twitch") {
    chat::TwitchChatOptions o;
    o.url = config.twitch_irc_url;
    o.channel = chat::twitch_channel_of(job.url);
    o.policy = config.url_policy();
    o.resolve = sys::resolve_host;
    o.stop = clock.over;
    o.on_record = on_record;
    spdlog::info("job {}: recording the chat of #{} from {}", job.id, o.channel, o.url);
    ran = chat::run_twitch_chat(o);
  } else if (source == "youtube") {
    spdlog::info("job {}: recording the live chat of {} through yt-dlp", job.id, job.url);
    ran = run_youtube_chat(config, job, work, cookies, clock.over, on_record);
  }
  if (!ran) {
    spdlog::warn("job {}: the chat cannot be recorded: {}", job.id, ran.error().message);
    writer.state("failed", Error{ran.error().code, "the chat cannot be recorded: " + ran.error().message});
    return;
  }
  if (writer.changed()) writer.state("recording", std::nullopt);
}

}  // namespace chronicle::record
