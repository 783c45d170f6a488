#pragma once
// A Matroska writer for a remux: the tracks first, then one cluster per video keyframe (or every
// few seconds of audio), SimpleBlocks with millisecond timestamps, Cues for seeking, and the
// segment's size and duration filled in at the end. Written here rather than through
// libmatroska because the whole job is a few element kinds written at memory speed, and the
// frame bytes go from the demuxer's buffer to the file with one copy.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "remux/codecs.hpp"

namespace chronicle::remux {

struct TrackInfo {
  bool video = true;
  std::string codec_id;  // "V_MPEG4/ISO/AVC", "A_AAC"
  std::vector<std::uint8_t> codec_private;
  int width = 0, height = 0;          // video
  int sample_rate = 0, channels = 0;  // audio
};

// A chapter: where it starts in the file, and its title.
struct Chapter {
  std::int64_t start_ms = 0;
  std::string title;
};

class MatroskaWriter {
 public:
  // Creates `path` and writes the header and the tracks (numbered from 1 in their order).
  static Result<std::unique_ptr<MatroskaWriter>> create(const std::filesystem::path& path,
                                                        const std::vector<TrackInfo>& tracks);
  ~MatroskaWriter();
  MatroskaWriter(const MatroskaWriter&) = delete;
  MatroskaWriter& operator=(const MatroskaWriter&) = delete;

  // An H.264 access unit as Annex B bytes and its NAL units, written with four-byte lengths.
  Result<Ok> video_frame(int track, std::int64_t ms, bool key, const std::uint8_t* access_unit,
                         const std::vector<NalUnit>& nals);
  Result<Ok> frame(int track, std::int64_t ms, bool key, const std::uint8_t* data, std::size_t size);
  // Writes the cues and the chapters, and fills in the sizes and the duration. The file is not
  // synced.
  Result<Ok> finish(double duration_ms, const std::vector<Chapter>& chapters = {});

 private:
  MatroskaWriter(int fd, std::filesystem::path path, std::vector<bool> video_tracks);
  Result<Ok> begin_block(int track, std::int64_t ms, bool key, std::size_t size);
  Result<Ok> close_cluster();
  Result<Ok> flush();
  Result<Ok> io_error(const char* what);

  int fd_;
  std::filesystem::path path_;
  std::vector<bool> video_tracks_;  // by track number - 1
  bool has_video_;
  std::vector<std::uint8_t> out_;  // written to the file between clusters, past a few MiB
  std::uint64_t flushed_ = 0;      // bytes of the file already written
  std::uint64_t segment_start_ = 0;
  // Where the values known only at the end go.
  std::uint64_t segment_size_at_ = 0, duration_at_ = 0, cues_position_at_ = 0, chapters_entry_at_ = 0;

  bool cluster_open_ = false;
  std::size_t cluster_content_at_ = 0;  // in out_, which holds the open cluster whole
  std::int64_t cluster_ms_ = 0;
  struct Cue {
    std::int64_t ms;
    int track;
    std::uint64_t position;  // of the cluster, from the segment's data
  };
  std::vector<Cue> cues_;
};

}  // namespace chronicle::remux
