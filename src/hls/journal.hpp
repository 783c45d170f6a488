#pragma once
// The durable record of a recording: the segments of each rendition, in order, appended to run
// files in the job's work directory, and an index line per segment written after its bytes. A
// run is a stretch the file can play straight through (one timeline, one init section); a
// discontinuity, a new init section, a gap or an ad break left out starts the next one. What a
// crash leaves is the index and the runs up to the last indexed byte: opening the journal again
// cuts any half-written tail, and the recording goes on (or is stored) from there.
//
// Written by hand rather than through a database: the bytes go to files ffmpeg and players read
// as they are (MPEG-TS, fragmented MP4), and the index is an append-only log of a few fields.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace chronicle::hls {

struct JournalSegment {
  std::string rendition;
  int run = 0;
  int session = 0;  // the broadcaster's session: sequence numbers start again in a new one
  std::int64_t sequence = 0;
  std::int64_t discontinuity = 0;
  double duration_s = 0;
  std::optional<std::int64_t> program_date_time_ms;
  std::string uri_path;                  // the segment's URL without its query (tokens rotate), to know it again
  std::uint64_t offset = 0, length = 0;  // in the run's file
};

struct JournalRun {
  std::string rendition;
  int number = 0;
  std::filesystem::path file;
  std::uint64_t init_bytes = 0;  // the init section at the file's start (fMP4)
  std::uint64_t bytes = 0;       // the whole file, init included
  double duration_s = 0;
  std::size_t segments = 0;
};

// The journal as it is at one moment, read without changing anything: what serve reads to play a
// recording while its recorder appends to it.
struct JournalSnapshot {
  std::vector<JournalRun> runs;          // in order of creation; bytes and durations as indexed
  std::vector<JournalSegment> segments;  // in order of the index
};
Result<JournalSnapshot> read_journal(const std::filesystem::path& dir);

// HLS playlists over a journal, for players: a media playlist of one rendition's segments as byte
// ranges of its run files (the journal is served as it is: no second copy), a discontinuity at each
// new run, its init section for fMP4; EVENT while the recording goes on, ENDLIST once `ended`.
// URIs are `base` + "live/<file>" + `query` ("?exp=..&sig=..", or empty).
std::string journal_media_playlist(const JournalSnapshot& journal, const std::string& rendition,
                                   const std::string& base, const std::string& query, bool ended);
// With separate renditions ("video" and "audio"), the master playlist naming each media playlist
// as `base` + "live.m3u8?rendition=<name>"; empty when the journal has a single rendition (its
// media playlist is then the answer itself).
std::string journal_master_playlist(const JournalSnapshot& journal, const std::string& base, const std::string& query);

class Journal {
 public:
  // Opens (creating) the journal in `dir`, recovering from a crash: a torn index line and bytes
  // past the last indexed segment are cut.
  static Result<std::unique_ptr<Journal>> open(const std::filesystem::path& dir);
  static bool exists(const std::filesystem::path& dir);

  // Starts a new run of `rendition` in a file ending in `extension` ("ts", "mp4", "aac"),
  // beginning with `init` (an fMP4 init section; empty for MPEG-TS).
  Result<Ok> begin_run(const std::string& rendition, const std::string& extension, std::string_view init);
  // Appends a segment to the rendition's current run (begin_run first).
  Result<Ok> append(JournalSegment segment, std::string_view bytes);

  std::optional<JournalSegment> last(const std::string& rendition) const;
  std::vector<JournalRun> runs() const;  // in order of creation
  std::vector<std::string> renditions() const;
  double duration_s(const std::string& rendition) const;
  std::uint64_t bytes() const;
  // The run being written for `rendition` (for live stills), if any.
  std::optional<std::filesystem::path> current_file(const std::string& rendition) const;
  const std::filesystem::path& dir() const { return dir_; }

 private:
  explicit Journal(std::filesystem::path dir);
  Result<Ok> recover();
  Result<Ok> write_index(const std::string& line);

  std::filesystem::path dir_;
  mutable std::mutex mutex_;
  std::vector<JournalRun> runs_;
  std::map<std::string, std::size_t> current_;  // rendition -> index in runs_
  std::map<std::string, JournalSegment> last_;
  std::map<std::string, double> duration_;
  std::uint64_t bytes_ = 0;
  std::ofstream index_;
  std::map<std::string, std::unique_ptr<std::ofstream>> files_;  // open run files, by rendition
};

}  // namespace chronicle::hls
