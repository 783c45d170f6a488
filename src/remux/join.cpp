#include "remux/join.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <deque>
#include <memory>
#include <optional>

#include "remux/codecs.hpp"
#include "remux/matroska.hpp"
#include "remux/ts.hpp"

namespace chronicle::remux {
namespace {

constexpr std::int64_t kWrap = std::int64_t{1} << 33;  // PTS and DTS are 33-bit counters
constexpr std::size_t kChunk = kTsPacket * 16384;      // about 3 MiB read at a time
constexpr std::size_t kProbeBytes = 32 << 20;          // the parameter sets must come before this
// A run's first timestamp is the smallest among its first PES packets: enough of them for the
// reordered frames of the first group of pictures, and one of each stream.
constexpr std::size_t kBasePackets = 8;
constexpr std::size_t kBaseLimit = 512;
constexpr std::int64_t kMaxAudioShift = 9000;  // 100 ms

Error unsupported(const std::string& why) { return make_error(kRemuxUnsupported, why); }

// The streams of a run that go into the file, in the PMT's order: its audio, and its video
// unless the rendition is a separate audio one.
std::vector<ElementaryStream> file_streams(const TsDemuxer& demuxer, bool audio_only) {
  std::vector<ElementaryStream> out;
  for (const auto& es : demuxer.streams())
    if (es.kind == StreamKind::audio_aac || (es.kind == StreamKind::video_h264 && !audio_only)) out.push_back(es);
  return out;
}

// A run file read in whole packets.
class RunFile {
 public:
  static Result<RunFile> open(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return make_error("storage_error", "cannot open " + path.string() + ": " + std::strerror(errno));
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    return RunFile(fd, path);
  }
  RunFile(RunFile&& o) noexcept : fd_(std::exchange(o.fd_, -1)), path_(std::move(o.path_)) {}
  RunFile& operator=(RunFile&& o) noexcept {
    std::swap(fd_, o.fd_);
    path_ = std::move(o.path_);
    return *this;
  }
  RunFile(const RunFile&) = delete;
  RunFile& operator=(const RunFile&) = delete;
  ~RunFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  // Fills `buffer` with the next packets; 0 at the end.
  Result<std::size_t> read(std::vector<std::uint8_t>& buffer) {
    buffer.resize(kChunk);
    std::size_t filled = 0;
    while (filled < buffer.size()) {
      const ssize_t n = ::read(fd_, buffer.data() + filled, buffer.size() - filled);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return make_error("storage_error", "cannot read " + path_.string() + ": " + std::strerror(errno));
      if (n == 0) break;
      filled += static_cast<std::size_t>(n);
    }
    if (filled % kTsPacket != 0) return unsupported(path_.filename().string() + " does not end on a whole packet");
    return filled;
  }

 private:
  RunFile(int fd, std::filesystem::path path) : fd_(fd), path_(std::move(path)) {}
  int fd_;
  std::filesystem::path path_;
};

// The tracks a rendition gives the file, read from its first run: the AVC configuration and
// picture size from the first SPS and PPS, the AAC configuration from the first ADTS header.
Result<std::vector<TrackInfo>> probe_tracks(const TsRendition& rendition) {
  const auto& first = rendition.runs.front().file;
  std::vector<std::optional<TrackInfo>> found;
  std::vector<NalUnit> nals;
  std::optional<Error> failure;
  TsDemuxer* demuxer_ptr = nullptr;
  std::vector<ElementaryStream> streams;
  TsDemuxer demuxer([&](Pes&& pes) {
    if (streams.empty()) {
      streams = file_streams(*demuxer_ptr, rendition.audio_only);
      found.resize(streams.size());
    }
    const auto es = std::find_if(streams.begin(), streams.end(), [&](const auto& s) { return s.pid == pes.pid; });
    if (es == streams.end()) return;
    auto& slot = found[static_cast<std::size_t>(es - streams.begin())];
    if (slot) return;
    if (es->kind == StreamKind::audio_aac) {
      const auto adts = parse_adts(pes.payload.data(), pes.payload.size());
      if (!adts) {
        if (!pes.payload.empty()) failure = unsupported("an AAC stream that is not in ADTS frames");
        return;
      }
      TrackInfo t;
      t.video = false;
      t.codec_id = "A_AAC";
      t.codec_private.assign(adts->audio_specific_config.begin(), adts->audio_specific_config.end());
      t.sample_rate = adts->sample_rate;
      t.channels = adts->channels;
      slot = t;
      return;
    }
    split_annex_b(pes.payload.data(), pes.payload.size(), nals);
    const NalUnit *sps = nullptr, *pps = nullptr;
    for (const auto& nal : nals) {
      if (nal.type == kNalSps && !sps) sps = &nal;
      if (nal.type == kNalPps && !pps) pps = &nal;
    }
    if (!sps || !pps) return;
    const auto config =
        h264_config(pes.payload.data() + sps->offset, sps->size, pes.payload.data() + pps->offset, pps->size);
    if (!config) {
      failure = unsupported("an H.264 sequence parameter set this remuxer cannot read");
      return;
    }
    TrackInfo t;
    t.codec_id = "V_MPEG4/ISO/AVC";
    t.codec_private = config->avcc;
    t.width = config->width;
    t.height = config->height;
    slot = t;
  });
  demuxer_ptr = &demuxer;
  auto file = RunFile::open(first);
  if (!file) return file.error();
  std::vector<std::uint8_t> buffer;
  std::size_t seen = 0;
  auto complete = [&] {
    return !found.empty() && std::all_of(found.begin(), found.end(), [](const auto& t) { return t.has_value(); });
  };
  while (!complete() && !failure && seen < kProbeBytes) {
    auto n = file->read(buffer);
    if (!n) return n.error();
    if (*n == 0) break;
    seen += *n;
    if (!demuxer.feed(buffer.data(), *n)) return unsupported(first.filename().string() + ": " + demuxer.error());
  }
  if (failure) return *failure;
  if (found.empty()) return unsupported(first.filename().string() + " has no H.264 or AAC stream");
  if (!complete()) return unsupported(first.filename().string() + " does not give every stream's configuration");
  std::vector<TrackInfo> tracks;
  tracks.reserve(found.size());
  for (auto& t : found) tracks.push_back(std::move(*t));
  return tracks;
}

struct Frame {
  int track = 0;
  bool key = false;
  std::int64_t pts = 0, dts = 0, duration = 0;  // 90 kHz, on the file's timeline
  std::vector<std::uint8_t> data;               // an Annex B access unit, or one raw AAC frame
  std::vector<NalUnit> nals;
};

// One rendition's frames in file order, run after run, on the file's timeline.
class Source {
 public:
  Source(const TsRendition& rendition, std::vector<int> track_numbers, const std::vector<TrackInfo>& tracks)
      : rendition_(rendition), numbers_(std::move(track_numbers)), tracks_(tracks), track_end_(numbers_.size()) {}

  // The next frame, or nullptr at the end.
  Result<Frame*> peek() {
    while (frames_.empty() && !done_)
      if (auto filled = fill(); !filled) return filled.error();
    return frames_.empty() ? nullptr : &frames_.front();
  }
  void pop() { frames_.pop_front(); }

 private:
  struct Stream {  // one audio or video stream of the current run, by its place among them
    std::uint16_t pid = 0;
    bool seen = false;
    std::optional<std::int64_t> last_dts;  // of its previous video frame
    std::vector<std::uint8_t> residual;    // the start of an ADTS frame the next PES ends
    std::optional<std::int64_t> audio_start;
    std::int64_t samples = 0;
    std::optional<std::int64_t> shift;  // of this run's frames, past the end of the run before
    std::int64_t step = 0;              // between its last two video frames
  };

  Result<Ok> fill() {
    if (!file_) {
      if (run_ >= rendition_.runs.size()) {
        done_ = true;
        return Ok{};
      }
      if (auto opened = start_run(); !opened) return opened.error();
    }
    auto n = file_->read(buffer_);
    if (!n) return n.error();
    if (*n > 0) {
      if (!demuxer_->feed(buffer_.data(), *n))
        return failure_ ? *failure_ : unsupported(run_name() + ": " + demuxer_->error());
      return failure_ ? Result<Ok>(*failure_) : Result<Ok>(Ok{});
    }
    demuxer_->flush();
    if (!failure_ && !base_) release();
    if (failure_) return *failure_;
    offset_ += std::llround(rendition_.runs[run_].duration_s * 90000.0);
    file_.reset();
    ++run_;
    return Ok{};
  }

  std::string run_name() const { return rendition_.runs[run_].file.filename().string(); }

  Result<Ok> start_run() {
    auto file = RunFile::open(rendition_.runs[run_].file);
    if (!file) return file.error();
    file_ = std::make_unique<RunFile>(std::move(*file));
    demuxer_ = std::make_unique<TsDemuxer>([this](Pes&& pes) { on_pes(std::move(pes)); });
    streams_.clear();
    pending_.clear();
    base_.reset();
    reference_.reset();
    return Ok{};
  }

  void on_pes(Pes&& pes) {
    if (failure_) return;
    if (streams_.empty()) {
      auto found = file_streams(*demuxer_, rendition_.audio_only);
      if (found.size() > numbers_.size()) found.resize(numbers_.size());  // extra streams are left out
      for (std::size_t i = 0; i < found.size(); ++i) {
        if ((found[i].kind == StreamKind::video_h264) != tracks_[static_cast<std::size_t>(numbers_[i] - 1)].video) {
          failure_ = unsupported(run_name() + " has other streams than the first run");
          return;
        }
        Stream stream;
        stream.pid = found[i].pid;
        streams_.push_back(std::move(stream));
      }
    }
    const auto index = stream_index(pes.pid);
    if (!index) return;
    // In the order they arrive, each nearest the one before.
    if (pes.pts) pes.pts = unwrap(*pes.pts);
    if (pes.dts) pes.dts = unwrap(*pes.dts);
    if (base_) {
      convert(*index, std::move(pes));
      return;
    }
    streams_[*index].seen = true;
    pending_.push_back(std::move(pes));
    const bool all_seen = std::all_of(streams_.begin(), streams_.end(), [](const Stream& s) { return s.seen; });
    if ((all_seen && pending_.size() >= kBasePackets) || pending_.size() >= kBaseLimit) release();
  }

  std::optional<std::size_t> stream_index(std::uint16_t pid) const {
    for (std::size_t i = 0; i < streams_.size(); ++i)
      if (streams_[i].pid == pid) return i;
    return std::nullopt;
  }

  // Sets the run's first timestamp from the PES packets held back, then converts them.
  void release() {
    std::optional<std::int64_t> lowest;
    for (const auto& pes : pending_)
      if (pes.pts) lowest = lowest ? std::min(*lowest, *pes.pts) : *pes.pts;
    base_ = lowest.value_or(0);
    auto held = std::move(pending_);
    pending_.clear();
    for (auto& pes : held)
      if (const auto index = stream_index(pes.pid)) convert(*index, std::move(pes));
  }

  // The 33-bit counter carried on past its wrap: the value nearest the last one seen.
  std::int64_t unwrap(std::int64_t raw) {
    if (!reference_) {
      reference_ = raw;
      return raw;
    }
    const std::int64_t ahead = *reference_ - raw + kWrap / 2;
    const std::int64_t turns = ahead / kWrap - (ahead % kWrap < 0 ? 1 : 0);  // rounded down
    const std::int64_t value = raw + turns * kWrap;
    reference_ = value;
    return value;
  }

  std::int64_t place(std::int64_t ts) const { return ts - *base_ + offset_; }

  // `pes`'s timestamps are unwrapped already.
  void convert(std::size_t index, Pes&& pes) {
    Stream& s = streams_[index];
    const int track = numbers_[index];
    const TrackInfo& info = tracks_[static_cast<std::size_t>(track - 1)];
    const std::optional<std::int64_t> pts = pes.pts, dts = pes.dts;
    if (info.video) {
      if (!pts) {
        failure_ = unsupported(run_name() + " has a video frame without a timestamp");
        return;
      }
      Frame f;
      f.track = track;
      f.pts = place(*pts);
      f.dts = place(dts.value_or(*pts));
      split_annex_b(pes.payload.data(), pes.payload.size(), f.nals);
      if (f.nals.empty()) return;
      bool idr = false, sps = false;
      for (const auto& nal : f.nals) {
        idr = idr || nal.type == kNalIdr;
        sps = sps || nal.type == kNalSps;
      }
      f.key = idr || (pes.random_access && sps);
      // The run's first timestamp is its earliest of any stream (audio often starts a frame before
      // the picture), so its video can reach a few milliseconds past what the playlist said the
      // run lasts: the next run's video is moved past it as its audio is (below), so the file's
      // decode times only go forward.
      auto& end = track_end_[index];
      if (!s.shift) s.shift = end && *end > f.dts && *end - f.dts <= kMaxAudioShift ? *end - f.dts : 0;
      f.pts += *s.shift;
      f.dts += *s.shift;
      f.duration = s.last_dts && f.dts > *s.last_dts ? f.dts - *s.last_dts : 0;
      s.last_dts = f.dts;
      if (f.duration > 0) s.step = f.duration;
      end = f.dts + s.step;
      f.data = std::move(pes.payload);
      frames_.push_back(std::move(f));
      return;
    }
    // AAC: one frame per ADTS frame. A PES's timestamp belongs to the first frame that starts in
    // it; the frames after it are 1024 samples apart.
    std::vector<std::uint8_t> joined;
    const std::uint8_t* p = pes.payload.data();
    std::size_t n = pes.payload.size();
    const bool continues = !s.residual.empty();
    if (continues) {
      joined = std::move(s.residual);
      joined.insert(joined.end(), pes.payload.begin(), pes.payload.end());
      p = joined.data();
      n = joined.size();
    }
    s.residual.clear();
    bool anchored = pts.has_value();
    const std::int64_t anchor = pts.value_or(0);
    std::size_t at = 0;
    const auto frame_ticks = std::llround(kAacFrameSamples * 90000.0 / info.sample_rate);
    while (at + 7 <= n) {
      const auto adts = parse_adts(p + at, n - at);
      if (!adts) {
        failure_ = unsupported(run_name() + " has AAC that is not in ADTS frames");
        return;
      }
      if (at + adts->frame_size > n) break;
      if (adts->sample_rate != info.sample_rate ||
          !std::equal(adts->audio_specific_config.begin(), adts->audio_specific_config.end(),
                      info.codec_private.begin(), info.codec_private.end())) {
        failure_ = unsupported(run_name() + " changes its AAC configuration");
        return;
      }
      if (anchored && !(continues && at == 0)) {
        s.audio_start = place(anchor);
        s.samples = 0;
        anchored = false;
      }
      if (s.audio_start) {
        Frame f;
        f.track = track;
        f.key = true;
        f.pts = f.dts = *s.audio_start + s.samples * 90000 / info.sample_rate;
        // A run's audio often ends a frame or two past what the playlist said the run lasts
        // (the encoder's priming). The next run's audio is moved later by that overlap, once for
        // the whole run, so the file's audio never overlaps itself: at most 100 ms, where audio
        // late against its picture is not yet noticed (ITU-R BT.1359 puts that at 125 ms). A
        // bigger overlap means the durations are wrong, and the run stays where they place it.
        auto& end = track_end_[index];
        if (!s.shift) s.shift = end && *end > f.pts && *end - f.pts <= kMaxAudioShift ? *end - f.pts : 0;
        f.pts = f.dts = f.pts + *s.shift;
        end = f.pts + frame_ticks;
        f.duration = frame_ticks;
        f.data.assign(p + at + adts->header_size, p + at + adts->frame_size);
        frames_.push_back(std::move(f));
      }
      s.samples += kAacFrameSamples;
      at += adts->frame_size;
    }
    s.residual.assign(p + at, p + n);
  }

  const TsRendition& rendition_;
  std::vector<int> numbers_;  // the file's track number of each audio or video stream, in PMT order
  const std::vector<TrackInfo>& tracks_;
  std::size_t run_ = 0;
  std::int64_t offset_ = 0;  // where the current run begins in the file (90 kHz)
  std::unique_ptr<RunFile> file_;
  std::unique_ptr<TsDemuxer> demuxer_;
  std::vector<std::uint8_t> buffer_;
  std::vector<Stream> streams_;
  std::vector<Pes> pending_;
  std::optional<std::int64_t> base_, reference_;
  std::deque<Frame> frames_;
  std::vector<std::optional<std::int64_t>> track_end_;  // by stream, across runs: where its last frame ends
  std::optional<Error> failure_;
  bool done_ = false;
};

}  // namespace

Result<RemuxedFile> join_ts_into_matroska(const std::vector<TsRendition>& renditions,
                                          const std::filesystem::path& output, const std::vector<Chapter>& chapters) {
  std::vector<TrackInfo> tracks;
  std::vector<std::vector<int>> numbers;
  for (const auto& rendition : renditions) {
    if (rendition.runs.empty()) continue;
    auto probed = probe_tracks(rendition);
    if (!probed) return probed.error();
    numbers.emplace_back();
    for (auto& t : *probed) {
      tracks.push_back(std::move(t));
      numbers.back().push_back(static_cast<int>(tracks.size()));
    }
  }
  if (tracks.empty()) return unsupported("nothing to remux");
  if (tracks.size() > 126) return unsupported("more tracks than this remuxer numbers");
  std::vector<std::unique_ptr<Source>> sources;
  std::size_t next = 0;
  for (const auto& rendition : renditions)
    if (!rendition.runs.empty()) sources.push_back(std::make_unique<Source>(rendition, numbers[next++], tracks));

  auto writer = MatroskaWriter::create(output, tracks);
  if (!writer) return writer.error();
  RemuxedFile result;
  result.tracks = tracks.size();
  std::int64_t end = 0;
  for (;;) {
    // Renditions recorded apart are interleaved by decode time; one rendition keeps its order.
    Source* best = nullptr;
    Frame* best_frame = nullptr;
    for (auto& source : sources) {
      auto head = source->peek();
      if (!head) return head.error();
      if (*head && (!best_frame || (*head)->dts < best_frame->dts)) {
        best = source.get();
        best_frame = *head;
      }
    }
    if (!best) break;
    const Frame& f = *best_frame;
    const std::int64_t ms = std::llround(static_cast<double>(f.pts) / 90.0);
    auto written = tracks[static_cast<std::size_t>(f.track - 1)].video
                       ? (*writer)->video_frame(f.track, ms, f.key, f.data.data(), f.nals)
                       : (*writer)->frame(f.track, ms, f.key, f.data.data(), f.data.size());
    if (!written) return written.error();
    end = std::max(end, f.pts + f.duration);
    ++result.frames;
    best->pop();
  }
  if (result.frames == 0) return unsupported("no frames to remux");
  const double duration_ms = static_cast<double>(end) / 90.0;
  if (auto finished = (*writer)->finish(duration_ms, chapters); !finished) return finished.error();
  result.duration_s = duration_ms / 1000.0;
  return result;
}

}  // namespace chronicle::remux
