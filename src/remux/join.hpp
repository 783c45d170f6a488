#pragma once
// Joins the journal's MPEG-TS runs into one Matroska file without ffmpeg: each run is placed
// after the ones before it by the playlist's durations (so renditions recorded side by side stay
// aligned run by run, and a discontinuity's new timestamps continue the file's), separate
// renditions are interleaved by decode time, and H.264 and AAC are carried over frame for frame.
// It covers what HLS origins serve in MPEG-TS almost always; for anything else (HEVC, MP3,
// AC-3, packed audio, fMP4) it answers `remux_unsupported` before writing a frame, and the
// caller joins with ffmpeg instead.
#include <filesystem>
#include <vector>

#include "core/result.hpp"
#include "remux/matroska.hpp"

namespace chronicle::remux {

inline constexpr const char* kRemuxUnsupported = "remux_unsupported";

struct TsRun {
  std::filesystem::path file;
  double duration_s = 0;  // what the playlist said the run lasts: where the next run begins
};

struct TsRendition {
  std::vector<TsRun> runs;
  bool audio_only = false;  // a separate audio rendition: its video, if any, is not taken
};

struct RemuxedFile {
  double duration_s = 0;
  std::size_t tracks = 0;
  std::uint64_t frames = 0;
};

Result<RemuxedFile> join_ts_into_matroska(const std::vector<TsRendition>& renditions,
                                          const std::filesystem::path& output,
                                          const std::vector<Chapter>& chapters = {});

}  // namespace chronicle::remux
