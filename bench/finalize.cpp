// The recorder's finalize on a recording that is already on disk, phase by phase, for
// bench/finalize.py to print beside the seed's sequential path on the same file:
//   bench_finalize PART DATA_DIR [--journal]
// PART (a recorded MPEG-TS file) is linked into a job's work directory under DATA_DIR (same
// filesystem) as a part of yt-dlp's downloader, joined by ffmpeg; or, with --journal, written
// into the HLS recorder's segment journal (before the clock starts), joined by chronicle's own
// remuxer. Then the recording is measured and stored with its SHA-256 and torrent. Prints one
// JSON line of seconds per phase.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "blob/fs/fs_object_store.hpp"
#include "core/config.hpp"
#include "core/ids.hpp"
#include "hls/journal.hpp"
#include "record/finalize.hpp"

using namespace chronicle;
namespace fs = std::filesystem;

namespace {

// The file as the HLS recorder would have journaled it: one run of 2 MiB segments (whole
// packets), each declared 1 s long; the run's duration only places later runs.
std::optional<std::string> write_journal(const fs::path& ts, const fs::path& dir) {
  auto opened = hls::Journal::open(dir);
  if (!opened) return opened.error().message;
  auto& j = **opened;
  if (auto begun = j.begin_run("main", "ts", ""); !begun) return begun.error().message;
  std::ifstream in(ts, std::ios::binary);
  std::string segment(std::size_t{188} * 11155, '\0');
  for (std::int64_t sequence = 0; in; ++sequence) {
    in.read(segment.data(), static_cast<std::streamsize>(segment.size()));
    const auto got = static_cast<std::size_t>(in.gcount());
    if (got == 0) break;
    hls::JournalSegment s;
    s.rendition = "main";
    s.sequence = sequence;
    s.duration_s = 1;
    s.uri_path = "/seg" + std::to_string(sequence) + ".ts";
    if (auto appended = j.append(s, std::string_view(segment.data(), got)); !appended) return appended.error().message;
  }
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  const bool journal = argc == 4 && std::string(argv[3]) == "--journal";
  if (argc != 3 && !journal) {
    std::fprintf(stderr, "usage: %s PART DATA_DIR [--journal]\n", argv[0]);
    return 2;
  }
  Config config;
  config.data_dir = argv[2];
  const std::string id = new_job_id();
  const fs::path work = record::job_work_dir(config, id);
  fs::create_directories(work);
  fs::create_directories(config.recordings_dir());
  if (!journal) {
    fs::create_hard_link(argv[1], work / "part-001.ts");
  } else if (auto failed = write_journal(argv[1], work / "journal")) {
    std::fprintf(stderr, "journal: %s\n", failed->c_str());
    return 1;
  }
  ::sync();  // a recording's older pages are on disk by the time it ends
  blob::FsObjectStore objects(config.recordings_dir());

  using SteadyClock = std::chrono::steady_clock;
  auto seconds_since = [](SteadyClock::time_point t) {
    return std::chrono::duration<double>(SteadyClock::now() - t).count();
  };
  const auto t0 = SteadyClock::now();
  auto joined =
      journal ? record::join_journal(config, work) : record::join_parts(config, work, record::list_parts(work));
  if (!joined) {
    std::fprintf(stderr, "join: %s\n", joined.error().message.c_str());
    return 1;
  }
  const double join_s = seconds_since(t0);
  // What finalize_parts does after the join: the duration (ffprobe) beside the store pass.
  const auto t1 = SteadyClock::now();
  Job job;
  job.id = id;
  job.name = "bench";
  auto stored = record::finalize_parts(config, objects, job);
  if (!stored) {
    std::fprintf(stderr, "store: %s\n", stored.error().message.c_str());
    return 1;
  }
  const double store_s = seconds_since(t1);
  std::printf(
      "{\"join_s\": %.3f, \"store_s\": %.3f, \"total_s\": %.3f, \"duration_s\": %.2f, \"bytes\": %llu, "
      "\"key\": \"%s\"}\n",
      join_s, store_s, seconds_since(t0), stored->duration_s.value_or(-1),
      static_cast<unsigned long long>(stored->recording.size), stored->recording.key.c_str());
  return 0;
}
