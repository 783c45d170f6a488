#pragma once
// HLS playlists as RFC 8216 describes them, parsed into typed values: a media playlist's segments
// with everything needed to fetch, decrypt, order and classify each one, and a master playlist's
// variants and renditions. Pure logic: no I/O, unit-tested and fuzzed.
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chronicle::hls {

// A resolved EXT-X-BYTERANGE: `length` bytes from `offset`.
struct ByteRange {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
  bool operator==(const ByteRange&) const = default;
};

// EXT-X-KEY. METHOD=NONE (or no tag) leaves `method` empty.
struct Key {
  std::string method;  // "AES-128", "SAMPLE-AES", "SAMPLE-AES-CTR", ...
  std::string uri;     // absolute
  std::optional<std::array<std::uint8_t, 16>> iv;
  std::string keyformat;  // "identity" when not given
  bool encrypted() const { return !method.empty(); }
  bool operator==(const Key&) const = default;
};

// EXT-X-MAP: the initialization section (fMP4/CMAF) the segments after it need.
struct InitSection {
  std::string uri;
  std::optional<ByteRange> range;
  bool operator==(const InitSection&) const = default;
};

struct DateRange {
  std::string id;
  std::string klass;  // CLASS
  std::optional<std::int64_t> start_ms;
  std::optional<double> duration_s;  // DURATION, or END-DATE - START-DATE
};

struct Segment {
  std::string uri;  // absolute
  double duration_s = 0;
  std::string title;  // EXTINF's title
  std::int64_t sequence = 0;
  std::int64_t discontinuity_sequence = 0;
  bool discontinuity = false;  // #EXT-X-DISCONTINUITY before it
  bool gap = false;            // #EXT-X-GAP: listed, but there is nothing to fetch
  std::optional<ByteRange> range;
  Key key;
  std::optional<InitSection> map;
  std::optional<std::int64_t> program_date_time_ms;  // its own tag, or carried on from the one before
  bool cue_out = false;                              // an SCTE-35 break begins or goes on here (EXT-X-CUE-OUT, -CONT)
  bool cue_in = false;                               // a break ended before it (EXT-X-CUE-IN)
};

struct MediaPlaylist {
  std::int64_t media_sequence = 0;
  std::int64_t discontinuity_sequence = 0;
  double target_duration_s = 0;
  bool ended = false;         // #EXT-X-ENDLIST
  std::string playlist_type;  // "EVENT", "VOD" or empty
  std::vector<Segment> segments;
  std::vector<DateRange> dateranges;
  double total_duration_s() const;
};

struct Variant {
  std::string uri;  // absolute
  std::uint64_t bandwidth = 0;
  int width = 0, height = 0;
  std::string codecs;
  std::string audio_group;  // AUDIO=
  std::string video_group;  // VIDEO=
};

struct Rendition {
  std::string type;  // AUDIO, VIDEO, SUBTITLES, CLOSED-CAPTIONS
  std::string group_id, name, language;
  std::string uri;  // absolute; empty: carried in the variant's own stream
  bool is_default = false, autoselect = false;
};

struct MasterPlaylist {
  std::vector<Variant> variants;
  std::vector<Rendition> renditions;
};

// nullopt when the text is not an HLS media playlist (a master playlist is not one).
std::optional<MediaPlaylist> parse_media(std::string_view text, const std::string& playlist_url);
// nullopt when the text is not a master playlist.
std::optional<MasterPlaylist> parse_master(std::string_view text, const std::string& playlist_url);
bool is_master(std::string_view text);

// `reference` resolved against `base` (RFC 3986 for the forms playlists use: absolute,
// scheme-relative, absolute path, relative path).
std::string resolve_url(const std::string& base, const std::string& reference);

// An attribute list (`KEY=value,KEY="quoted, value"`), names upper-case as written.
std::map<std::string, std::string> parse_attributes(std::string_view list);

// RFC 3339 / ISO 8601 date-time ("2026-12-06T10:00:00.500Z", "+02:00" offsets) to milliseconds
// since the epoch.
std::optional<std::int64_t> parse_date_time_ms(std::string_view text);

// The variant a recorder takes: the highest bandwidth, or the one matching `height` when asked.
const Variant* best_variant(const MasterPlaylist& master);
// The audio rendition of `group` a player would pick: DEFAULT, else AUTOSELECT, else the first.
const Rendition* default_audio(const MasterPlaylist& master, const std::string& group);

}  // namespace chronicle::hls
