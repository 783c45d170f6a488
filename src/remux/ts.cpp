#include "remux/ts.hpp"

#include <cstdio>

namespace chronicle::remux {

StreamKind stream_kind(std::uint8_t stream_type) {
  switch (stream_type) {
    case 0x1B:
      return StreamKind::video_h264;
    case 0x0F:
      return StreamKind::audio_aac;
    case 0x05:  // private sections
    case 0x0B:  // DSM-CC
    case 0x0C:
    case 0x0D:
    case 0x15:  // timed metadata (ID3)
    case 0x86:  // SCTE-35 cues
      return StreamKind::ignored;
    default:
      return StreamKind::unsupported;
  }
}

namespace {

std::int64_t read_timestamp(const std::uint8_t* p) {
  return (static_cast<std::int64_t>((p[0] >> 1) & 0x07) << 30) | (static_cast<std::int64_t>(p[1]) << 22) |
         (static_cast<std::int64_t>(p[2] >> 1) << 15) | (static_cast<std::int64_t>(p[3]) << 7) |
         static_cast<std::int64_t>(p[4] >> 1);
}

bool same_streams(const std::vector<ElementaryStream>& a, const std::vector<ElementaryStream>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].pid != b[i].pid || a[i].stream_type != b[i].stream_type) return false;
  return true;
}

}  // namespace

TsDemuxer::TsDemuxer(PesHandler on_pes) : on_pes_(std::move(on_pes)) { slot_of_pid_.fill(-1); }

bool TsDemuxer::fail(std::string message) {
  if (error_.empty()) error_ = std::move(message);
  return false;
}

bool TsDemuxer::feed(const std::uint8_t* data, std::size_t size) {
  if (!error_.empty()) return false;
  if (size % kTsPacket != 0) return fail("not whole MPEG-TS packets");
  for (std::size_t at = 0; at < size; at += kTsPacket)
    if (!packet(data + at)) return false;
  return true;
}

bool TsDemuxer::packet(const std::uint8_t* p) {
  if (p[0] != 0x47) return fail("lost MPEG-TS sync");
  if ((p[1] & 0x80) != 0) return true;  // transport_error_indicator: the packet is known bad
  const bool unit_start = (p[1] & 0x40) != 0;
  const auto pid = static_cast<std::uint16_t>(((p[1] & 0x1F) << 8) | p[2]);
  if ((p[3] >> 6) != 0) return fail("scrambled MPEG-TS packets");
  const unsigned adaptation = (p[3] >> 4) & 0x03;
  std::size_t offset = 4;
  bool random_access = false;
  if ((adaptation & 0x02) != 0) {
    const std::size_t length = p[4];
    if (length > 183) return fail("a malformed adaptation field");
    if (length > 0) random_access = (p[5] & 0x40) != 0;
    offset = 5 + length;
  }
  if ((adaptation & 0x01) == 0 || offset >= kTsPacket) return true;
  const std::uint8_t* payload = p + offset;
  const std::size_t size = kTsPacket - offset;
  if (pid == 0 || (pmt_pid_ && pid == *pmt_pid_)) return unit_start ? section(pid, payload, size) : true;
  const auto slot = slot_of_pid_[pid];
  if (slot < 0) return true;
  const auto index = static_cast<std::size_t>(slot);
  if (unit_start) {
    finish(index);
    return begin_pes(index, payload, size, random_access);
  }
  Pes& pes = assembling_[index];
  if (pes.pid != 0) pes.payload.insert(pes.payload.end(), payload, payload + size);
  return true;
}

bool TsDemuxer::section(std::uint16_t pid, const std::uint8_t* payload, std::size_t size) {
  const std::size_t start = 1 + std::size_t{payload[0]};
  if (start + 3 > size) return fail("a malformed PSI table");
  const std::uint8_t* table = payload + start;
  const std::size_t length = (std::size_t{table[1] & 0x0Fu} << 8) | table[2];
  // The tables of an HLS segment are a few dozen bytes: one spread over packets is not expected.
  if (start + 3 + length > size || length < 9) return fail("a PSI table spread over packets");
  const std::size_t end = 3 + length - 4;  // before the CRC
  if (pid == 0) {
    if (table[0] != 0x00) return true;
    for (std::size_t i = 8; i + 4 <= end; i += 4) {
      const unsigned program = (unsigned{table[i]} << 8) | table[i + 1];
      const auto map_pid = static_cast<std::uint16_t>(((table[i + 2] & 0x1F) << 8) | table[i + 3]);
      if (program == 0) continue;  // the network PID
      if (!pmt_pid_) pmt_pid_ = map_pid;
      break;
    }
    return true;
  }
  if (table[0] != 0x02) return true;
  std::vector<ElementaryStream> streams;
  std::size_t i = 12 + ((std::size_t{table[10] & 0x0Fu} << 8) | table[11]);
  while (i + 5 <= end) {
    ElementaryStream es;
    es.stream_type = table[i];
    es.pid = static_cast<std::uint16_t>(((table[i + 1] & 0x1F) << 8) | table[i + 2]);
    es.kind = stream_kind(es.stream_type);
    streams.push_back(es);
    i += 5 + ((std::size_t{table[i + 3] & 0x0Fu} << 8) | table[i + 4]);
  }
  if (!streams_.empty()) return same_streams(streams_, streams) ? true : fail("the PMT changed within a run");
  for (const auto& es : streams) {
    if (es.kind == StreamKind::unsupported) {
      char type[8];
      std::snprintf(type, sizeof type, "0x%02X", es.stream_type);
      return fail(std::string("stream type ") + type + " is not one this remuxer writes");
    }
    if (es.kind == StreamKind::ignored || es.pid == 0 || es.pid == 0x1FFF || es.pid == pmt_pid_) continue;
    if (slot_of_pid_[es.pid] >= 0) return fail("two streams share a PID");
    slot_of_pid_[es.pid] = static_cast<std::int16_t>(assembling_.size());
    assembling_.emplace_back();
    pid_of_slot_.push_back(es.pid);
    last_size_.push_back(0);
  }
  streams_ = std::move(streams);
  return true;
}

bool TsDemuxer::begin_pes(std::size_t slot, const std::uint8_t* payload, std::size_t size, bool random_access) {
  // The PES header is read from the packet that starts it: encoders put the whole header there.
  if (size < 9 || payload[0] != 0 || payload[1] != 0 || payload[2] != 1) return fail("a malformed PES header");
  const std::size_t header = 9 + std::size_t{payload[8]};
  if (header > size) return fail("a PES header spread over packets");
  Pes& pes = assembling_[slot];
  pes.pid = pid_of_slot_[slot];
  const unsigned flags = payload[7] >> 6;
  pes.pts.reset();
  pes.dts.reset();
  if ((flags & 0x02) != 0 && header >= 14) pes.pts = read_timestamp(payload + 9);
  if (flags == 0x03 && header >= 19) pes.dts = read_timestamp(payload + 14);
  pes.random_access = random_access;
  pes.payload.clear();
  pes.payload.reserve(last_size_[slot] + kTsPacket);
  pes.payload.insert(pes.payload.end(), payload + header, payload + size);
  return true;
}

void TsDemuxer::finish(std::size_t slot) {
  Pes& pes = assembling_[slot];
  if (pes.pid == 0) return;
  last_size_[slot] = pes.payload.size();
  Pes done = std::move(pes);
  pes = Pes{};
  on_pes_(std::move(done));
}

void TsDemuxer::flush() {
  for (std::size_t slot = 0; slot < assembling_.size(); ++slot) finish(slot);
}

}  // namespace chronicle::remux
