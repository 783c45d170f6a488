#pragma once
// chronicle's HLS client for one rendition of a live stream: reloads the media playlist as RFC
// 8216 6.3.4 says (the target duration after a change, half of it after an unchanged reload),
// knows each segment by its session, discontinuity sequence and media sequence, fetches it once
// (retrying errors), decrypts it, leaves out ads, and writes it to the journal. It returns when
// the stream ends (ENDLIST), drops (the playlist answers 403/404/410, or stops growing), is
// stopped, or must not go on (a refused address, DRM, more media than time allows).
//
// Its state outlives one playlist URL: given a fresh URL for the same rendition (an expired
// signed URL, a reconnect), it goes on after the last segment it wrote when the new playlist
// continues the old one, and starts a new session when the broadcaster started over.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "hls/ads.hpp"
#include "hls/client.hpp"
#include "hls/journal.hpp"
#include "hls/playlist.hpp"

namespace chronicle::hls {

using Clock = std::chrono::steady_clock;

struct AdBreakSeen {
  double at_s = 0;  // position in the recording where it was left out
  double duration_s = 0;
};

// How a new playlist (after a drop, or a fresh URL) relates to what was recorded before.
struct Resumption {
  enum class Kind { continues, skipped_ahead, new_session } kind = Kind::continues;
  double lost_s = 0;                // segments the window moved past (skipped_ahead)
  double published_s = 0;           // media listed after the last one recorded: published meanwhile
  std::optional<double> pdt_gap_s;  // from PROGRAM-DATE-TIME, when both sides have it
};

// Ends the waits of followers at once when something asks them to stop, so that a follower
// sleeps until its next reload instead of waking every few milliseconds to look. Whoever sets
// what a follower's `stop` reads calls notify() after setting it.
class Wakeup {
 public:
  void notify();
  // Sleeps until `until`, or until stop() holds after a notify(); returns stop().
  bool wait_until(std::chrono::steady_clock::time_point until, const std::function<bool()>& stop);

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
};

struct FollowerOptions {
  std::string rendition = "main";  // the journal's name for it: "main", "video", "audio"
  bool keep_ads = false;
  bool start_at_live_edge = false;  // the first load starts near the live edge, not at the window's start
  double stall_timeout_s = 30;      // no new segment for this long: the stream stalled
  std::string extractor;            // yt-dlp's, to choose ad rules
  // Notified when `stop` may have changed; without one, waits look at `stop` ten times a second.
  Wakeup* wakeup = nullptr;
};

struct FollowerEvents {
  std::function<void(double seconds, std::uint64_t bytes)> on_media;
  std::function<void(const AdBreakSeen&)> on_ad_break;
  // Segments that were listed but could not be had (fetch failed, EXT-X-GAP, skipped ahead).
  std::function<void(double at_s, double lost_s, const std::string& why)> on_lost;
  // The first reload after a restart of follow(), when something had been recorded before.
  std::function<void(const Resumption&)> on_resume;
};

enum class FollowEnd { ended, dropped, stalled, stopped, failed };

struct FollowResult {
  FollowEnd end = FollowEnd::stopped;
  std::string detail;          // what happened, for the log
  std::optional<Error> error;  // failed: forbidden_address, drm_protected, recording_overrun, storage_error
};

class Follower {
 public:
  Follower(Journal& journal, FollowerOptions options, FollowerEvents events);

  // Follows `playlist_url` until one of the ends above. `patience_s`: how long to wait for a new
  // segment before returning `stalled` (0: the stall timeout); once a segment arrives, the stall
  // timeout applies. `stop` is asked between every step.
  FollowResult follow(HttpClient& client, const std::string& playlist_url, const std::function<bool()>& stop,
                      double patience_s = 0);

  double recorded_s() const { return recorded_s_; }
  double target_duration_s() const { return target_s_; }
  // The first window seen: what may be recorded beyond the wall time since the start.
  double window_allowance_s() const { return window_s_; }
  // When the first segment was written (the invariant's clock).
  std::optional<Clock::time_point> started() const { return started_; }
  Clock::time_point last_media() const { return last_media_; }

 private:
  struct Position;
  // Into `into` (its capacity kept between segments).
  Result<Ok> fetch_with_retries(HttpClient& client, const std::string& url, std::optional<ByteRange> range,
                                const std::function<bool()>& stop, long* status, std::string& into);
  Result<std::string> key_for(HttpClient& client, const Key& key, const std::function<bool()>& stop);
  Result<std::string> init_for(HttpClient& client, const InitSection& init, const std::function<bool()>& stop);
  std::size_t first_new_index(const MediaPlaylist& playlist, bool first_reload);
  std::optional<FollowResult> take_segment(HttpClient& client, const MediaPlaylist& playlist, const Segment& segment,
                                           const std::function<bool()>& stop);
  void close_ad_break();

  Journal& journal_;
  FollowerOptions options_;
  FollowerEvents events_;
  std::vector<std::unique_ptr<AdRule>> rules_;
  // Where the recording is in the stream.
  int session_ = 0;
  std::optional<JournalSegment> last_;  // the last segment taken (written or left out)
  bool need_new_run_ = true;
  bool resume_pending_ = false;  // a resumed playlist listed nothing new yet
  std::optional<InitSection> run_map_;
  std::string run_extension_;
  std::optional<AdBreakSeen> open_ad_;
  double recorded_s_ = 0;
  double target_s_ = 0;
  double window_s_ = -1;
  std::optional<Clock::time_point> started_;
  Clock::time_point last_media_ = Clock::now();
  // Keys and init sections by URI (and range): fetched once.
  std::string key_uri_, key_bytes_;
  std::string init_id_, init_bytes_;
  std::string segment_bytes_;  // every segment is fetched into this one buffer
  // Segments that answered 403/404/410 once: a fresh URL gets one more try at each, not more.
  std::set<std::pair<int, std::int64_t>> retried_;
};

// A playlist that asks for DRM (SAMPLE-AES, or a KEYFORMAT other than identity): its description.
std::optional<std::string> drm_in(const MediaPlaylist& playlist);

}  // namespace chronicle::hls
