#include "record/extractor.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "egress/proxy.hpp"
#include "record/extractor_script.hpp"
#include "sys/process.hpp"

namespace chronicle::record {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

// The keys extractor.py keeps: what the recorder needs to run ffmpeg on the selected format, and
// what the job shows.
constexpr const char* kFormatKeys[] = {
    "url",    "protocol", "ext",   "format_id", "http_headers", "manifest_stream_number",
    "vcodec", "acodec",   "width", "height",    "tbr"};
constexpr const char* kInfoKeys[] = {"title",     "live_status", "is_live", "release_timestamp",
                                     "extractor", "webpage_url"};

void copy_keys(const nlohmann::json& from, nlohmann::json& to, const auto& keys) {
  for (const char* k : keys)
    if (from.contains(k) && !from[k].is_null()) to[k] = from[k];
}

std::optional<fs::path> find_on_path(const std::string& program) {
  if (program.find('/') != std::string::npos) return fs::path(program);
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    const auto end = std::min(dirs.find(':', start), dirs.size());
    const fs::path candidate = fs::path(dirs.substr(start, end - start)) / program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return std::nullopt;
}

}  // namespace

nlohmann::json trim_info(const nlohmann::json& info) {
  nlohmann::json out = nlohmann::json::object();
  if (!info.is_object()) return out;
  copy_keys(info, out, kInfoKeys);
  copy_keys(info, out, kFormatKeys);
  const auto non_empty = [&](const char* k) {
    return info.contains(k) && !info[k].is_null() && !(info[k].is_array() && info[k].empty());
  };
  out["has_formats"] = non_empty("formats") || non_empty("url") || non_empty("requested_formats");
  if (info.contains("requested_formats") && info["requested_formats"].is_array()) {
    out["requested_formats"] = nlohmann::json::array();
    for (const auto& f : info["requested_formats"]) {
      nlohmann::json trimmed = nlohmann::json::object();
      copy_keys(f, trimmed, kFormatKeys);
      out["requested_formats"].push_back(trimmed);
    }
  }
  return out;
}

std::optional<std::string> ytdlp_interpreter(const std::string& ytdlp) {
  auto file = find_on_path(ytdlp);
  if (!file) return std::nullopt;
  std::ifstream in(*file);
  std::string first;
  if (!std::getline(in, first) || !first.starts_with("#!")) return std::nullopt;
  std::string head(2048, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<std::size_t>(in.gcount()));
  if (head.find("yt_dlp") == std::string::npos) return std::nullopt;
  std::string interpreter = first.substr(2);
  while (!interpreter.empty() && (interpreter.front() == ' ' || interpreter.front() == '\t')) interpreter.erase(0, 1);
  interpreter = interpreter.substr(0, interpreter.find_first_of(" \t\r"));
  // "#!/usr/bin/env python3" names the interpreter through env.
  if (interpreter.ends_with("/env")) {
    const auto rest = first.substr(first.find("env") + 3);
    const auto name_start = rest.find_first_not_of(" \t");
    if (name_start == std::string::npos) return std::nullopt;
    interpreter = rest.substr(name_start, rest.find_first_of(" \t\r", name_start) - name_start);
  }
  if (interpreter.find("python") == std::string::npos) return std::nullopt;
  return interpreter;
}

struct Extractor::Impl {
  struct Slot {
    std::unique_ptr<egress::EgressProxy> proxy;
    std::optional<egress::Refusal> refusal;
    bool busy = false;
    Clock::time_point since;
  };
  struct Pending {
    bool done = false;
    nlohmann::json answer;
    std::optional<egress::Refusal> refusal;
  };

  std::string interpreter;
  std::string default_format;
  fs::path log_file;
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::unique_ptr<Slot>> slots;
  std::map<std::uint64_t, std::pair<int, std::shared_ptr<Pending>>> pending;  // id -> slot, answer
  std::uint64_t next_id = 1;
  pid_t pid = -1;
  int to_worker = -1;
  bool alive = false;
  bool ready = false;
  std::thread reader;
  Clock::time_point started_at{};

  ~Impl() {
    std::unique_lock lock(mutex);
    stop_worker(lock);
  }

  // Ends the worker (closing its stdin is enough; the kill is for a worker stuck in an extraction).
  void stop_worker(std::unique_lock<std::mutex>& lock) {
    if (to_worker >= 0) ::close(to_worker);
    to_worker = -1;
    if (alive && pid > 0) ::kill(pid, SIGKILL);
    if (reader.joinable()) {
      auto t = std::move(reader);
      lock.unlock();
      t.join();
      lock.lock();
    }
  }

  Result<Ok> ensure_running(std::unique_lock<std::mutex>& lock) {
    if (alive) return Ok{};
    stop_worker(lock);
    if (alive) return Ok{};
    if (started_at != Clock::time_point{} && Clock::now() - started_at < std::chrono::seconds(1))
      return make_error("worker_unavailable", "the extraction worker exited right after starting");
    nlohmann::json proxies = nlohmann::json::array();
    for (const auto& s : slots) proxies.push_back(s->proxy->url());
    sys::SpawnOptions o;
    // The slots' proxy URLs carry their credentials: in the environment, not the arguments.
    o.argv = {interpreter, "-c", kExtractorScript, default_format};
    o.env = {{"CHRONICLE_EXTRACTOR_PROXIES", proxies.dump()}, {"no_proxy", ""}, {"NO_PROXY", ""}};
    o.pipe_stdin = true;
    o.capture_stdout = true;
    if (!log_file.empty()) o.output_file = log_file;  // the worker's stderr: Python tracebacks
    auto child = sys::spawn(o);
    if (!child) return make_error("worker_unavailable", child.error().message);
    started_at = Clock::now();
    pid = child->pid;
    to_worker = child->stdin_fd;
    alive = true;
    ready = false;
    reader = std::thread([this, fd = child->stdout_fd, worker = child->pid] { read_answers(fd, worker); });
    spdlog::info("extraction worker started (pid {}, {} slots)", pid, slots.size());
    return Ok{};
  }

  void read_answers(int fd, pid_t worker) {
    std::string buffer;
    char chunk[65536];
    for (;;) {
      const ssize_t n = ::read(fd, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      buffer.append(chunk, static_cast<std::size_t>(n));
      std::size_t line_end;
      while ((line_end = buffer.find('\n')) != std::string::npos) {
        const std::string line = buffer.substr(0, line_end);
        buffer.erase(0, line_end + 1);
        on_line(line);
      }
    }
    ::close(fd);
    const auto status = sys::wait_for(worker);
    std::lock_guard lock(mutex);
    spdlog::warn("extraction worker (pid {}) ended: {}", worker, sys::describe(status));
    alive = false;
    ready = false;
    for (auto& [id, entry] : pending) {
      entry.second->done = true;
      entry.second->answer = {{"ok", false}, {"worker_gone", true}, {"error", "the extraction worker ended"}};
      slots[static_cast<std::size_t>(entry.first)]->busy = false;
    }
    pending.clear();
    changed.notify_all();
  }

  void on_line(const std::string& line) {
    nlohmann::json answer = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!answer.is_object()) return;
    std::lock_guard lock(mutex);
    if (answer.contains("ready")) {
      ready = true;
    } else if (answer.contains("id") && answer["id"].is_number_unsigned()) {
      auto it = pending.find(answer["id"].get<std::uint64_t>());
      if (it == pending.end()) return;
      auto& slot = *slots[static_cast<std::size_t>(it->second.first)];
      it->second.second->done = true;
      it->second.second->answer = std::move(answer);
      it->second.second->refusal = slot.refusal;
      slot.busy = false;
      pending.erase(it);
    }
    changed.notify_all();
  }

  std::optional<std::size_t> free_slot() const {
    for (std::size_t i = 0; i < slots.size(); ++i)
      if (!slots[i]->busy) return i;
    return std::nullopt;
  }
};

Extractor::Extractor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Extractor::~Extractor() = default;

Result<std::unique_ptr<Extractor>> Extractor::start(const Config& config, int slots) {
  auto interpreter = ytdlp_interpreter(config.ytdlp);
  if (!interpreter) return make_error("worker_unavailable", config.ytdlp + " is not a Python script using yt_dlp");
  auto impl = std::make_unique<Impl>();
  impl->interpreter = *interpreter;
  impl->default_format = config.ytdlp_format;
  std::error_code ec;
  fs::create_directories(config.logs_dir(), ec);
  if (!ec) impl->log_file = config.logs_dir() / "extractor.log";
  for (int i = 0; i < std::max(1, slots); ++i) {
    auto slot = std::make_unique<Impl::Slot>();
    Impl* self = impl.get();
    Impl::Slot* raw = slot.get();
    auto proxy = egress::EgressProxy::start(config.url_policy(), [self, raw](const egress::Refusal& r) {
      std::lock_guard lock(self->mutex);
      if (!raw->refusal) raw->refusal = r;
    });
    if (!proxy) return proxy.error();
    slot->proxy = std::move(*proxy);
    impl->slots.push_back(std::move(slot));
  }
  {
    // Started now so that importing yt-dlp is paid before the first submit, not by it.
    std::unique_lock lock(impl->mutex);
    auto running = impl->ensure_running(lock);
    if (!running) return running.error();
  }
  return std::unique_ptr<Extractor>(new Extractor(std::move(impl)));
}

Result<nlohmann::json> Extractor::extract(const std::string& url, const std::string& format,
                                          std::chrono::milliseconds timeout) {
  Impl& d = *impl_;
  const auto deadline = Clock::now() + timeout;
  std::unique_lock lock(d.mutex);
  // A worker stuck far past every timeout (an extractor looping) is replaced, freeing its slots.
  for (const auto& s : d.slots)
    if (d.alive && s->busy && Clock::now() - s->since > 5 * timeout + std::chrono::seconds(60)) {
      spdlog::warn("extraction worker (pid {}) is stuck, restarting it", d.pid);
      ::kill(d.pid, SIGKILL);
      break;
    }
  if (!d.changed.wait_until(lock, deadline, [&] { return d.free_slot().has_value(); }))
    return make_error("probe_timeout", "every extraction slot stayed busy for " +
                                           std::to_string(timeout.count() / 1000) + " s (" + url + ")");
  auto running = d.ensure_running(lock);
  if (!running) return running.error();
  // The import takes a fraction of a second; a worker that cannot even get there is not waited for.
  const auto ready_by = std::min(deadline, d.started_at + std::chrono::seconds(20));
  if (!d.changed.wait_until(lock, ready_by, [&] { return d.ready || !d.alive; }) || !d.ready)
    return make_error("worker_unavailable", "the extraction worker did not start");
  auto free = d.free_slot();
  if (!free) return make_error("probe_timeout", "no extraction slot became free in time for " + url);
  auto& slot = *d.slots[*free];
  slot.busy = true;
  slot.since = Clock::now();
  slot.refusal.reset();
  const std::uint64_t id = d.next_id++;
  auto answer = std::make_shared<Impl::Pending>();
  d.pending[id] = {static_cast<int>(*free), answer};
  const nlohmann::json request = {{"id", id},
                                  {"slot", *free},
                                  {"url", url},
                                  {"format", format},
                                  {"timeout", std::chrono::duration<double>(timeout).count()}};
  const std::string line = request.dump() + "\n";
  std::size_t written = 0;
  while (written < line.size()) {
    const ssize_t n = ::write(d.to_worker, line.data() + written, line.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      d.pending.erase(id);
      slot.busy = false;
      return make_error("worker_unavailable", "cannot write to the extraction worker");
    }
    written += static_cast<std::size_t>(n);
  }
  // On a timeout the slot stays taken until the worker answers: its YoutubeDL is still in use.
  if (!d.changed.wait_until(lock, deadline, [&] { return answer->done; }))
    return make_error("probe_timeout",
                      "yt-dlp did not answer within " + std::to_string(timeout.count() / 1000) + " s for " + url);
  if (answer->refusal) return make_error("forbidden_address", "not recorded: " + answer->refusal->message);
  const auto& a = answer->answer;
  if (a.value("worker_gone", false)) return make_error("worker_unavailable", "the extraction worker ended");
  if (!a.value("ok", false))
    return make_error("extract_failed",
                      a.contains("error") && a["error"].is_string() ? a["error"].get<std::string>() : "yt-dlp failed");
  if (!a.contains("info") || !a["info"].is_object()) return make_error("extract_failed", "yt-dlp gave no info");
  return a["info"];
}

}  // namespace chronicle::record
