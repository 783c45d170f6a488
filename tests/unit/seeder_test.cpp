// The seeder's reconcile with the store, on in-memory ports and a real libtorrent session on
// loopback: a new recording in a remote store is fetched, checked against its SHA-256 and seeded; a
// copy that does not match is never seeded; a deleted job stops seeding and its copy is removed.
#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "contract/jobs.hpp"
#include "fakes/memory_ports.hpp"
#include "sys/sha256.hpp"
#include "temp_dir.hpp"
#include "torrent/creator.hpp"
#include "torrent/seeder.hpp"

using namespace chronicle;
using chronicle::contract::new_job;

namespace {

std::string random_bytes(std::size_t n) {
  std::string s(n, '\0');
  std::mt19937_64 rng(n);
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

class SeederTest : public ::testing::Test {
 protected:
  test_support::TempDir dir;
  Config config = [this] {
    Config c;
    c.data_dir = dir.path;
    c.seed_listen = "127.0.0.1:0";
    return c;
  }();
  fakes::MemoryJobStore store;
  fakes::MemoryObjectStore objects;  // remote: no local path, recordings are fetched
  torrent::Seeder seeder{config, store, objects};

  // A completed job whose recording and .torrent are in the object store.
  Job completed_with_torrent(const std::string& name, const std::string& bytes, std::string sha256 = "") {
    const auto file = dir.path / "hash-me";
    std::ofstream(file, std::ios::binary) << bytes;
    if (sha256.empty()) sha256 = *sys::sha256_file(file);
    torrent::PieceHasher hasher(bytes.size(), 16384, true, false, 1);
    hasher.feed(std::as_bytes(std::span(bytes.data(), bytes.size())));
    torrent::TorrentSpec spec;
    spec.file_name = name;
    spec.file_size = bytes.size();
    spec.piece_size = 16384;
    auto made = torrent::make_torrent(spec, hasher.finish());
    EXPECT_TRUE(made.ok());
    objects.objects[name] = bytes;
    objects.objects[name + ".torrent"] = made->bencoded;
    auto created = store.create_or_get_active(new_job("https://example.com/" + name));
    auto done = update_job(store, created->job.id, [&](Job& j) -> Result<Ok> {
      for (auto s : {JobStatus::starting, JobStatus::recording, JobStatus::uploading, JobStatus::completed})
        if (auto t = transition(j, s, now()); !t) return t;
      j.recording = StoredRecording{name, bytes.size(), sha256, ""};
      j.torrent = torrent::torrent_info(*made, spec, name + ".torrent", "");
      return Ok{};
    });
    EXPECT_TRUE(done.ok());
    return *done;
  }

  bool eventually(const std::function<bool()>& condition) {
    for (int i = 0; i < 100; ++i) {
      if (condition()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return condition();
  }
  std::uint64_t seeding() { return seeder.counters()["chronicle_seed_torrents"]; }
};

}  // namespace

TEST_F(SeederTest, FetchesChecksSeedsAndDropsWhatIsDeleted) {
  ASSERT_TRUE(seeder.start().ok());
  const Job job = completed_with_torrent("show.mkv", random_bytes(100000));
  ASSERT_TRUE(eventually([&] { return seeder.stats(job.id).has_value(); })) << "the new recording is seeded";
  EXPECT_EQ(seeding(), 1u);
  EXPECT_EQ(seeder.counters()["chronicle_seed_fetched_bytes_total"], 100000u);
  const auto copy = config.seed_cache_dir() / job.id / "show.mkv";
  EXPECT_EQ(sys::sha256_file(copy), job.recording->sha256);

  ASSERT_TRUE(*store.remove(job.id));
  ASSERT_TRUE(eventually([&] { return seeding() == 0; })) << "a deleted job stops seeding";
  EXPECT_FALSE(seeder.stats(job.id));
  // The copy goes right after the torrent (the same reconcile).
  EXPECT_TRUE(eventually([&] { return !std::filesystem::exists(copy.parent_path()); }))
      << "and its local copy is removed";
}

TEST_F(SeederTest, ACopyThatDoesNotMatchItsHashIsNeverSeeded) {
  const Job bad = completed_with_torrent("bad.mkv", random_bytes(50000), std::string(64, '0'));
  ASSERT_TRUE(seeder.start().ok());
  const Job good = completed_with_torrent("good.mkv", random_bytes(60000));
  ASSERT_TRUE(eventually([&] { return seeder.stats(good.id).has_value(); }));
  EXPECT_FALSE(seeder.stats(bad.id));
  EXPECT_EQ(seeding(), 1u);
  EXPECT_FALSE(std::filesystem::exists(config.seed_cache_dir() / bad.id / "bad.mkv"));
}

TEST_F(SeederTest, JobsWithoutATorrentAreNotSeeded) {
  auto created = store.create_or_get_active(new_job("https://example.com/no-torrent"));
  ASSERT_TRUE(
      update_job(store, created->job.id, [](Job& j) { return transition(j, JobStatus::canceled, now()); }).ok());
  ASSERT_TRUE(seeder.start().ok());
  const Job job = completed_with_torrent("one.mkv", random_bytes(20000));
  ASSERT_TRUE(eventually([&] { return seeder.stats(job.id).has_value(); }));
  EXPECT_EQ(seeding(), 1u);
}
