#include "remux/matroska.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace chronicle::remux {
namespace {

// Element IDs of the Matroska specification (RFC 9559), with their length markers.
constexpr std::uint32_t kEbml = 0x1A45DFA3, kEbmlVersion = 0x4286, kEbmlReadVersion = 0x42F7, kEbmlMaxIdLength = 0x42F2,
                        kEbmlMaxSizeLength = 0x42F3, kDocType = 0x4282, kDocTypeVersion = 0x4287,
                        kDocTypeReadVersion = 0x4285;
constexpr std::uint32_t kSegment = 0x18538067, kSeekHead = 0x114D9B74, kSeek = 0x4DBB, kSeekId = 0x53AB,
                        kSeekPosition = 0x53AC;
constexpr std::uint32_t kInfo = 0x1549A966, kTimestampScale = 0x2AD7B1, kDuration = 0x4489, kMuxingApp = 0x4D80,
                        kWritingApp = 0x5741;
constexpr std::uint32_t kTracks = 0x1654AE6B, kTrackEntry = 0xAE, kTrackNumber = 0xD7, kTrackUid = 0x73C5,
                        kTrackType = 0x83, kFlagLacing = 0x9C, kCodecId = 0x86, kCodecPrivate = 0x63A2,
                        kLanguage = 0x22B59C, kVideo = 0xE0, kPixelWidth = 0xB0, kPixelHeight = 0xBA, kAudio = 0xE1,
                        kSamplingFrequency = 0xB5, kChannels = 0x9F;
constexpr std::uint32_t kCluster = 0x1F43B675, kTimestamp = 0xE7, kSimpleBlock = 0xA3;
constexpr std::uint32_t kCues = 0x1C53BB6B, kCuePoint = 0xBB, kCueTime = 0xB3, kCueTrackPositions = 0xB7,
                        kCueTrack = 0xF7, kCueClusterPosition = 0xF1;

constexpr std::uint32_t kChapters = 0x1043A770, kEditionEntry = 0x45B9, kEditionUid = 0x45BC,
                        kEditionFlagDefault = 0x45DB, kChapterAtom = 0xB6, kChapterUid = 0x73C4,
                        kChapterTimeStart = 0x91, kChapterDisplay = 0x80, kChapString = 0x85, kChapLanguage = 0x437C;
constexpr std::uint32_t kVoid = 0xEC;

constexpr std::size_t kFlushAt = 4 << 20;
// A cluster ends at a video keyframe; audio alone is cut every few seconds, and no cluster may
// outgrow the signed 16-bit millisecond offsets of its blocks.
constexpr std::int64_t kAudioClusterMs = 5000;
constexpr std::size_t kClusterBytes = 32 << 20;

using Bytes = std::vector<std::uint8_t>;

void put_id(Bytes& b, std::uint32_t id) {
  int bytes = id > 0xFFFFFF ? 4 : id > 0xFFFF ? 3 : id > 0xFF ? 2 : 1;
  while (bytes-- > 0) b.push_back(static_cast<std::uint8_t>(id >> (8 * bytes)));
}

// An EBML variable-size integer: the shortest form, or exactly `width` bytes.
void put_size(Bytes& b, std::uint64_t size, int width = 0) {
  int length = 1;
  while (length < 8 && size >= (std::uint64_t{1} << (7 * length)) - 1) ++length;
  length = std::max(length, width);
  const std::uint64_t marked = size | (std::uint64_t{1} << (7 * length));
  for (int i = length - 1; i >= 0; --i) b.push_back(static_cast<std::uint8_t>(marked >> (8 * i)));
}

void put_uint(Bytes& b, std::uint32_t id, std::uint64_t v, int width = 0) {
  int length = 1;
  while (length < 8 && (v >> (8 * length)) != 0) ++length;
  length = std::max(length, width);
  put_id(b, id);
  put_size(b, static_cast<std::uint64_t>(length));
  for (int i = length - 1; i >= 0; --i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

void put_float(Bytes& b, std::uint32_t id, double v) {
  std::uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof bits);
  put_id(b, id);
  put_size(b, 8);
  for (int i = 7; i >= 0; --i) b.push_back(static_cast<std::uint8_t>(bits >> (8 * i)));
}

void put_bytes(Bytes& b, std::uint32_t id, const void* data, std::size_t size) {
  put_id(b, id);
  put_size(b, size);
  const auto* p = static_cast<const std::uint8_t*>(data);
  b.insert(b.end(), p, p + size);
}

void put_string(Bytes& b, std::uint32_t id, const std::string& s) { put_bytes(b, id, s.data(), s.size()); }

void put_master(Bytes& b, std::uint32_t id, const Bytes& content) { put_bytes(b, id, content.data(), content.size()); }

Bytes big_endian(std::uint64_t v, int width) {
  Bytes b;
  for (int i = width - 1; i >= 0; --i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  return b;
}

}  // namespace

MatroskaWriter::MatroskaWriter(int fd, std::filesystem::path path, std::vector<bool> video_tracks)
    : fd_(fd),
      path_(std::move(path)),
      video_tracks_(std::move(video_tracks)),
      has_video_(std::find(video_tracks_.begin(), video_tracks_.end(), true) != video_tracks_.end()) {
  out_.reserve(kFlushAt + (1 << 20));
}

MatroskaWriter::~MatroskaWriter() {
  if (fd_ >= 0) ::close(fd_);
}

Result<Ok> MatroskaWriter::io_error(const char* what) {
  return make_error("storage_error",
                    std::string("cannot ") + what + " " + path_.string() + ": " + std::strerror(errno));
}

Result<std::unique_ptr<MatroskaWriter>> MatroskaWriter::create(const std::filesystem::path& path,
                                                               const std::vector<TrackInfo>& tracks) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return make_error("storage_error", "cannot create " + path.string() + ": " + std::strerror(errno));
  std::vector<bool> video_tracks(tracks.size());
  for (std::size_t i = 0; i < tracks.size(); ++i) video_tracks[i] = tracks[i].video;
  std::unique_ptr<MatroskaWriter> w(new MatroskaWriter(fd, path, std::move(video_tracks)));
  Bytes& b = w->out_;

  Bytes header;
  put_uint(header, kEbmlVersion, 1);
  put_uint(header, kEbmlReadVersion, 1);
  put_uint(header, kEbmlMaxIdLength, 4);
  put_uint(header, kEbmlMaxSizeLength, 8);
  put_string(header, kDocType, "matroska");
  put_uint(header, kDocTypeVersion, 4);
  put_uint(header, kDocTypeReadVersion, 2);
  put_master(b, kEbml, header);

  put_id(b, kSegment);
  w->segment_size_at_ = b.size();
  put_size(b, 0, 8);
  w->segment_start_ = b.size();

  // The seek head has a fixed size: Info and Tracks follow it directly, the Cues' position is
  // filled in at the end.
  auto seek_entry = [](std::uint32_t id, std::uint64_t position) {
    Bytes seek, idbytes;
    put_id(idbytes, id);
    put_bytes(seek, kSeekId, idbytes.data(), idbytes.size());
    put_uint(seek, kSeekPosition, position, 8);
    return seek;
  };
  Bytes info;
  put_uint(info, kTimestampScale, 1000000);
  put_string(info, kMuxingApp, "chronicle");
  put_string(info, kWritingApp, "chronicle");
  const std::size_t duration_in_info = info.size();
  put_float(info, kDuration, 0);
  Bytes track_list;
  for (std::size_t i = 0; i < tracks.size(); ++i) {
    const TrackInfo& t = tracks[i];
    Bytes entry;
    put_uint(entry, kTrackNumber, i + 1);
    put_uint(entry, kTrackUid, i + 1);
    put_uint(entry, kTrackType, t.video ? 1 : 2);
    put_uint(entry, kFlagLacing, 0);
    put_string(entry, kLanguage, "und");
    put_string(entry, kCodecId, t.codec_id);
    if (!t.codec_private.empty()) put_bytes(entry, kCodecPrivate, t.codec_private.data(), t.codec_private.size());
    Bytes detail;
    if (t.video) {
      put_uint(detail, kPixelWidth, static_cast<std::uint64_t>(t.width));
      put_uint(detail, kPixelHeight, static_cast<std::uint64_t>(t.height));
      put_master(entry, kVideo, detail);
    } else {
      put_float(detail, kSamplingFrequency, t.sample_rate);
      put_uint(detail, kChannels, static_cast<std::uint64_t>(t.channels));
      put_master(entry, kAudio, detail);
    }
    put_master(track_list, kTrackEntry, entry);
  }
  Bytes seeks;
  const Bytes info_seek = seek_entry(kInfo, 0), tracks_seek = seek_entry(kTracks, 0), cues_seek = seek_entry(kCues, 0);
  Bytes probe;
  put_master(probe, kSeek, info_seek);
  put_master(probe, kSeek, tracks_seek);
  put_master(probe, kSeek, cues_seek);
  Bytes sized_probe;
  put_master(sized_probe, kSeekHead, probe);
  const std::uint64_t info_at = sized_probe.size();
  Bytes sized_info;
  put_master(sized_info, kInfo, info);
  const std::uint64_t tracks_at = info_at + sized_info.size();
  put_master(seeks, kSeek, seek_entry(kInfo, info_at));
  put_master(seeks, kSeek, seek_entry(kTracks, tracks_at));
  // Then the Cues' entry (its eight-byte position is filled in at the end), then room for the
  // Chapters' entry: a Void of its size, which finish() turns into the entry when there are any.
  put_master(seeks, kSeek, cues_seek);
  Bytes chapters_entry;
  put_master(chapters_entry, kSeek, seek_entry(kChapters, 0));
  Bytes room;
  put_id(room, kVoid);
  put_size(room, chapters_entry.size() - 2);
  room.resize(chapters_entry.size());
  seeks.insert(seeks.end(), room.begin(), room.end());
  put_master(b, kSeekHead, seeks);
  w->cues_position_at_ = b.size() - room.size() - 8;
  w->chapters_entry_at_ = b.size() - room.size();
  put_master(b, kInfo, info);
  // Info's header, then its content up to the Duration element's 8-byte value.
  w->duration_at_ = b.size() - info.size() + duration_in_info + 3;
  put_master(b, kTracks, track_list);
  return w;
}

Result<Ok> MatroskaWriter::flush() {
  std::size_t done = 0;
  while (done < out_.size()) {
    const ssize_t n = ::write(fd_, out_.data() + done, out_.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("write");
    }
    done += static_cast<std::size_t>(n);
  }
  flushed_ += out_.size();
  out_.clear();
  return Ok{};
}

Result<Ok> MatroskaWriter::close_cluster() {
  if (!cluster_open_) return Ok{};
  // The cluster was written in place behind an eight-byte size, filled in now.
  const std::uint64_t size = out_.size() - cluster_content_at_;
  Bytes sized;
  put_size(sized, size, 8);
  std::memcpy(out_.data() + cluster_content_at_ - 8, sized.data(), 8);
  cluster_open_ = false;
  if (out_.size() >= kFlushAt) return flush();
  return Ok{};
}

Result<Ok> MatroskaWriter::begin_block(int track, std::int64_t ms, bool key, std::size_t size) {
  if (track < 1 || static_cast<std::size_t>(track) > video_tracks_.size() || track > 126)
    return make_error("internal", "no track " + std::to_string(track));
  const bool video_key = key && video_tracks_[static_cast<std::size_t>(track - 1)];
  bool start = !cluster_open_ || video_key || ms - cluster_ms_ > 32767 || ms - cluster_ms_ < -32768 ||
               out_.size() - cluster_content_at_ >= kClusterBytes ||
               (!has_video_ && ms - cluster_ms_ >= kAudioClusterMs);
  if (start) {
    if (auto closed = close_cluster(); !closed) return closed.error();
    const std::uint64_t position = flushed_ + out_.size() - segment_start_;
    put_id(out_, kCluster);
    put_size(out_, 0, 8);
    cluster_content_at_ = out_.size();
    cluster_open_ = true;
    cluster_ms_ = std::max<std::int64_t>(ms, 0);
    put_uint(out_, kTimestamp, static_cast<std::uint64_t>(cluster_ms_));
    // Every cluster a player can start decoding at is a cue, and the first one always (a file
    // whose video begins mid-GOP still has a Cues element for its seek head to point at).
    if (video_key || !has_video_ || cues_.empty()) cues_.push_back({cluster_ms_, track, position});
  }
  put_id(out_, kSimpleBlock);
  put_size(out_, size + 4);
  out_.push_back(static_cast<std::uint8_t>(0x80 | track));
  const auto relative = static_cast<std::uint16_t>(static_cast<std::int16_t>(ms - cluster_ms_));
  out_.push_back(static_cast<std::uint8_t>(relative >> 8));
  out_.push_back(static_cast<std::uint8_t>(relative & 0xFF));
  out_.push_back(key ? 0x80 : 0x00);
  return Ok{};
}

Result<Ok> MatroskaWriter::video_frame(int track, std::int64_t ms, bool key, const std::uint8_t* access_unit,
                                       const std::vector<NalUnit>& nals) {
  std::size_t size = 0;
  for (const auto& nal : nals) size += 4 + nal.size;
  if (auto begun = begin_block(track, ms, key, size); !begun) return begun.error();
  const std::size_t at = out_.size();
  out_.resize(at + size);
  std::uint8_t* p = out_.data() + at;
  for (const auto& nal : nals) {
    p[0] = static_cast<std::uint8_t>(nal.size >> 24);
    p[1] = static_cast<std::uint8_t>(nal.size >> 16);
    p[2] = static_cast<std::uint8_t>(nal.size >> 8);
    p[3] = static_cast<std::uint8_t>(nal.size);
    std::memcpy(p + 4, access_unit + nal.offset, nal.size);
    p += 4 + nal.size;
  }
  return Ok{};
}

Result<Ok> MatroskaWriter::frame(int track, std::int64_t ms, bool key, const std::uint8_t* data, std::size_t size) {
  if (auto begun = begin_block(track, ms, key, size); !begun) return begun.error();
  out_.insert(out_.end(), data, data + size);
  return Ok{};
}

Result<Ok> MatroskaWriter::finish(double duration_ms, const std::vector<Chapter>& chapters) {
  if (auto closed = close_cluster(); !closed) return closed.error();
  const std::uint64_t cues_at = flushed_ + out_.size() - segment_start_;
  Bytes points;
  for (const auto& cue : cues_) {
    Bytes position, point;
    put_uint(position, kCueTrack, static_cast<std::uint64_t>(cue.track));
    put_uint(position, kCueClusterPosition, cue.position);
    put_uint(point, kCueTime, static_cast<std::uint64_t>(cue.ms));
    put_master(point, kCueTrackPositions, position);
    put_master(points, kCuePoint, point);
  }
  if (!cues_.empty()) put_master(out_, kCues, points);
  std::vector<std::pair<std::uint64_t, Bytes>> patches;
  if (!chapters.empty()) {
    const std::uint64_t chapters_at = flushed_ + out_.size() - segment_start_;
    Bytes edition;
    put_uint(edition, kEditionUid, 1);
    put_uint(edition, kEditionFlagDefault, 1);
    for (std::size_t i = 0; i < chapters.size(); ++i) {
      Bytes display, atom;
      put_string(display, kChapString, chapters[i].title);
      put_string(display, kChapLanguage, "eng");
      put_uint(atom, kChapterUid, i + 1);
      put_uint(atom, kChapterTimeStart,
               static_cast<std::uint64_t>(std::max<std::int64_t>(0, chapters[i].start_ms)) * 1000000);
      put_master(atom, kChapterDisplay, display);
      put_master(edition, kChapterAtom, atom);
    }
    Bytes editions;
    put_master(editions, kEditionEntry, edition);
    put_master(out_, kChapters, editions);
    Bytes seek, entry, idbytes;
    put_id(idbytes, kChapters);
    put_bytes(seek, kSeekId, idbytes.data(), idbytes.size());
    put_uint(seek, kSeekPosition, chapters_at, 8);
    put_master(entry, kSeek, seek);
    patches.emplace_back(chapters_entry_at_, std::move(entry));
  }
  if (auto flushed = flush(); !flushed) return flushed.error();
  std::uint64_t duration_bits = 0;
  std::memcpy(&duration_bits, &duration_ms, sizeof duration_bits);
  Bytes segment_size;
  put_size(segment_size, flushed_ - segment_start_, 8);
  patches.emplace_back(segment_size_at_, segment_size);
  patches.emplace_back(cues_position_at_, big_endian(cues_.empty() ? 0 : cues_at, 8));
  patches.emplace_back(duration_at_, big_endian(duration_bits, 8));
  for (const auto& [at, bytes] : patches)
    if (::pwrite(fd_, bytes.data(), bytes.size(), static_cast<off_t>(at)) != static_cast<ssize_t>(bytes.size()))
      return io_error("write");
  if (::close(fd_) != 0) {
    fd_ = -1;
    return io_error("close");
  }
  fd_ = -1;
  return Ok{};
}

}  // namespace chronicle::remux
