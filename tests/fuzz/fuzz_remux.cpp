// MPEG-TS as a stranger's origin may serve it, joined into Matroska: the demuxer, the H.264 and
// AAC parsers and the writer never crash or read out of bounds, whatever the packets say. Every
// packet gets its sync byte, so the fuzzer spends its time past the first check.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "remux/join.hpp"
#include "remux/ts.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace chronicle::remux;
  if (size < 1) return 0;
  const bool audio_only = (data[0] & 1) != 0;
  std::vector<std::uint8_t> packets(data + 1, data + 1 + (size - 1) / kTsPacket * kTsPacket);
  for (std::size_t at = 0; at < packets.size(); at += kTsPacket) packets[at] = 0x47;
  const int fd = ::memfd_create("run", MFD_CLOEXEC);
  if (fd < 0) std::abort();
  if (!packets.empty() && ::write(fd, packets.data(), packets.size()) != static_cast<ssize_t>(packets.size()))
    std::abort();
  const std::string run = "/proc/self/fd/" + std::to_string(fd);
  // The same run twice: the second is placed after the first, across a discontinuity.
  TsRendition rendition{{{run, 2.0}, {run, 2.0}}, audio_only};
  auto joined = join_ts_into_matroska({rendition}, "/dev/null");
  if (joined && (joined->tracks == 0 || joined->frames == 0)) std::abort();
  ::close(fd);
  return 0;
}
