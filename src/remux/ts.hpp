#pragma once
// MPEG-TS demultiplexing down to PES packets: the PAT and PMT tell which PIDs carry which
// elementary streams, and each stream's PES packets are reassembled from the 188-byte
// packets. Written here rather than taken from libavformat because the journal's runs are
// joined at memory speed: a PES payload is copied once and handed on, with no parser behind it.
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace chronicle::remux {

inline constexpr std::size_t kTsPacket = 188;

enum class StreamKind { video_h264, audio_aac, ignored, unsupported };

// What a PMT's stream_type means here. Timed metadata (ID3), SCTE-35 and private sections are
// left out of the file as ffmpeg leaves them out of Matroska; anything else this demuxer cannot
// write (HEVC, MP3, AC-3, private PES) makes the join fall back to ffmpeg.
StreamKind stream_kind(std::uint8_t stream_type);

struct ElementaryStream {
  std::uint16_t pid = 0;
  std::uint8_t stream_type = 0;
  StreamKind kind = StreamKind::ignored;
};

struct Pes {
  std::uint16_t pid = 0;
  std::optional<std::int64_t> pts, dts;  // 90 kHz, 33 bits as carried
  bool random_access = false;            // the adaptation field's random_access_indicator
  std::vector<std::uint8_t> payload;
};

class TsDemuxer {
 public:
  using PesHandler = std::function<void(Pes&&)>;
  explicit TsDemuxer(PesHandler on_pes);

  // Whole packets only (a multiple of 188 bytes). False, with error() set, when the bytes are
  // not MPEG-TS this demuxer can follow.
  bool feed(const std::uint8_t* data, std::size_t size);
  // Hands on the PES packets still being assembled (the end of a run).
  void flush();

  // The streams of the first PMT, in its order; empty until one was read.
  const std::vector<ElementaryStream>& streams() const { return streams_; }
  const std::string& error() const { return error_; }

 private:
  bool packet(const std::uint8_t* p);
  bool section(std::uint16_t pid, const std::uint8_t* payload, std::size_t size);
  bool begin_pes(std::size_t slot, const std::uint8_t* payload, std::size_t size, bool random_access);
  void finish(std::size_t slot);
  bool fail(std::string message);

  PesHandler on_pes_;
  std::optional<std::uint16_t> pmt_pid_;
  std::vector<ElementaryStream> streams_;
  // PID -> index in assembling_ (-1: not a stream written to the file). A table, not a map:
  // it is looked up for every 188-byte packet.
  std::array<std::int16_t, 8192> slot_of_pid_{};
  std::vector<Pes> assembling_;  // an empty pid marks a slot with no PES open
  std::vector<std::uint16_t> pid_of_slot_;
  std::vector<std::size_t> last_size_;  // each slot's last PES, to reserve the next one's room
  std::string error_;
};

}  // namespace chronicle::remux
