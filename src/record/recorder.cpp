#include "record/recorder.hpp"

#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <mutex>
#include <thread>

#include "egress/proxy.hpp"
#include "hls/journal.hpp"
#include "record/attempt.hpp"
#include "record/chat_capture.hpp"
#include "record/finalize.hpp"
#include "record/hls.hpp"
#include "record/hls_recording.hpp"
#include "record/probe.hpp"
#include "record/stills.hpp"
#include "record/tools.hpp"
#include "sys/disk.hpp"
#include "sys/http_fetch.hpp"
#include "sys/process.hpp"

namespace chronicle::record {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
namespace {

volatile std::sig_atomic_t g_stop_signal = 0;
// Written by the signal handler (write() is async-signal-safe) so that a thread blocked on it
// wakes whatever sleeps: the followers wait on a condition variable, not on a clock.
int g_stop_fd = -1;
extern "C" void on_stop_signal(int sig) {
  g_stop_signal = sig;
  if (g_stop_fd >= 0) {
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto n = ::write(g_stop_fd, &one, sizeof one);
  }
}

std::int64_t epoch_ms(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

struct Shared {
  std::atomic<std::uint64_t> bytes{0};
  std::atomic<double> duration_s{0};
  std::atomic<std::int64_t> last_media_ms{0};  // 0: no media yet
  std::atomic<bool> stop_requested{false};
  std::atomic<bool> forbidden{false};  // the stream led to an address the policy refuses
  std::atomic<bool> finished{false};
  std::atomic<bool> announced_recording{false};    // the job has been moved to `recording`
  std::atomic<bool> media_over{false};             // the downloads ended: no more previews
  std::atomic<std::int64_t> preview_wanted_ms{0};  // the job's preview_wanted_at, as last read
  std::function<void()> on_stop;                   // wakes the recording's waits; set before any thread runs
  std::mutex mutex;
  std::condition_variable wake;

  void wake_up() {
    // Taking the lock orders this with the waiter's predicate check: no lost wakeup.
    { std::lock_guard lock(mutex); }
    wake.notify_all();
  }
};

std::string format_seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", s);
  return buf;
}

// Writes heartbeat_at, bytes, duration and last_media_at every interval; moves starting ->
// recording as soon as bytes flow; picks up a stop requested through the API.
void heartbeat_loop(const Config& config, JobStore& store, const std::string& id, Shared& shared) {
  const auto interval = std::chrono::milliseconds(static_cast<long long>(config.heartbeat_interval_s * 1000));
  while (!shared.finished) {
    Heartbeat beat{now(), shared.bytes, shared.duration_s, std::nullopt};
    if (const auto ms = shared.last_media_ms.load()) beat.last_media_at = TimePoint(std::chrono::milliseconds(ms));
    auto r = store.heartbeat(id, beat);
    // The beat's own byte count decides, not a fresh read: bytes that arrived after the beat was
    // taken would move the job to `recording` showing 0 bytes.
    if (r && r->status == JobStatus::starting && beat.bytes > 0) {
      auto moved = update_job(store, id, [&](Job& j) -> Result<Ok> {
        if (j.status != JobStatus::starting) return make_error("skip", "no longer starting");
        return transition(j, JobStatus::recording, now());
      });
      if (moved) r = moved;
    }
    if (r && r->stop_requested && !shared.stop_requested.exchange(true) && shared.on_stop) shared.on_stop();
    if (r && r->preview_wanted_at) {
      const auto wanted =
          std::chrono::duration_cast<std::chrono::milliseconds>(r->preview_wanted_at->time_since_epoch());
      if (shared.preview_wanted_ms.exchange(wanted.count()) != wanted.count()) shared.wake_up();
    }
    if (r && r->status != JobStatus::starting) shared.announced_recording = true;
    if (!r && r.error().code != "finished") spdlog::warn("heartbeat failed: {}", r.error().message);
    std::unique_lock lock(shared.mutex);
    // Woken early when the first bytes arrive, so `recording` shows without waiting a tick.
    shared.wake.wait_for(lock, interval,
                         [&] { return shared.finished.load() || (!shared.announced_recording && shared.bytes > 0); });
  }
}

// While media arrives, a still of the newest seconds is stored and the job pointed at it, so a
// dashboard shows what is being recorded: the first a few seconds in, then a new one whenever
// someone fetched the last (the job's preview_wanted_at moved), at most once per preview
// interval. Nobody looking costs no ffmpeg runs. `last_key` is the preview stored last (removed
// when the next one replaces it, and by the caller at the end).
// Asks the site for the stream's title every title_interval_s while the job records, and writes
// each change to the job's `titles` at the place in the recording where it was seen (the file gets
// a chapter there). A failed ask is tried again at the next interval: the title is a nicety, never
// a reason to disturb the recording.
void title_loop(const Config& config, JobStore& store, const Job& job, const ProbeOptions& options, Shared& shared) {
  const auto interval = std::chrono::milliseconds(static_cast<long long>(config.title_interval_s * 1000));
  std::string last = !job.titles.empty() ? job.titles.back().title : job.title;
  if (job.titles.empty() && !job.title.empty())
    (void)update_job(store, job.id, [&](Job& j) -> Result<Ok> {
      if (!j.titles.empty()) return make_error("skip", "already has titles");
      j.titles.push_back({0, j.title});
      return Ok{};
    });
  for (;;) {
    {
      std::unique_lock lock(shared.mutex);
      shared.wake.wait_for(lock, interval, [&] { return shared.media_over.load() || shared.finished.load(); });
      if (shared.media_over || shared.finished) return;
    }
    ProbeOptions once = options;
    once.resident = false;
    auto probed = probe_stream(config, job.url, once);
    if (!probed || probed->title.empty() || probed->title == last) continue;
    const double at = shared.duration_s;
    spdlog::info("job {}: the stream's title changed at {:.1f} s: {}", job.id, at, probed->title);
    last = probed->title;
    auto noted = update_job(store, job.id, [&](Job& j) -> Result<Ok> {
      if (is_terminal(j.status)) return make_error("skip", "finished");
      j.titles.push_back({at, probed->title});
      j.title = probed->title;
      return Ok{};
    });
    if (!noted && noted.error().code != "skip")
      spdlog::warn("job {}: cannot note the new title: {}", job.id, noted.error().message);
  }
}

void preview_loop(const Config& config, JobStore& store, ObjectStore& objects, const std::string& id,
                  const fs::path& work, const std::function<std::optional<fs::path>()>& newest_file, Shared& shared,
                  std::string& last_key) {
  const auto interval = std::chrono::milliseconds(static_cast<long long>(config.preview_interval_s * 1000));
  // The first one a few seconds into the recording, once a keyframe has surely arrived.
  auto next = Clock::now() + std::chrono::seconds(4);
  const fs::path jpeg = work / "preview.jpg";
  bool made_one = false;
  std::int64_t wanted_when_made = 0;
  const auto wanted_again = [&] { return shared.preview_wanted_ms.load() != wanted_when_made; };
  for (;;) {
    {
      std::unique_lock lock(shared.mutex);
      shared.wake.wait_until(lock, next, [&] { return shared.media_over.load() || shared.finished.load(); });
      if (shared.media_over || shared.finished) return;
      if (made_one && !wanted_again()) {
        shared.wake.wait(lock, [&] { return shared.media_over.load() || shared.finished.load() || wanted_again(); });
        if (shared.media_over || shared.finished) return;
      }
    }
    if (shared.bytes == 0) {
      next = Clock::now() + std::chrono::seconds(2);
      continue;
    }
    next = Clock::now() + interval;
    const auto wanted_now = shared.preview_wanted_ms.load();
    const auto file = newest_file();
    if (!file || !write_live_still(config, *file, jpeg)) continue;
    auto key = store_still(objects, jpeg, "previews/" + id + ".jpg");
    if (!key) {
      spdlog::warn("job {}: cannot store its preview: {}", id, key.error().message);
      continue;
    }
    auto pointed = update_job(store, id, [&](Job& j) -> Result<Ok> {
      if (j.status != JobStatus::recording) return make_error("skip", "not recording");
      j.thumbnail = Thumbnail{*key, thumbnail_url(config, id), true};
      return Ok{};
    });
    const std::string stale = pointed ? last_key : *key;
    if (pointed) {
      last_key = *key;
      made_one = true;
      wanted_when_made = wanted_now;
    }
    if (!stale.empty() && stale != last_key) (void)objects.remove(stale);  // best effort: a small orphan
  }
}

// Any failure of the store itself: a recording already stored is worth minutes of retries.
bool worth_retrying_write(const Error& e) {
  return e.code != "invalid_transition" && e.code != "skip" && e.code != "conflict" && e.code != "not_found";
}

// A status write that must not be lost: retried with backoff while the store refuses writes
// (busy, full, unreachable), for up to `patience`. The caller's heartbeat keeps the reaper off.
Result<Job> write_until_accepted(JobStore& store, const std::string& id, const std::function<Result<Ok>(Job&)>& change,
                                 std::chrono::seconds patience) {
  const auto deadline = Clock::now() + patience;
  auto delay = std::chrono::milliseconds(500);
  for (;;) {
    auto r = update_job(store, id, change);
    if (r || !worth_retrying_write(r.error()) || Clock::now() + delay > deadline) return r;
    spdlog::warn("job {}: the store refused a write ({}), retrying in {} ms", id, r.error().message, delay.count());
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, std::chrono::milliseconds(10000));
  }
}

// Callers on their way out may ignore a final failure ((void) below): write_until_accepted has
// logged every refusal, and the reaper ends a job whose recorder exited without finishing it.
Result<Job> set_status(JobStore& store, const std::string& id, JobStatus to, const std::function<void(Job&)>& also,
                       std::chrono::seconds patience = std::chrono::seconds(120)) {
  return write_until_accepted(
      store, id,
      [&](Job& j) -> Result<Ok> {
        if (j.status != to) {
          auto t = transition(j, to, now());
          if (!t) return t;
        }
        if (also) also(j);
        return Ok{};
      },
      patience);
}

// Sleeps up to `seconds`, returning early (true) when a stop is requested.
bool sleep_unless_stopped(double seconds, const std::function<bool()>& stop) {
  const auto until = Clock::now() + std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
  while (Clock::now() < until) {
    if (stop()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return stop();
}

// The recorder's state across the parts of one job.
class Recording {
 public:
  Recording(const Config& config, JobStore& store, const Job& job, fs::path work, Shared& shared,
            const egress::EgressProxy& proxy, std::string cookies_file)
      : config_(config),
        store_(store),
        job_(job),
        work_(std::move(work)),
        shared_(shared),
        proxy_(proxy),
        cookies_file_(std::move(cookies_file)) {
    hls_ = job.protocol.find("m3u8") != std::string::npos;
    window_s_ = job.reconnect_window_s.value_or(config.reconnect_window_s);
    part_ = next_part_number(work_);
    if (hls_) start_index_ = 0;
    if (auto space = sys::disk_space(work_)) floor_ = config.disk_floor_for(space->total);
  }

  // Records until the stream ends, is stopped, is lost, or the disk fills; returns the end_reason
  // ("" when nothing was ever recorded).
  std::string run() {
    for (;;) {
      part_skip_s_ = 0;
      auto r = run_attempt(config_, job_, work_, part_, start_index_, watch());
      if (!r.last_error.empty()) last_error_ = r.last_error;
      last_exit_ = r.exit;
      if (r.got_media) {
        if (gap_) close_gap();  // all of this part arrived in its final flush
        done_bytes_ += r.bytes;
        done_duration_ += std::max(0.0, r.duration_s - part_skip_s_);
        ++part_;
        if (!r.last_segment_url.empty()) resume_ = ResumePoint{r.last_segment_url, std::nullopt};
      } else {
        remove_part(part_);
      }
      if (!r.playlist_url.empty()) playlist_url_ = r.playlist_url;
      if (forbidden()) return end_reason::forbidden;
      if (r.end == AttemptEnd::stopped) return end_reason::stopped;
      if (r.end == AttemptEnd::disk_full) return end_reason::disk_full;
      if (done_bytes_ == 0) return "";
      std::optional<MediaPlaylist> playlist = fetch_playlist();
      if (playlist && r.got_media && !resume_.last_segment_url.empty())
        resume_.last_sequence = sequence_of(*playlist, resume_.last_segment_url);
      if (stream_ended(r, playlist)) return end_reason::stream_ended;
      if (!gap_) open_gap(r);
      if (auto ended = wait_for_return()) return *ended;
    }
  }

  // Why the recording was refused: the egress guard's first refusal, or the playlist's.
  std::optional<Error> forbidden() const {
    if (auto refusal = proxy_.first_refusal()) return make_error("forbidden_address", refusal->message);
    return forbidden_playlist_;
  }
  const std::string& last_error() const { return last_error_; }
  const sys::ExitStatus& last_exit() const { return last_exit_; }

 private:
  struct Gap {
    Clock::time_point detected;
    TimePoint media_at;   // when media last arrived before the gap
    double behind_s = 0;  // media the resumed part starts with that was published during the gap
    // The playlist entries the resumed part was launched on, and which of them is the first not
    // recorded yet. ffmpeg reads the playlist again a moment later, and a live window that slid
    // meanwhile moves where it starts; the launch index leaves room for that (see kSlideSlack).
    std::vector<HlsSegment> planned;
    std::size_t first_new = 0;
  };

  AttemptWatch watch() {
    AttemptWatch w;
    w.stall_timeout_s = config_.stall_timeout_s;
    w.first_media_timeout_s = config_.probe_timeout_s + config_.stall_timeout_s;
    w.disk_floor_bytes = floor_;
    w.target_duration_s = target_s_;
    w.stop_requested = [this] { return stop_requested() || shared_.forbidden; };
    w.proxy_url = proxy_.url();
    w.cookies_file = cookies_file_;
    w.target_duration = [this](const std::string& url) -> std::optional<double> {
      playlist_url_ = url;
      auto playlist = fetch_playlist();
      if (!playlist || playlist->target_duration_s <= 0) return std::nullopt;
      target_s_ = playlist->target_duration_s;
      return target_s_;
    };
    w.on_first_segment = [this](const std::string& url) { check_start(url); };
    w.on_progress = [this](std::uint64_t bytes, double duration_s, bool grew) {
      shared_.bytes = done_bytes_ + bytes;
      shared_.duration_s = done_duration_ + std::max(0.0, duration_s - part_skip_s_);
      if (!grew) return;
      shared_.last_media_ms = epoch_ms(now());
      if (gap_) close_gap();
      if (!shared_.announced_recording) shared_.wake_up();
    };
    return w;
  }

  bool stop_requested() const { return g_stop_signal != 0 || shared_.stop_requested; }

  std::optional<MediaPlaylist> fetch_playlist() {
    if (!hls_ || playlist_url_.empty()) return std::nullopt;
    auto text = sys::fetch_text(playlist_url_, config_.url_policy(), std::chrono::seconds(5));
    if (!text) {
      spdlog::debug("job {}: playlist: {}", job_.id, text.error().message);
      if (text.error().code == "forbidden_address") {
        forbidden_playlist_ = text.error();
        shared_.forbidden = true;
      }
      return std::nullopt;
    }
    return parse_media_playlist(*text, playlist_url_);
  }

  // The broadcaster ended the stream (ENDLIST with nothing left to record), as opposed to the
  // stream stopping delivering.
  bool stream_ended(const AttemptResult& r, const std::optional<MediaPlaylist>& playlist) const {
    if (r.end != AttemptEnd::finished) return false;
    if (playlist) return playlist->ended && plan_resume(*playlist, resume_).start_index >= playlist->segments.size();
    // No playlist to look at: trust a downloader that read its input to the end.
    return r.exit.code == 0 && !r.playlist_failed;
  }

  void open_gap(const AttemptResult& r) {
    const auto ms = shared_.last_media_ms.load();
    gap_ = Gap{Clock::now(), ms ? TimePoint(std::chrono::milliseconds(ms)) : now(), 0, {}};
    const char* why = r.end == AttemptEnd::stalled ? "the stream stalled"
                      : r.playlist_failed          ? "the playlist stopped answering"
                                                   : "the downloader ended early";
    spdlog::warn("job {}: {} after {} s recorded ({}); waiting up to {} s for it to come back", job_.id, why,
                 format_seconds(done_duration_), sys::describe(r.exit), format_seconds(window_s_));
    Interruption interruption{done_duration_, std::nullopt, gap_->media_at};
    auto w = update_job(store_, job_.id, [&](Job& j) -> Result<Ok> {
      j.interruptions.push_back(interruption);
      return Ok{};
    });
    if (!w) spdlog::warn("job {}: cannot record the interruption: {}", job_.id, w.error().message);
  }

  void close_gap() {
    const double wall = std::chrono::duration<double>(now() - gap_->media_at).count();
    const double gap_s = std::max(0.0, wall - gap_->behind_s);
    spdlog::info("job {}: the stream is back after a gap of {} s; recording on in part {}", job_.id,
                 format_seconds(gap_s), part_);
    gap_.reset();
    auto w = update_job(store_, job_.id, [&](Job& j) -> Result<Ok> {
      if (!j.interruptions.empty() && !j.interruptions.back().gap_s) j.interruptions.back().gap_s = gap_s;
      return Ok{};
    });
    if (!w) spdlog::warn("job {}: cannot record the end of the interruption: {}", job_.id, w.error().message);
  }

  // Waits for the stream to deliver again; nullopt when the next part should start, else the
  // end_reason.
  std::optional<std::string> wait_for_return() {
    const auto deadline = gap_->detected + std::chrono::milliseconds(static_cast<long long>(window_s_ * 1000));
    auto stop = [this] { return stop_requested(); };
    for (;;) {
      if (stop_requested()) return end_reason::stopped;
      if (forbidden()) return end_reason::forbidden;
      if (Clock::now() >= deadline) {
        spdlog::warn("job {}: the stream did not come back within {} s", job_.id, format_seconds(window_s_));
        return end_reason::stream_lost;
      }
      if (hls_ && !playlist_url_.empty()) {
        if (auto playlist = fetch_playlist()) {
          const auto plan = plan_resume(*playlist, resume_);
          if (plan.start_index < playlist->segments.size()) {
            const std::size_t launch =
                plan.same_session ? plan.start_index - std::min(plan.start_index, kSlideSlack) : plan.start_index;
            start_index_ = launch;
            gap_->behind_s = plan.behind_s;
            gap_->planned.assign(playlist->segments.begin() + static_cast<std::ptrdiff_t>(launch),
                                 playlist->segments.end());
            gap_->first_new = plan.start_index - launch;
            return std::nullopt;
          }
          if (playlist->ended) return end_reason::stream_ended;
          if (sleep_unless_stopped(std::max(1.0, target_s_ / 2), stop)) return end_reason::stopped;
          continue;
        }
        // The submitted URL is the playlist itself: nothing new to extract while it is down.
        if (playlist_url_ == job_.url) {
          if (sleep_unless_stopped(1, stop)) return end_reason::stopped;
          continue;
        }
      }
      // Go back to the submitted URL: yt-dlp extracts it again (sites hand out new media URLs
      // per session), with backoff between tries.
      if (Clock::now() < next_launch_) {
        if (sleep_unless_stopped(0.2, stop)) return end_reason::stopped;
        continue;
      }
      next_launch_ = Clock::now() + std::chrono::milliseconds(static_cast<long long>(backoff_s_ * 1000));
      backoff_s_ = std::min(backoff_s_ * 2, 10.0);
      if (hls_) start_index_ = 0;
      gap_->behind_s = 0;
      gap_->planned.clear();
      return std::nullopt;
    }
  }

  // Where ffmpeg really started the resumed part, against the plan: segments it took again are
  // cut from the part when the parts are joined (its skip file); segments it passed over
  // are missing content, counted in the gap.
  void check_start(const std::string& url) {
    if (!gap_ || gap_->planned.empty()) return;
    const auto& planned = gap_->planned;
    std::size_t at = 0;
    while (at < planned.size() && planned[at].uri != url) ++at;
    double seconds = 0;
    if (at < gap_->first_new) {
      for (std::size_t i = at; i < gap_->first_new; ++i) seconds += planned[i].duration_s;
      part_skip_s_ = seconds;
      write_skip(part_, seconds);
      spdlog::info("job {}: part {} starts {} s before where part {} ended; the overlap is cut when joining", job_.id,
                   part_, format_seconds(seconds), part_ - 1);
    } else if (at > gap_->first_new) {
      for (std::size_t i = gap_->first_new; i < std::min(at, planned.size()); ++i) seconds += planned[i].duration_s;
      gap_->behind_s = std::max(0.0, gap_->behind_s - seconds);
      spdlog::warn("job {}: the live window moved on while the downloader started: {} s or more were missed", job_.id,
                   format_seconds(seconds));
    }
  }

  void write_skip(int part, double seconds) {
    char name[32];
    std::snprintf(name, sizeof name, "part-%03d.skip", part);
    std::ofstream(work_ / name) << seconds << "\n";
  }

  void remove_part(int part) {
    char prefix[16];
    std::snprintf(prefix, sizeof prefix, "part-%03d.", part);
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(work_, ec))
      if (entry.path().filename().string().starts_with(prefix)) fs::remove(entry.path(), ec);
  }

  const Config& config_;
  JobStore& store_;
  const Job& job_;
  fs::path work_;
  Shared& shared_;
  const egress::EgressProxy& proxy_;
  std::string cookies_file_;  // the job's domain's cookies for yt-dlp; "" when none
  std::optional<Error> forbidden_playlist_;
  bool hls_ = false;
  double window_s_ = 0;
  double target_s_ = 0;
  std::uint64_t floor_ = 0;
  int part_ = 1;
  std::optional<std::size_t> start_index_;
  std::string playlist_url_;
  ResumePoint resume_;
  std::uint64_t done_bytes_ = 0;
  double done_duration_ = 0;
  std::optional<Gap> gap_;
  Clock::time_point next_launch_ = Clock::now();
  double backoff_s_ = 1;
  double part_skip_s_ = 0;  // seconds at the start of the current part that repeat the previous one
  // How many entries before the planned one a same-session part is launched on: the live window
  // may slide this far while yt-dlp starts (about a second); what repeats is cut when joining.
  static constexpr std::size_t kSlideSlack = 2;
  std::string last_error_;
  sys::ExitStatus last_exit_;
};

}  // namespace

std::optional<Conclusion> conclude_without_storing(const RecordingEnd& end) {
  if (end.refusal)
    return Conclusion{JobStatus::failed, Error{end.refusal->code, "recording refused: " + end.refusal->message},
                      end_reason::forbidden};
  if (end.has_media) return std::nullopt;
  if (end.failure) return Conclusion{JobStatus::failed, *end.failure, end.reason};
  if (end.reason == end_reason::stopped && end.still_starting)
    return Conclusion{JobStatus::canceled, Error{"stopped", "stopped before anything was recorded"}, ""};
  return Conclusion{JobStatus::failed, Error{"recording_failed", "nothing was recorded: " + end.why_nothing},
                    end.reason};
}

int run_recorder(const Config& config, JobStore& store, ObjectStore& objects, const std::string& job_id,
                 CookieStore* cookies) {
  auto loaded = store.get(job_id);
  if (!loaded || !loaded.value()) {
    spdlog::error("job {}: {}", job_id, loaded ? "no such job" : loaded.error().message);
    return 2;
  }
  Job job = *loaded.value();
  if (is_terminal(job.status)) {
    spdlog::info("job {} is already {}", job_id, to_string(job.status));
    return 0;
  }

  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  if (g_stop_fd < 0) g_stop_fd = ::eventfd(0, EFD_CLOEXEC);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  signal(SIGHUP, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);

  const fs::path work = job_work_dir(config, job_id);
  std::error_code ec;
  fs::create_directories(work, ec);
  if (ec) {
    (void)set_status(store, job_id, JobStatus::failed, [&](Job& j) {
      j.error = Error{"storage_error", "cannot create " + work.string()};
    });
    return 1;
  }
  auto tools = check_tools(config, /*ask_versions=*/false);
  if (!tools) {
    spdlog::error("job {}: {}", job_id, tools.error().message);
    (void)set_status(store, job_id, JobStatus::failed, [&](Job& j) {
      j.error = Error{"tool_missing", "cannot record: " + tools.error().message};
    });
    fs::remove_all(work, ec);
    return 1;
  }

  Shared shared;
  // The stream's extraction: the launcher's (the probe ran moments ago), else one made now.
  // Taken out of the environment so nothing this process starts sees it.
  std::string extracted;
  if (const char* e = std::getenv(kExtractedEnv)) {
    extracted = e;
    ::unsetenv(kExtractedEnv);
  }
  const std::string jar = cookies_copy_for(cookies, job.url, work);
  const ProbeOptions probe_options{format_selector(job.format, config.ytdlp_format), jar};
  const bool has_journal = hls::Journal::exists(journal_dir(work));
  if (extracted.empty() && (job.protocol.find("m3u8") != std::string::npos || has_journal))
    if (auto probed = probe_stream(config, job.url, probe_options)) extracted = probed->extracted;
  std::optional<HlsSource> hls_source = extracted.empty() ? std::nullopt : hls_source_from(extracted);

  // A site's cookies reach yt-dlp's own downloader only where it keeps them to the site's hosts.
  if (!hls_source && !jar.empty()) {
    if (auto unsafe = ytdlp_leaks_cookies(config)) {
      fs::remove(jar, ec);
      (void)set_status(store, job_id, JobStatus::failed, [&](Job& j) { j.error = *unsafe; });
      fs::remove_all(work, ec);
      return 1;
    }
  }
  std::unique_ptr<HlsRecording> hls_recording;
  std::unique_ptr<Recording> recording;
  Result<std::unique_ptr<egress::EgressProxy>> proxy = make_error("unused", "");
  if (hls_source) {
    HlsHooks hooks;
    hooks.stop = [&] { return g_stop_signal != 0 || shared.stop_requested.load(); };
    hooks.progress = [&](std::uint64_t bytes, double duration_s) {
      shared.bytes = bytes;
      shared.duration_s = duration_s;
      shared.last_media_ms = epoch_ms(now());
      if (!shared.announced_recording) shared.wake_up();
    };
    hooks.refresh = [&]() -> std::optional<HlsSource> {
      auto probed = probe_stream(config, job.url, probe_options);
      if (!probed) {
        spdlog::info("job {}: no fresh playlist yet: {}", job_id, probed.error().message);
        return std::nullopt;
      }
      return hls_source_from(probed->extracted);
    };
    hls_recording = std::make_unique<HlsRecording>(config, store, job, work, *hls_source, jar, hooks);
  } else {
    proxy =
        egress::EgressProxy::start(config.url_policy(), [&shared](const egress::Refusal&) { shared.forbidden = true; });
    if (!proxy) {
      spdlog::error("job {}: {}", job_id, proxy.error().message);
      (void)set_status(store, job_id, JobStatus::failed, [&](Job& j) { j.error = proxy.error(); });
      fs::remove_all(work, ec);
      return 1;
    }
    recording = std::make_unique<Recording>(config, store, job, work, shared, *proxy.value(), jar);
  }
  std::function<std::optional<fs::path>()> newest_file = [&]() -> std::optional<fs::path> {
    if (hls_recording) return hls_recording->newest_file();
    auto parts = list_parts(work);
    if (parts.empty()) return std::nullopt;
    return parts.back();
  };

  shared.on_stop = [&] {
    if (hls_recording) hls_recording->wake();
  };
  std::thread stop_watch;
  if (g_stop_fd >= 0)
    stop_watch = std::thread([&] {
      std::uint64_t n = 0;
      while (::read(g_stop_fd, &n, sizeof n) < 0 && errno == EINTR) {
      }
      if (shared.finished) return;
      shared.wake_up();
      shared.on_stop();
    });
  std::thread heartbeat([&] { heartbeat_loop(config, store, job_id, shared); });
  // A preview left by an earlier recorder of this job is replaced like any other.
  std::string preview_key = job.thumbnail && job.thumbnail->live ? job.thumbnail->key : std::string();
  std::thread previews;
  if (config.preview_interval_s > 0)
    previews =
        std::thread([&] { preview_loop(config, store, objects, job_id, work, newest_file, shared, preview_key); });
  std::thread titles;
  if (config.title_interval_s > 0) titles = std::thread([&] { title_loop(config, store, job, probe_options, shared); });
  // The live chat beside the video: its own thread and connection; whatever happens to it, the
  // recording goes on.
  std::thread chat_thread;
  std::string extractor;
  if (!extracted.empty())
    if (auto info = nlohmann::json::parse(extracted, nullptr, false); info.is_object())
      extractor = info.value("extractor", std::string());
  const std::string chat_source = chat_source_of(job, extractor);
  if (config.chat && !chat_source.empty())
    chat_thread = std::thread([&] {
      capture_chat(config, store, job, chat_source, work, jar,
                   ChatClock{[&, last = 0.0]() mutable {
                               // What is recorded, plus the time since the last media arrived (a
                               // segment's worth at most): the place a viewer at the edge is at.
                               const auto ms = shared.last_media_ms.load();
                               const double since = ms > 0 ? (epoch_ms(now()) - ms) / 1000.0 : 0;
                               last = std::max(last, shared.duration_s.load() + std::clamp(since, 0.0, 2.0));
                               return last;
                             },
                             [&] {
                               const auto ms = shared.last_media_ms.load();
                               return ms > 0 && epoch_ms(now()) - ms > 5000;
                             },
                             [&] { return shared.media_over.load() || shared.finished.load(); }});
    });
  auto finish_previews = [&] {
    shared.media_over = true;
    shared.wake_up();
    if (previews.joinable()) previews.join();
    if (titles.joinable()) titles.join();
    if (chat_thread.joinable()) chat_thread.join();
  };
  auto finish_heartbeat = [&] {
    finish_previews();
    shared.finished = true;
    shared.wake_up();
    if (heartbeat.joinable()) heartbeat.join();
    if (stop_watch.joinable()) {
      const std::uint64_t one = 1;
      [[maybe_unused]] const auto n = ::write(g_stop_fd, &one, sizeof one);
      stop_watch.join();
    }
  };
  // The preview is shown until the job ends; then only the poster (or nothing) remains.
  auto remove_preview = [&] {
    if (!preview_key.empty()) (void)objects.remove(preview_key);  // best effort: a small orphan
  };

  const std::string reason = hls_recording ? hls_recording->run() : recording->run();
  finish_previews();
  if (!jar.empty()) fs::remove(jar, ec);  // a login is not kept with the parts
  spdlog::info("job {}: recording ended ({})", job_id, reason.empty() ? "nothing recorded" : reason);

  RecordingEnd end;
  end.reason = reason;
  end.has_media = has_recorded_media(work);
  if (hls_recording) {
    if (const auto& e = hls_recording->error(); e && e->code == "forbidden_address")
      end.refusal = e;
    else
      end.failure = e;
  } else {
    end.refusal = recording->forbidden();
  }
  if (!end.has_media) {
    auto current = store.get(job_id);
    end.still_starting = current && current.value() && current.value()->status == JobStatus::starting;
    if (hls_recording)
      end.why_nothing =
          hls_recording->last_detail().empty() ? "the playlist gave no media" : hls_recording->last_detail();
    else
      end.why_nothing =
          recording->last_error().empty() ? "yt-dlp " + sys::describe(recording->last_exit()) : recording->last_error();
  }
  if (auto conclusion = conclude_without_storing(end)) {
    finish_heartbeat();
    if (end.refusal) spdlog::error("job {}: {}", job_id, end.refusal->message);
    // The recorder ends here either way; a job this write misses is ended by the reaper.
    if (auto ended = set_status(store, job_id, conclusion->status,
                                [&](Job& j) {
                                  j.error = conclusion->error;
                                  j.end_reason = conclusion->end_reason;
                                  if (j.thumbnail && j.thumbnail->live) j.thumbnail.reset();
                                });
        !ended)
      spdlog::error("job {}: cannot mark it {}: {}", job_id, to_string(conclusion->status), ended.error().message);
    else
      remove_preview();
    fs::remove_all(work, ec);
    return 0;
  }

  // The heartbeat keeps running through the join and the upload so the reaper knows we are alive.
  auto up = set_status(store, job_id, JobStatus::uploading, [&](Job& j) {
    j.bytes = shared.bytes;
    j.duration_s = shared.duration_s;
  });
  if (!up) {
    finish_heartbeat();
    spdlog::error("job {}: cannot mark uploading: {}", job_id, up.error().message);
    return 1;
  }
  auto stored = finalize_parts(config, objects, *up);
  if (!stored) {
    finish_heartbeat();
    (void)set_status(store, job_id, JobStatus::failed, [&](Job& j) {
      j.error = Error{"storage_error", "the recording could not be stored: " + stored.error().message +
                                           " (it is kept in " + work.string() + ")"};
      j.end_reason = reason;
    });
    return 1;
  }
  // A recorder that had to stop (more media than time allows, a write that failed) keeps what it
  // has, and the job ends failed, saying why.
  const Outcome outcome{*stored, reason, end.failure};
  save_outcome(work, outcome);

  // Retried for a long while: the recording is stored, only the job does not say so yet.
  auto done = write_until_accepted(
      store, job_id, [&](Job& j) { return apply_outcome(j, outcome); }, std::chrono::seconds(600));
  finish_heartbeat();
  if (!done) {
    if (done.error().code == "conflict") {
      spdlog::info("job {}: already finished by the reaper from the stored outcome", job_id);
      return 0;
    }
    spdlog::error("job {}: cannot record the result: {} (the reaper finishes it from {})", job_id, done.error().message,
                  (work / "outcome.json").string());
    return 1;
  }
  spdlog::info("job {}: {} end_reason={} key={} bytes={} duration_s={} interruptions={} sha256={} torrent={}", job_id,
               to_string(done->status), reason, stored->recording.key, stored->recording.size,
               format_seconds(done->duration_s), done->interruptions.size(), stored->recording.sha256,
               stored->torrent ? stored->torrent->infohash_v1 : "none");
  if (!done->thumbnail || done->thumbnail->key != preview_key) remove_preview();
  // Pinned while it recorded: the store's own expiry (S3 lifecycle) must leave the files alone too.
  if (done->pinned)
    for (const auto& key : {done->recording->key, done->torrent ? done->torrent->key : std::string(),
                            done->thumbnail ? done->thumbnail->key : std::string()})
      if (!key.empty())
        if (auto kept = objects.set_retention(key, true); !kept)
          spdlog::warn("job {}: {} may expire with the bucket's lifecycle: {}", job_id, key, kept.error().message);
  fs::remove_all(work, ec);
  return 0;
}

}  // namespace chronicle::record
