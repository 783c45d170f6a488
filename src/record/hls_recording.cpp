#include "record/hls_recording.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "hls/follower.hpp"
#include "hls/journal.hpp"
#include "sys/disk.hpp"

namespace chronicle::record {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

fs::path journal_dir(const fs::path& work) { return work / "journal"; }

namespace {

std::string text(const nlohmann::json& j, const char* key) {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

std::string seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", s);
  return buf;
}

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

}  // namespace

std::optional<HlsSource> hls_source_from(const std::string& extracted_json) {
  const auto info = nlohmann::json::parse(extracted_json, nullptr, /*allow_exceptions=*/false);
  if (!info.is_object()) return std::nullopt;
  std::vector<const nlohmann::json*> formats;
  if (auto it = info.find("requested_formats"); it != info.end() && it->is_array() && !it->empty()) {
    for (const auto& f : *it) formats.push_back(&f);
  } else {
    formats.push_back(&info);
  }
  if (formats.size() > 2) return std::nullopt;
  HlsSource source;
  source.extractor = text(info, "extractor");
  for (const auto* f : formats) {
    if (!f->is_object()) return std::nullopt;
    const std::string protocol = text(*f, "protocol");
    const std::string url = text(*f, "url");
    if (!protocol.starts_with("m3u8") || !(url.starts_with("http://") || url.starts_with("https://")))
      return std::nullopt;
    std::string rendition = "main";
    if (formats.size() == 2) rendition = text(*f, "vcodec") == "none" ? "audio" : "video";
    source.targets.push_back(HlsTarget{rendition, url, text(*f, "format_id")});
  }
  if (source.targets.size() == 2) {
    if (source.targets[0].rendition == source.targets[1].rendition) {
      source.targets[0].rendition = "video";
      source.targets[1].rendition = "audio";
    }
    if (source.targets[0].rendition == "audio") std::swap(source.targets[0], source.targets[1]);
  }
  if (auto it = formats.front()->find("http_headers"); it != formats.front()->end() && it->is_object())
    for (const auto& [name, value] : it->items())
      if (value.is_string()) source.headers.emplace_back(name, value.get<std::string>());
  return source;
}

struct HlsRecording::Impl {
  const Config& config;
  JobStore& store;
  const Job& job;
  fs::path work;
  HlsSource source;
  std::string cookies_file;
  HlsHooks hooks;
  std::unique_ptr<hls::Journal> journal;
  std::vector<std::unique_ptr<hls::Follower>> followers;
  std::vector<std::unique_ptr<hls::HttpClient>> clients;
  std::mutex job_writes;
  bool interruption_open = false;
  // Free space is looked at every few seconds of media: at 10 Mbit/s, 5 s is about 6 MB, far
  // inside any floor. Below the floor the followers stop and what was recorded is stored.
  std::uint64_t disk_floor = 0;
  std::atomic<bool> disk_full{false};
  std::atomic<std::int64_t> next_disk_check_ms{0};
  hls::Wakeup wakeup;  // notified whenever what `stop` reads changes

  void check_disk() {
    if (!disk_floor) return;
    const auto t = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch()).count();
    if (t < next_disk_check_ms.load()) return;
    next_disk_check_ms = t + 5000;
    if (auto space = sys::disk_space(work); space && space->free < disk_floor) {
      if (!disk_full.exchange(true)) {
        spdlog::warn("job {}: free space fell below the floor, storing what was recorded", job.id);
        wakeup.notify();
      }
    }
  }

  Impl(const Config& c, JobStore& s, const Job& j, fs::path w, HlsSource src, std::string cookies, HlsHooks h)
      : config(c),
        store(s),
        job(j),
        work(std::move(w)),
        source(std::move(src)),
        cookies_file(std::move(cookies)),
        hooks(std::move(h)) {}

  hls::Follower& primary() { return *followers.front(); }
  double target() { return std::max(1.0, primary().target_duration_s()); }
  // A pause shorter than this is the reload rhythm, not an interruption.
  double threshold() { return std::max(3.0, 2 * target()); }

  void change_job(const char* what, const std::function<void(Job&)>& change) {
    std::lock_guard lock(job_writes);
    auto w = update_job(store, job.id, [&](Job& j) -> Result<Ok> {
      change(j);
      return Ok{};
    });
    if (!w) spdlog::warn("job {}: cannot record {}: {}", job.id, what, w.error().message);
  }

  void open_interruption() {
    if (interruption_open) return;
    interruption_open = true;
    const double wall = since(primary().last_media());
    const Interruption gap{primary().recorded_s(), std::nullopt,
                           now() - std::chrono::milliseconds(static_cast<long long>(wall * 1000))};
    change_job("the interruption", [&](Job& j) { j.interruptions.push_back(gap); });
  }

  void close_interruption(double gap_s) {
    const double at = primary().recorded_s();
    const double wall = since(primary().last_media());
    spdlog::info("job {}: the stream is back after a gap of {} s", job.id, seconds(gap_s));
    const bool was_open = interruption_open;
    interruption_open = false;
    change_job("the end of the interruption", [&](Job& j) {
      if (was_open && !j.interruptions.empty() && !j.interruptions.back().gap_s) {
        j.interruptions.back().gap_s = gap_s;
      } else {
        j.interruptions.push_back(
            Interruption{at, gap_s, now() - std::chrono::milliseconds(static_cast<long long>(wall * 1000))});
      }
    });
  }

  hls::FollowerEvents events_for(std::size_t index) {
    hls::FollowerEvents e;
    e.on_media = [this](double, std::uint64_t) {
      if (hooks.progress) hooks.progress(journal->bytes(), followers.front()->recorded_s());
      check_disk();
    };
    if (index != 0) {
      // The job's timeline (interruptions, ad breaks) follows the first rendition; what another
      // one could not get is said too, so no gap goes unseen.
      e.on_lost = [this, index](double at, double lost, const std::string& why) {
        const std::string& rendition = source.targets[index].rendition;
        spdlog::warn("job {}: {}: {} s lost at {} s: {}", job.id, rendition, seconds(lost), seconds(at), why);
        change_job("a gap", [&](Job& j) {
          j.warnings.push_back(rendition + ": " + seconds(lost) + " s missing at " + seconds(at) + " s (" + why + ")");
        });
      };
      return e;
    }
    e.on_ad_break = [this](const hls::AdBreakSeen& b) {
      change_job("an ad break", [&](Job& j) { j.ad_breaks.push_back(AdBreak{b.at_s, b.duration_s}); });
    };
    e.on_lost = [this](double at, double lost, const std::string& why) {
      spdlog::warn("job {}: {} s lost at {} s: {}", job.id, seconds(lost), seconds(at), why);
      change_job("a gap", [&](Job& j) {
        // Segments lost one after another at one position are one gap.
        if (!j.interruptions.empty() && j.interruptions.back().gap_s &&
            std::abs(j.interruptions.back().at_s - at) < 0.01)
          *j.interruptions.back().gap_s += lost;
        else
          j.interruptions.push_back(Interruption{at, lost, now()});
      });
    };
    e.on_resume = [this](const hls::Resumption& r) {
      // Measured from the playlists: what fell out of the window, and the time nothing was
      // published (PROGRAM-DATE-TIME where both sides have it, else the wall clock less what the
      // playlist published meanwhile, which is recorded now).
      const double wall = since(primary().last_media());
      const double pause = r.pdt_gap_s ? *r.pdt_gap_s : std::max(0.0, wall - r.published_s);
      double gap = pause;
      if (r.kind == hls::Resumption::Kind::skipped_ahead)
        gap = r.lost_s + (r.pdt_gap_s ? 0.0 : std::max(0.0, pause - r.lost_s));
      const char* how = r.kind == hls::Resumption::Kind::continues       ? "continues the playlist"
                        : r.kind == hls::Resumption::Kind::skipped_ahead ? "moved past what was recorded"
                                                                         : "is a new session";
      spdlog::info("job {}: the stream {} ({} s published meanwhile, {} s since the last segment)", job.id, how,
                   seconds(r.published_s), seconds(wall));
      if (interruption_open || gap >= threshold() || r.kind == hls::Resumption::Kind::skipped_ahead)
        close_interruption(gap);
    };
    return e;
  }

  // Runs every follower side by side until they return; when one drops, the others are halted so
  // all go back to the URL together.
  std::vector<hls::FollowResult> follow_all(double patience) {
    const std::size_t n = followers.size();
    std::vector<hls::FollowResult> results(n);
    std::atomic<bool> halt{false};
    auto stop = [&] { return halt.load() || disk_full.load() || hooks.stop(); };
    if (n == 1) {
      results[0] = followers[0]->follow(*clients[0], source.targets[0].url, stop, patience);
      return results;
    }
    std::mutex m;
    std::condition_variable cv;
    std::vector<bool> finished(n, false);
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < n; ++i)
      threads.emplace_back([&, i] {
        auto r = followers[i]->follow(*clients[i], source.targets[i].url, stop, patience);
        {
          std::lock_guard lock(m);
          results[i] = std::move(r);
          finished[i] = true;
        }
        cv.notify_all();
      });
    std::optional<Clock::time_point> grace_until;
    {
      std::unique_lock lock(m);
      for (;;) {
        const auto done = static_cast<std::size_t>(std::count(finished.begin(), finished.end(), true));
        if (done == n) break;
        const bool halted = halt.load();
        for (std::size_t i = 0; i < n; ++i)
          if (finished[i] && results[i].end != hls::FollowEnd::ended) halt = true;
        // One rendition ended: the others end within a few target durations, or are ended.
        if (done > 0 && !grace_until)
          grace_until = Clock::now() + std::chrono::milliseconds(static_cast<long long>(1000 * (5 + 3 * target())));
        if (grace_until && Clock::now() > *grace_until) halt = true;
        if (halt && !halted) wakeup.notify();
        // Woken by a follower that returns; the grace period ends by the clock.
        if (grace_until && !halt)
          cv.wait_until(lock, *grace_until);
        else
          cv.wait(lock);
      }
    }
    for (auto& t : threads) t.join();
    return results;
  }

  void adopt(const HlsSource& fresh) {
    // The same renditions by format id, else by role.
    for (auto& target : source.targets) {
      const HlsTarget* match = nullptr;
      for (const auto& f : fresh.targets)
        if (!target.format_id.empty() && f.format_id == target.format_id) match = &f;
      if (!match)
        for (const auto& f : fresh.targets)
          if (f.rendition == target.rendition) match = &f;
      if (!match && fresh.targets.size() == 1) match = &fresh.targets.front();
      if (match && match->url != target.url) {
        spdlog::info("job {}: a fresh playlist URL for {}", job.id, target.rendition);
        target.url = match->url;
      }
    }
  }
};

HlsRecording::HlsRecording(const Config& config, JobStore& store, const Job& job, fs::path work, HlsSource source,
                           std::string cookies_file, HlsHooks hooks)
    : impl_(std::make_unique<Impl>(config, store, job, std::move(work), std::move(source), std::move(cookies_file),
                                   std::move(hooks))) {}

HlsRecording::~HlsRecording() = default;

void HlsRecording::wake() { impl_->wakeup.notify(); }

std::optional<fs::path> HlsRecording::newest_file() const {
  if (!impl_->journal) return std::nullopt;
  return impl_->journal->current_file(impl_->source.targets.front().rendition);
}

std::string HlsRecording::run() {
  auto& m = *impl_;
  auto opened = hls::Journal::open(journal_dir(m.work));
  if (!opened) {
    error_ = opened.error();
    return end_reason::failed;
  }
  m.journal = std::move(*opened);
  if (auto space = sys::disk_space(m.work)) m.disk_floor = m.config.disk_floor_for(space->total);
  for (std::size_t i = 0; i < m.source.targets.size(); ++i) {
    hls::FollowerOptions o;
    o.rendition = m.source.targets[i].rendition;
    o.keep_ads = m.job.keep_ads;
    o.start_at_live_edge = m.job.start == start_at::live;
    o.stall_timeout_s = m.config.stall_timeout_s;
    o.extractor = m.source.extractor;
    o.wakeup = &m.wakeup;
    m.followers.push_back(std::make_unique<hls::Follower>(*m.journal, o, m.events_for(i)));
    m.clients.push_back(std::make_unique<hls::HttpClient>(
        hls::ClientOptions{m.config.url_policy(), m.source.headers, m.cookies_file, std::chrono::seconds(20)}));
  }
  if (m.hooks.progress && m.journal->bytes() > 0) m.hooks.progress(m.journal->bytes(), m.primary().recorded_s());
  const double window = m.job.reconnect_window_s.value_or(m.config.reconnect_window_s);
  // Since when the stream has been gone; `lost` says whether it is (GCC takes an optional
  // time_point here for maybe-uninitialized).
  bool lost = false;
  Clock::time_point lost_since = Clock::now();
  double backoff = 0.5;
  for (;;) {
    const double before = m.primary().recorded_s();
    const double patience = lost ? std::max(2.0, 2 * m.target()) : 0;
    const auto results = m.follow_all(patience);
    if (m.primary().recorded_s() > before) {
      lost = false;
      backoff = 0.5;
    }
    if (m.disk_full) return end_reason::disk_full;
    for (const auto& r : results)
      if (r.end == hls::FollowEnd::failed) {
        // A write the disk refused: what is in the journal is stored, as for the floor.
        if (r.error && r.error->code == "storage_error" && m.journal->bytes() > 0) {
          spdlog::warn("job {}: {}; storing what was recorded", m.job.id, r.error->message);
          return end_reason::disk_full;
        }
        error_ = r.error.value_or(Error{"recording_failed", r.detail});
        spdlog::error("job {}: {}", m.job.id, error_->message);
        if (error_->code == "forbidden_address") return end_reason::forbidden;
        if (error_->code == "recording_overrun") return end_reason::overrun;
        return end_reason::failed;
      }
    if (m.hooks.stop()) return end_reason::stopped;
    const auto& lead = results.front();
    if (lead.end == hls::FollowEnd::ended) return end_reason::stream_ended;
    // The round's cause: the first rendition that did not just end or get halted.
    for (const auto& r : results)
      if (r.end == hls::FollowEnd::dropped || r.end == hls::FollowEnd::stalled) {
        detail_ = r.detail;
        break;
      }
    if (m.journal->bytes() == 0 && !lost) return "";  // never any media: nothing to wait for
    if (!lost) {
      lost = true;
      lost_since = Clock::now();
      spdlog::warn("job {}: the stream dropped after {} s recorded ({}); waiting up to {} s for it to come back",
                   m.job.id, seconds(m.primary().recorded_s()), detail_, seconds(window));
    }
    if (since(lost_since) >= window) {
      spdlog::warn("job {}: the stream did not come back within {} s", m.job.id, seconds(window));
      return end_reason::stream_lost;
    }
    if (since(m.primary().last_media()) >= m.threshold()) m.open_interruption();
    const auto until = Clock::now() + std::chrono::milliseconds(static_cast<long long>(backoff * 1000));
    m.wakeup.wait_until(until, m.hooks.stop);
    if (m.hooks.stop()) return end_reason::stopped;
    backoff = std::min(backoff * 2, 4.0);
    // A page or a site hands out playlist URLs that expire: extract the URL again. A submitted
    // playlist is its own URL.
    if (m.hooks.refresh && m.source.targets.front().url != m.job.url)
      if (auto fresh = m.hooks.refresh()) m.adopt(*fresh);
  }
}

}  // namespace chronicle::record
