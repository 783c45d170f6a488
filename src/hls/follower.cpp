#include "hls/follower.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <thread>

#include "hls/decrypt.hpp"

namespace chronicle::hls {

void Wakeup::notify() {
  // Taking the lock orders this with a waiter's check of its predicate: no wakeup is lost.
  { std::lock_guard lock(mutex_); }
  cv_.notify_all();
}

bool Wakeup::wait_until(std::chrono::steady_clock::time_point until, const std::function<bool()>& stop) {
  std::unique_lock lock(mutex_);
  return cv_.wait_until(lock, until, stop);
}

namespace {

std::string uri_path(const std::string& uri) { return uri.substr(0, uri.find('?')); }

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Sleeps until `until`, returning early (true) when a stop is asked.
bool wait_until(Clock::time_point until, const std::function<bool()>& stop, Wakeup* wakeup) {
  if (wakeup) return wakeup->wait_until(until, stop);
  while (Clock::now() < until) {
    if (stop()) return true;
    std::this_thread::sleep_for(std::min<Clock::duration>(until - Clock::now(), std::chrono::milliseconds(100)));
  }
  return stop();
}

bool gone_status(long status) { return status == 403 || status == 404 || status == 410; }

bool policy_error(const Error& e) {
  return e.code == "forbidden_address" || e.code == "unsupported_url" || e.code == "unsupported_scheme" ||
         e.code == "invalid_url" || e.code == "unresolvable_host";
}

// What the first bytes of a segment say its container is, for the run file's name.
std::string extension_for(std::string_view data, bool has_map) {
  if (has_map) return "mp4";
  if (!data.empty() && data[0] == 0x47) return "ts";
  if (data.starts_with("ID3") || (data.size() > 1 && static_cast<unsigned char>(data[0]) == 0xff &&
                                  (static_cast<unsigned char>(data[1]) & 0xf0) == 0xf0))
    return "aac";
  return "ts";
}

std::string seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", s);
  return buf;
}

}  // namespace

std::optional<std::string> drm_in(const MediaPlaylist& playlist) {
  for (const auto& s : playlist.segments) {
    if (!s.key.encrypted()) continue;
    if (s.key.method != "AES-128") return "segments encrypted with " + s.key.method;
    if (s.key.keyformat != "identity") return "keys in the " + s.key.keyformat + " format";
  }
  return std::nullopt;
}

Follower::Follower(Journal& journal, FollowerOptions options, FollowerEvents events)
    : journal_(journal), options_(std::move(options)), events_(std::move(events)) {
  if (!options_.keep_ads) rules_ = ad_rules_for(options_.extractor);
  // A journal left by an earlier recorder of this job: go on after its last segment.
  if (auto last = journal_.last(options_.rendition)) {
    last_ = last;
    session_ = last->session;
    recorded_s_ = journal_.duration_s(options_.rendition);
  }
}

FollowResult Follower::follow(HttpClient& client, const std::string& playlist_url, const std::function<bool()>& stop,
                              double patience_s) {
  const bool resuming = last_.has_value();
  bool first_reload = true;
  bool took_master = false;
  std::string url = playlist_url;
  auto last_growth = Clock::now();
  auto stall_limit = [&] { return std::max(options_.stall_timeout_s, 3 * target_s_); };
  double patience = patience_s > 0 ? patience_s : stall_limit();
  std::string last_trouble;
  for (;;) {
    if (stop()) return {FollowEnd::stopped, "stop requested", std::nullopt};
    const auto reload_started = Clock::now();
    auto got = client.get(url, std::nullopt, std::size_t{16} << 20);
    if (!got && policy_error(got.error())) return {FollowEnd::failed, got.error().message, got.error()};
    if (got && gone_status(got->status))
      return {FollowEnd::dropped, "the playlist answered HTTP " + std::to_string(got->status), std::nullopt};
    std::optional<MediaPlaylist> playlist;
    if (got && got->ok()) {
      if (is_master(got->body) && !took_master) {
        // A master where a media playlist was expected: follow its best variant.
        took_master = true;
        if (auto master = parse_master(got->body, got->url))
          if (const auto* v = best_variant(*master)) {
            url = v->uri;
            continue;
          }
      }
      playlist = parse_media(got->body, got->url);
      if (!playlist) last_trouble = "the playlist is not an HLS media playlist";
    } else {
      last_trouble = got ? "the playlist answered HTTP " + std::to_string(got->status) : got.error().message;
    }
    if (!playlist) {
      if (since(last_growth) > patience) return {FollowEnd::stalled, last_trouble, std::nullopt};
      if (wait_until(Clock::now() + std::chrono::seconds(1), stop, options_.wakeup))
        return {FollowEnd::stopped, "stop requested", {}};
      continue;
    }
    if (auto drm = drm_in(*playlist))
      return {FollowEnd::failed, *drm,
              Error{"drm_protected", "the stream is DRM-protected (" + *drm + "): chronicle does not record DRM"}};
    if (playlist->target_duration_s > 0)
      target_s_ = playlist->target_duration_s;
    else if (!playlist->segments.empty())
      target_s_ = std::max(target_s_, playlist->segments.back().duration_s);
    if (window_s_ < 0) window_s_ = playlist->total_duration_s();
    if (patience_s <= 0) patience = stall_limit();

    const std::size_t from = first_new_index(*playlist, first_reload && resuming);
    first_reload = false;
    bool grew = false;
    for (std::size_t i = from; i < playlist->segments.size(); ++i) {
      if (stop()) return {FollowEnd::stopped, "stop requested", std::nullopt};
      if (auto end = take_segment(client, *playlist, playlist->segments[i], stop)) return *end;
      grew = true;
    }
    if (grew) {
      last_growth = Clock::now();
      patience = stall_limit();
    }
    if (playlist->ended) {
      close_ad_break();
      return {FollowEnd::ended, "the playlist ended (#EXT-X-ENDLIST)", std::nullopt};
    }
    if (since(last_growth) > patience)
      return {FollowEnd::stalled, "no new segment for " + seconds(since(last_growth)) + " s", std::nullopt};
    // RFC 8216 6.3.4: wait the target duration after a reload that brought something new, half of
    // it after one that did not; measured from when the reload began.
    const double target = target_s_ > 0 ? target_s_ : 1;
    const double wait = grew ? target : target / 2;
    if (wait_until(reload_started + std::chrono::milliseconds(static_cast<long long>(wait * 1000)), stop,
                   options_.wakeup))
      return {FollowEnd::stopped, "stop requested", std::nullopt};
  }
}

std::size_t Follower::first_new_index(const MediaPlaylist& playlist, bool first_reload) {
  const auto& segs = playlist.segments;
  if (segs.empty()) return 0;
  if (!last_) {
    if (options_.start_at_live_edge && !playlist.ended) return segs.size() - std::min<std::size_t>(segs.size(), 3);
    return 0;
  }
  const JournalSegment last = *last_;
  auto at = std::find_if(segs.begin(), segs.end(), [&](const Segment& s) { return s.sequence == last.sequence; });
  const bool same_segment =
      at != segs.end() && (uri_path(at->uri) == last.uri_path ||
                           (at->program_date_time_ms && last.program_date_time_ms &&
                            std::llabs(*at->program_date_time_ms - *last.program_date_time_ms) < 1000));
  if (!first_reload && !resume_pending_) {
    // Steady state on one URL: what follows the last segment taken. A playlist whose numbers went
    // back further than a stale copy could is an encoder that started over on the same URL.
    const bool restarted = (at != segs.end() && !same_segment) ||
                           segs.back().sequence + static_cast<std::int64_t>(segs.size()) < last.sequence;
    if (!restarted) {
      std::size_t i = 0;
      while (i < segs.size() && segs[i].sequence <= last.sequence) ++i;
      return i;
    }
    ++session_;
    need_new_run_ = true;
    spdlog::info("{}: the playlist started over (media sequence {} after {}): a new session", options_.rendition,
                 segs.front().sequence, last.sequence);
    return 0;
  }
  // A playlist after a drop or from a fresh URL: does it continue what was recorded?
  Resumption r;
  std::size_t from = 0;
  const auto& first = segs.front();
  if (same_segment) {
    r.kind = Resumption::Kind::continues;
    from = static_cast<std::size_t>(at - segs.begin()) + 1;
  } else if (at == segs.end() && first.sequence > last.sequence &&
             (!first.program_date_time_ms || !last.program_date_time_ms ||
              *first.program_date_time_ms > *last.program_date_time_ms)) {
    // The same numbering, moved on past everything recorded: what fell out of the window is lost.
    r.kind = Resumption::Kind::skipped_ahead;
    const double each = target_s_ > 0 ? target_s_ : first.duration_s;
    r.lost_s = static_cast<double>(first.sequence - last.sequence - 1) * each;
    // Told here, with the resumption: taking the first segment must not count it again.
    last_->sequence = first.sequence - 1;
    need_new_run_ = true;
  } else {
    r.kind = Resumption::Kind::new_session;
    ++session_;
    need_new_run_ = true;
  }
  if (from >= segs.size()) {
    resume_pending_ = true;  // nothing new yet: the resumption is told once media is listed again
    return from;
  }
  for (std::size_t i = from; i < segs.size(); ++i) r.published_s += segs[i].duration_s;
  if (from < segs.size() && segs[from].program_date_time_ms && last.program_date_time_ms)
    r.pdt_gap_s =
        std::max(0.0, static_cast<double>(*segs[from].program_date_time_ms - *last.program_date_time_ms) / 1000.0 -
                          last.duration_s);
  resume_pending_ = false;
  if (events_.on_resume) events_.on_resume(r);
  return from;
}

Result<Ok> Follower::fetch_with_retries(HttpClient& client, const std::string& url, std::optional<ByteRange> range,
                                        const std::function<bool()>& stop, long* status, std::string& into) {
  Error last{"http_error", "not fetched"};
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (attempt > 0 && wait_until(Clock::now() + std::chrono::milliseconds(500 * attempt), stop, options_.wakeup))
      return make_error("stopped", "stop requested");
    auto got = client.get_into(url, range, into);
    if (!got) {
      if (policy_error(got.error())) return got.error();
      last = got.error();
      continue;
    }
    *status = got->status;
    if (got->status >= 200 && got->status < 300) return Ok{};
    last = Error{"http_error", uri_path(url).substr(0, 200) + ": HTTP " + std::to_string(got->status)};
  }
  return last;
}

Result<std::string> Follower::key_for(HttpClient& client, const Key& key, const std::function<bool()>& stop) {
  if (key.uri == key_uri_ && !key_bytes_.empty()) return key_bytes_;
  if (key.uri.empty()) return make_error("decrypt_failed", "an AES-128 key without a URI");
  long status = 0;
  std::string bytes;
  if (auto got = fetch_with_retries(client, key.uri, std::nullopt, stop, &status, bytes); !got) return got.error();
  if (bytes.size() != 16)
    return make_error("decrypt_failed",
                      "the key at " + uri_path(key.uri) + " is " + std::to_string(bytes.size()) + " bytes, not 16");
  key_uri_ = key.uri;
  key_bytes_ = std::move(bytes);
  return key_bytes_;
}

Result<std::string> Follower::init_for(HttpClient& client, const InitSection& init, const std::function<bool()>& stop) {
  const std::string id =
      init.uri +
      (init.range ? "@" + std::to_string(init.range->offset) + ":" + std::to_string(init.range->length) : "");
  if (id == init_id_) return init_bytes_;
  long status = 0;
  std::string bytes;
  if (auto got = fetch_with_retries(client, init.uri, init.range, stop, &status, bytes); !got) return got.error();
  init_id_ = id;
  init_bytes_ = std::move(bytes);
  return init_bytes_;
}

void Follower::close_ad_break() {
  if (!open_ad_) return;
  spdlog::info("{}: left out an ad break of {} s at {} s", options_.rendition, seconds(open_ad_->duration_s),
               seconds(open_ad_->at_s));
  if (events_.on_ad_break) events_.on_ad_break(*open_ad_);
  open_ad_.reset();
}

std::optional<FollowResult> Follower::take_segment(HttpClient& client, const MediaPlaylist& playlist,
                                                   const Segment& segment, const std::function<bool()>& stop) {
  bool ad = false;
  for (auto& rule : rules_) ad = rule->is_ad(segment, playlist) || ad;  // every rule sees every segment
  JournalSegment record;
  record.rendition = options_.rendition;
  record.session = session_;
  record.sequence = segment.sequence;
  record.discontinuity = segment.discontinuity_sequence;
  record.duration_s = segment.duration_s;
  record.program_date_time_ms = segment.program_date_time_ms;
  record.uri_path = uri_path(segment.uri);
  auto pass_over = [&] {
    last_ = record;
    need_new_run_ = true;
  };
  if (ad) {
    if (!open_ad_) open_ad_ = AdBreakSeen{recorded_s_, 0};
    open_ad_->duration_s += segment.duration_s;
    pass_over();
    return std::nullopt;
  }
  close_ad_break();
  if (segment.gap) {
    if (events_.on_lost) events_.on_lost(recorded_s_, segment.duration_s, "the playlist marks a gap (EXT-X-GAP)");
    pass_over();
    return std::nullopt;
  }
  if (last_ && last_->session == session_ && segment.sequence > last_->sequence + 1) {
    const double each = target_s_ > 0 ? target_s_ : segment.duration_s;
    const auto missed = segment.sequence - last_->sequence - 1;
    if (events_.on_lost)
      events_.on_lost(recorded_s_, static_cast<double>(missed) * each,
                      "the live window moved past " + std::to_string(missed) + " segment(s)");
    need_new_run_ = true;
  }
  if (last_ && (last_->discontinuity != segment.discontinuity_sequence || last_->session != session_))
    need_new_run_ = true;
  if (segment.map != run_map_) need_new_run_ = true;

  long status = 0;
  auto fetched = fetch_with_retries(client, segment.uri, segment.range, stop, &status, segment_bytes_);
  if (!fetched) {
    if (fetched.error().code == "stopped") return FollowResult{FollowEnd::stopped, "stop requested", std::nullopt};
    if (policy_error(fetched.error())) return FollowResult{FollowEnd::failed, fetched.error().message, fetched.error()};
    // An expired URL takes its segments with it: a fresh playlist URL gets this one again, once.
    if (gone_status(status) && retried_.insert({session_, segment.sequence}).second)
      return FollowResult{FollowEnd::dropped,
                          "segment " + std::to_string(segment.sequence) + " answered HTTP " + std::to_string(status),
                          std::nullopt};
    spdlog::warn("{}: segment {} is lost: {}", options_.rendition, segment.sequence, fetched.error().message);
    if (events_.on_lost) events_.on_lost(recorded_s_, segment.duration_s, fetched.error().message);
    pass_over();
    return std::nullopt;
  }
  if (segment.key.encrypted()) {
    auto key = key_for(client, segment.key, stop);
    if (!key) return FollowResult{FollowEnd::failed, key.error().message, key.error()};
    auto clear =
        decrypt_aes128_in_place(segment_bytes_, *key, segment.key.iv.value_or(iv_from_sequence(segment.sequence)));
    if (!clear) return FollowResult{FollowEnd::failed, clear.error().message, clear.error()};
  }
  const std::string& data = segment_bytes_;
  if (need_new_run_) {
    std::string init;
    if (segment.map) {
      auto got = init_for(client, *segment.map, stop);
      if (!got) {
        if (policy_error(got.error())) return FollowResult{FollowEnd::failed, got.error().message, got.error()};
        return FollowResult{FollowEnd::dropped, "the init section: " + got.error().message, std::nullopt};
      }
      init = *got;
    }
    if (auto begun = journal_.begin_run(options_.rendition, extension_for(data, segment.map.has_value()), init); !begun)
      return FollowResult{FollowEnd::failed, begun.error().message, begun.error()};
    run_map_ = segment.map;
    need_new_run_ = false;
  }
  const auto bytes = data.size();
  if (auto written = journal_.append(record, data); !written)
    return FollowResult{FollowEnd::failed, written.error().message, written.error()};
  last_ = record;
  recorded_s_ += segment.duration_s;
  last_media_ = Clock::now();
  if (!started_) started_ = last_media_ - std::chrono::milliseconds(static_cast<long long>(recorded_s_ * 1000));
  if (events_.on_media) events_.on_media(segment.duration_s, bytes);
  // The invariant every path keeps: never more media than the time since the start allows, plus
  // the window the playlist offered at the start. A playlist that repeats itself ends here.
  const double allowed = since(*started_) + std::max(0.0, window_s_) + std::max(target_s_, 1.0);
  if (recorded_s_ > allowed)
    return FollowResult{
        FollowEnd::failed, "overrun",
        Error{"recording_overrun", "recorded " + seconds(recorded_s_) + " s of media in " + seconds(since(*started_)) +
                                       " s: the stream repeats content; stopped, and kept what was "
                                       "recorded"}};
  return std::nullopt;
}

}  // namespace chronicle::hls
