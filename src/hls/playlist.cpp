#include "hls/playlist.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <ctime>

namespace chronicle::hls {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}

// A duration from a stranger's playlist: "nan", "inf" and negative values count as 0, so they
// never reach the gap arithmetic (or the job's JSON).
double finite_seconds(std::string_view text) {
  const double v = std::strtod(std::string(text).c_str(), nullptr);
  return std::isfinite(v) && v > 0 && v < 1e6 ? v : 0;
}

// Kept where sequence arithmetic cannot overflow (the spec allows 0 to 2^64-1).
std::int64_t sequence_number(std::string_view text) {
  return std::clamp<long long>(std::strtoll(std::string(text).c_str(), nullptr, 10), 0, 1LL << 53);
}

std::optional<std::uint64_t> unsigned_number(std::string_view text) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

// "n[@o]" of EXT-X-BYTERANGE; without an offset the range starts where the previous one of the
// same resource ended.
std::optional<ByteRange> parse_range(std::string_view text, std::optional<ByteRange> previous) {
  const auto at = text.find('@');
  const auto length = unsigned_number(text.substr(0, at));
  if (!length || *length == 0) return std::nullopt;
  if (at != std::string_view::npos) {
    const auto offset = unsigned_number(text.substr(at + 1));
    if (!offset) return std::nullopt;
    return ByteRange{*offset, *length};
  }
  return ByteRange{previous ? previous->offset + previous->length : 0, *length};
}

std::optional<std::array<std::uint8_t, 16>> parse_iv(std::string_view text) {
  if (!(text.starts_with("0x") || text.starts_with("0X"))) return std::nullopt;
  text.remove_prefix(2);
  if (text.empty() || text.size() > 32) return std::nullopt;
  std::array<std::uint8_t, 16> iv{};
  // Right-aligned: a shorter value is a smaller number.
  std::size_t nibble = 32 - text.size();
  for (char c : text) {
    int v = 0;
    if (c >= '0' && c <= '9')
      v = c - '0';
    else if (c >= 'a' && c <= 'f')
      v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      v = c - 'A' + 10;
    else
      return std::nullopt;
    iv[nibble / 2] = static_cast<std::uint8_t>(iv[nibble / 2] | (nibble % 2 ? v : v << 4));
    ++nibble;
  }
  return iv;
}

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string value_of(const std::map<std::string, std::string>& attributes, const char* name) {
  auto it = attributes.find(name);
  return it == attributes.end() ? std::string() : it->second;
}

// Lines of a playlist, trimmed, blank ones skipped.
template <typename F>
void for_each_line(std::string_view text, F&& f) {
  while (!text.empty()) {
    const auto eol = text.find('\n');
    const std::string_view line = trim(text.substr(0, eol));
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
    if (!line.empty()) f(line);
  }
}

std::string_view after(std::string_view line, std::string_view tag) { return line.substr(tag.size()); }

}  // namespace

double MediaPlaylist::total_duration_s() const {
  double total = 0;
  for (const auto& s : segments) total += s.duration_s;
  return total;
}

std::string resolve_url(const std::string& base, const std::string& reference) {
  if (reference.find("://") != std::string::npos) return reference;
  const auto scheme_end = base.find("://");
  if (scheme_end == std::string::npos) return reference;
  if (reference.starts_with("//")) return base.substr(0, scheme_end + 1) + reference;
  const auto authority_end = base.find('/', scheme_end + 3);
  std::string origin = authority_end == std::string::npos ? base : base.substr(0, authority_end);
  origin = origin.substr(0, origin.find_first_of("?#"));
  if (reference.starts_with("/")) return origin + reference;
  std::string path = authority_end == std::string::npos ? "/" : base.substr(authority_end);
  path = path.substr(0, path.find_first_of("?#"));
  if (reference.starts_with("?")) return origin + path + reference;
  path = path.substr(0, path.rfind('/') + 1);
  return origin + path + reference;
}

std::map<std::string, std::string> parse_attributes(std::string_view list) {
  std::map<std::string, std::string> out;
  std::size_t i = 0;
  while (i < list.size()) {
    while (i < list.size() && (list[i] == ' ' || list[i] == ',')) ++i;
    const auto eq = list.find('=', i);
    if (eq == std::string_view::npos) break;
    std::string name(trim(list.substr(i, eq - i)));
    i = eq + 1;
    std::string value;
    if (i < list.size() && list[i] == '"') {
      const auto close = list.find('"', i + 1);
      value = std::string(list.substr(i + 1, close == std::string_view::npos ? std::string_view::npos : close - i - 1));
      i = close == std::string_view::npos ? list.size() : close + 1;
    } else {
      const auto comma = list.find(',', i);
      value = std::string(trim(list.substr(i, comma == std::string_view::npos ? std::string_view::npos : comma - i)));
      i = comma == std::string_view::npos ? list.size() : comma;
    }
    if (!name.empty()) out[upper(name)] = value;
  }
  return out;
}

std::optional<std::int64_t> parse_date_time_ms(std::string_view text) {
  // YYYY-MM-DDThh:mm:ss[.fff](Z|±hh:mm|±hhmm)
  if (text.size() < 19 || text[4] != '-' || text[7] != '-' || (text[10] != 'T' && text[10] != 't' && text[10] != ' ') ||
      text[13] != ':' || text[16] != ':')
    return std::nullopt;
  auto num = [&](std::size_t at, std::size_t len) -> std::optional<int> {
    int v = 0;
    for (std::size_t k = at; k < at + len; ++k) {
      if (k >= text.size() || !std::isdigit(static_cast<unsigned char>(text[k]))) return std::nullopt;
      v = v * 10 + (text[k] - '0');
    }
    return v;
  };
  const auto year = num(0, 4), month = num(5, 2), day = num(8, 2), hour = num(11, 2), minute = num(14, 2),
             second = num(17, 2);
  if (!year || !month || !day || !hour || !minute || !second || *month < 1 || *month > 12 || *day < 1 || *day > 31 ||
      *hour > 23 || *minute > 59 || *second > 60)
    return std::nullopt;
  std::size_t at = 19;
  std::int64_t millis = 0;
  if (at < text.size() && text[at] == '.') {
    ++at;
    int digits = 0;
    while (at < text.size() && std::isdigit(static_cast<unsigned char>(text[at]))) {
      if (digits < 3) millis = millis * 10 + (text[at] - '0');
      ++digits;
      ++at;
    }
    for (; digits < 3; ++digits) millis *= 10;
  }
  std::int64_t offset_s = 0;
  if (at < text.size()) {
    const char sign = text[at];
    if (sign == 'Z' || sign == 'z') {
      ++at;
    } else if (sign == '+' || sign == '-') {
      const auto oh = num(at + 1, 2);
      const std::size_t mm_at = at + 3 < text.size() && text[at + 3] == ':' ? at + 4 : at + 3;
      const auto om = num(mm_at, 2);
      if (!oh || !om) return std::nullopt;
      offset_s = static_cast<std::int64_t>(*oh * 3600 + *om * 60) * (sign == '-' ? -1 : 1);
      at = mm_at + 2;
    } else {
      return std::nullopt;
    }
  }
  if (at != text.size()) return std::nullopt;
  std::tm tm{};
  tm.tm_year = *year - 1900;
  tm.tm_mon = *month - 1;
  tm.tm_mday = *day;
  tm.tm_hour = *hour;
  tm.tm_min = *minute;
  tm.tm_sec = *second;
  const std::int64_t seconds = static_cast<std::int64_t>(timegm(&tm)) - offset_s;
  return seconds * 1000 + millis;
}

bool is_master(std::string_view text) { return text.find("#EXT-X-STREAM-INF") != std::string_view::npos; }

std::optional<MediaPlaylist> parse_media(std::string_view text, const std::string& playlist_url) {
  if (is_master(text)) return std::nullopt;
  MediaPlaylist playlist;
  bool header = false, media = false;
  // What the tags before a URI say of the segment it names.
  Segment next;
  std::string range_text;  // resolved once the URI is known: an offset may continue the one before
  Key key;
  std::optional<InitSection> map;
  std::optional<ByteRange> last_range;
  std::string last_range_uri;
  std::optional<std::int64_t> carried_pdt;
  bool in_cue = false;
  std::int64_t sequence = -1, discontinuity = 0;
  bool sequence_fixed = false;
  for_each_line(text, [&](std::string_view line) {
    if (line == "#EXTM3U") {
      header = true;
    } else if (line.starts_with("#EXT-X-MEDIA-SEQUENCE:")) {
      playlist.media_sequence = sequence_number(after(line, "#EXT-X-MEDIA-SEQUENCE:"));
    } else if (line.starts_with("#EXT-X-DISCONTINUITY-SEQUENCE:")) {
      playlist.discontinuity_sequence = sequence_number(after(line, "#EXT-X-DISCONTINUITY-SEQUENCE:"));
    } else if (line.starts_with("#EXT-X-TARGETDURATION:")) {
      playlist.target_duration_s = finite_seconds(after(line, "#EXT-X-TARGETDURATION:"));
      media = true;
    } else if (line.starts_with("#EXT-X-PLAYLIST-TYPE:")) {
      playlist.playlist_type = upper(std::string(trim(after(line, "#EXT-X-PLAYLIST-TYPE:"))));
    } else if (line.starts_with("#EXTINF:")) {
      const auto value = after(line, "#EXTINF:");
      const auto comma = value.find(',');
      next.duration_s = finite_seconds(value.substr(0, comma));
      next.title = comma == std::string_view::npos ? std::string() : std::string(trim(value.substr(comma + 1)));
      media = true;
    } else if (line.starts_with("#EXT-X-BYTERANGE:")) {
      range_text = std::string(after(line, "#EXT-X-BYTERANGE:"));
    } else if (line == "#EXT-X-ENDLIST") {
      playlist.ended = true;
    } else if (line == "#EXT-X-DISCONTINUITY") {
      next.discontinuity = true;
    } else if (line == "#EXT-X-GAP") {
      next.gap = true;
    } else if (line.starts_with("#EXT-X-KEY:")) {
      const auto a = parse_attributes(after(line, "#EXT-X-KEY:"));
      key = Key{};
      const std::string method = upper(value_of(a, "METHOD"));
      if (!method.empty() && method != "NONE") {
        key.method = method;
        const auto uri = value_of(a, "URI");
        key.uri = uri.empty() ? std::string() : resolve_url(playlist_url, uri);
        if (auto iv = value_of(a, "IV"); !iv.empty()) key.iv = parse_iv(iv);
        key.keyformat = value_of(a, "KEYFORMAT");
        if (key.keyformat.empty()) key.keyformat = "identity";
      }
    } else if (line.starts_with("#EXT-X-MAP:")) {
      const auto a = parse_attributes(after(line, "#EXT-X-MAP:"));
      InitSection init{resolve_url(playlist_url, value_of(a, "URI")), std::nullopt};
      if (auto r = value_of(a, "BYTERANGE"); !r.empty()) init.range = parse_range(r, ByteRange{0, 0});
      map = init;
    } else if (line.starts_with("#EXT-X-PROGRAM-DATE-TIME:")) {
      next.program_date_time_ms = parse_date_time_ms(trim(after(line, "#EXT-X-PROGRAM-DATE-TIME:")));
    } else if (line.starts_with("#EXT-X-DATERANGE:")) {
      const auto a = parse_attributes(after(line, "#EXT-X-DATERANGE:"));
      DateRange d{value_of(a, "ID"), value_of(a, "CLASS"), parse_date_time_ms(value_of(a, "START-DATE")), std::nullopt};
      if (auto duration = value_of(a, "DURATION"); !duration.empty())
        d.duration_s = finite_seconds(duration);
      else if (auto planned = value_of(a, "PLANNED-DURATION"); !planned.empty())
        d.duration_s = finite_seconds(planned);
      if (auto end = parse_date_time_ms(value_of(a, "END-DATE")); end && d.start_ms && !d.duration_s)
        d.duration_s = static_cast<double>(*end - *d.start_ms) / 1000.0;
      playlist.dateranges.push_back(std::move(d));
    } else if (line.starts_with("#EXT-X-CUE-OUT-CONT") || line.starts_with("#EXT-X-CUE-OUT")) {
      next.cue_out = true;
      in_cue = true;
    } else if (line.starts_with("#EXT-X-CUE-IN")) {
      next.cue_in = true;
      in_cue = false;
    } else if (line.front() != '#') {
      if (!sequence_fixed) {
        sequence = playlist.media_sequence;
        discontinuity = playlist.discontinuity_sequence;
        sequence_fixed = true;
      }
      if (next.discontinuity) ++discontinuity;
      next.uri = resolve_url(playlist_url, std::string(line));
      next.sequence = sequence++;
      next.discontinuity_sequence = discontinuity;
      next.key = key;
      next.map = map;
      if (!range_text.empty()) {
        // A range without an offset continues the previous one of the same resource.
        next.range = parse_range(range_text, last_range_uri == next.uri ? last_range : std::nullopt);
        last_range = next.range;
        last_range_uri = next.uri;
        range_text.clear();
      }
      if (next.program_date_time_ms)
        carried_pdt = next.program_date_time_ms;
      else if (carried_pdt)
        next.program_date_time_ms = carried_pdt;
      if (carried_pdt) carried_pdt = *carried_pdt + static_cast<std::int64_t>(std::llround(next.duration_s * 1000));
      if (in_cue && !next.cue_in) next.cue_out = true;
      playlist.segments.push_back(std::move(next));
      next = Segment{};
    }
  });
  if (!header || !media) return std::nullopt;
  return playlist;
}

std::optional<MasterPlaylist> parse_master(std::string_view text, const std::string& playlist_url) {
  MasterPlaylist master;
  bool header = false;
  std::optional<Variant> pending;
  for_each_line(text, [&](std::string_view line) {
    if (line == "#EXTM3U") {
      header = true;
    } else if (line.starts_with("#EXT-X-STREAM-INF:")) {
      const auto a = parse_attributes(after(line, "#EXT-X-STREAM-INF:"));
      Variant v;
      v.bandwidth = unsigned_number(value_of(a, "BANDWIDTH")).value_or(0);
      v.codecs = value_of(a, "CODECS");
      v.audio_group = value_of(a, "AUDIO");
      v.video_group = value_of(a, "VIDEO");
      const auto resolution = value_of(a, "RESOLUTION");
      if (const auto x = resolution.find_first_of("xX"); x != std::string::npos) {
        v.width = static_cast<int>(unsigned_number(resolution.substr(0, x)).value_or(0) & 0xffff);
        v.height = static_cast<int>(unsigned_number(resolution.substr(x + 1)).value_or(0) & 0xffff);
      }
      pending = v;
    } else if (line.starts_with("#EXT-X-MEDIA:")) {
      const auto a = parse_attributes(after(line, "#EXT-X-MEDIA:"));
      Rendition r;
      r.type = upper(value_of(a, "TYPE"));
      r.group_id = value_of(a, "GROUP-ID");
      r.name = value_of(a, "NAME");
      r.language = value_of(a, "LANGUAGE");
      if (auto uri = value_of(a, "URI"); !uri.empty()) r.uri = resolve_url(playlist_url, uri);
      r.is_default = upper(value_of(a, "DEFAULT")) == "YES";
      r.autoselect = upper(value_of(a, "AUTOSELECT")) == "YES";
      master.renditions.push_back(std::move(r));
    } else if (line.front() != '#' && pending) {
      pending->uri = resolve_url(playlist_url, std::string(line));
      master.variants.push_back(std::move(*pending));
      pending.reset();
    }
  });
  if (!header || master.variants.empty()) return std::nullopt;
  return master;
}

const Variant* best_variant(const MasterPlaylist& master) {
  const Variant* best = nullptr;
  for (const auto& v : master.variants) {
    // An audio-only variant (no resolution, and others have one) is never "best" video.
    if (!best || std::pair(v.height, v.bandwidth) > std::pair(best->height, best->bandwidth)) best = &v;
  }
  return best;
}

const Rendition* default_audio(const MasterPlaylist& master, const std::string& group) {
  const Rendition* pick = nullptr;
  for (const auto& r : master.renditions) {
    if (r.type != "AUDIO" || r.group_id != group || r.uri.empty()) continue;
    if (r.is_default) return &r;
    if (!pick || (r.autoselect && !pick->autoselect)) pick = &r;
  }
  return pick;
}

}  // namespace chronicle::hls
