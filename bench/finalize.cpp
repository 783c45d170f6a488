// The recorder's finalize on a recording that is already on disk, phase by phase, for
// bench/finalize.py to print beside the seed's sequential path on the same file:
//   bench_finalize PART DATA_DIR [MATROSKA]
// PART (a recorded MPEG-TS part) is linked into a job's work directory under DATA_DIR (same
// filesystem), with MATROSKA, when given, as the Matroska that ffmpeg wrote beside it while
// recording; then the recording is joined (or taken as it is), measured and stored with its
// SHA-256 and torrent. Prints one JSON line of seconds per phase.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "blob/fs/fs_object_store.hpp"
#include "core/config.hpp"
#include "core/ids.hpp"
#include "record/finalize.hpp"

using namespace chronicle;
namespace fs = std::filesystem;

int main(int argc, char** argv) {
  if (argc != 3 && argc != 4) {
    std::fprintf(stderr, "usage: %s PART DATA_DIR [MATROSKA]\n", argv[0]);
    return 2;
  }
  Config config;
  config.data_dir = argv[2];
  const std::string id = new_job_id();
  const fs::path work = record::job_work_dir(config, id);
  fs::create_directories(work);
  fs::create_directories(config.recordings_dir());
  fs::create_hard_link(argv[1], work / "part-001.ts");
  if (argc == 4) fs::create_hard_link(argv[3], record::whole_matroska(work, 1, true));
  blob::FsObjectStore objects(config.recordings_dir());

  using SteadyClock = std::chrono::steady_clock;
  auto seconds_since = [](SteadyClock::time_point t) {
    return std::chrono::duration<double>(SteadyClock::now() - t).count();
  };
  const auto t0 = SteadyClock::now();
  auto joined = record::join_parts(config, work, record::list_parts(work));
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
