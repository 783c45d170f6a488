// chronicle's own piece hashing must produce exactly the torrent libtorrent would make by
// reading the file itself (same infohashes), for every shape of file.
#include <gtest/gtest.h>
#include <libtorrent/create_torrent.hpp>
#include <libtorrent/torrent_info.hpp>

#include <filesystem>
#include <fstream>
#include <random>

#include "core/ids.hpp"
#include "torrent/creator.hpp"
#include "torrent/hasher.hpp"

using namespace chronicle;
using namespace chronicle::torrent;
namespace fs = std::filesystem;
namespace lt = libtorrent;

namespace {

struct Sample {
  fs::path dir = fs::temp_directory_path() / ("chronicle-torrent-" + new_job_id());
  fs::path file;
  std::vector<char> bytes;
  Sample(std::size_t size) {
    fs::create_directories(dir);
    file = dir / "rec.mkv";
    bytes.resize(size);
    std::mt19937 rng(static_cast<unsigned>(size));
    for (auto& b : bytes) b = static_cast<char>(rng());
    std::ofstream(file, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  ~Sample() { fs::remove_all(dir); }
};

lt::info_hash_t reference(const Sample& s, std::uint32_t piece_size, bool hybrid) {
  lt::file_storage files;
  files.add_file("rec.mkv", static_cast<std::int64_t>(s.bytes.size()));
  lt::create_torrent ct(files, static_cast<int>(piece_size),
                        hybrid ? lt::create_flags_t{} : lt::create_torrent::v1_only);
  lt::set_piece_hashes(ct, s.dir.string());
  std::vector<char> buf;
  lt::bencode(std::back_inserter(buf), ct.generate());
  return lt::torrent_info(buf, lt::from_span).info_hashes();
}

std::string hex(lt::span<const char> b) {
  std::string out;
  char tmp[3];
  for (char c : b) {
    std::snprintf(tmp, sizeof tmp, "%02x", static_cast<unsigned char>(c));
    out += tmp;
  }
  return out;
}

TorrentFile ours(const Sample& s, std::uint32_t piece_size, bool hybrid, std::size_t chunk) {
  PieceHasher hasher(s.bytes.size(), piece_size, true, hybrid, 2);
  for (std::size_t off = 0; off < s.bytes.size(); off += chunk)
    hasher.feed(std::as_bytes(std::span(s.bytes.data() + off, std::min(chunk, s.bytes.size() - off))));
  TorrentSpec spec;
  spec.file_name = "rec.mkv";
  spec.file_size = s.bytes.size();
  spec.piece_size = piece_size;
  spec.trackers = {"http://127.0.0.1:6969/announce"};
  spec.web_seeds = {"http://127.0.0.1:8080/api/v1/jobs/X/recording"};
  auto made = make_torrent(spec, hasher.finish());
  EXPECT_TRUE(made.ok()) << (made.ok() ? "" : made.error().message);
  return *made;
}

}  // namespace

class SameAsLibtorrent : public ::testing::TestWithParam<std::size_t> {};

TEST_P(SameAsLibtorrent, V1AndHybrid) {
  const std::size_t size = GetParam();
  Sample s(size);
  const std::uint32_t piece = 32 * 1024;
  for (bool hybrid : {false, true}) {
    const auto expected = reference(s, piece, hybrid);
    // Odd chunk sizes: piece boundaries never line up with the reads.
    const auto got = ours(s, piece, hybrid, 7777);
    EXPECT_EQ(got.infohash_v1, hex(expected.v1)) << "size " << size << " hybrid " << hybrid;
    if (hybrid)
      EXPECT_EQ(got.infohash_v2, hex(expected.v2)) << "size " << size;
    else
      EXPECT_TRUE(got.infohash_v2.empty());
  }
}

INSTANTIATE_TEST_SUITE_P(FileShapes, SameAsLibtorrent,
                         ::testing::Values(1, 1000, 16 * 1024, 20 * 1024, 32 * 1024, 3 * 32 * 1024,
                                           3 * 32 * 1024 + 5000, 10 * 32 * 1024 + 16 * 1024 + 1));

TEST(PieceSize, IsAPowerOfTwoScaledToTheFile) {
  EXPECT_EQ(choose_piece_size(1), 16u * 1024);
  EXPECT_EQ(choose_piece_size(100u << 20), 64u * 1024);
  const auto big = choose_piece_size(8ull << 30);
  EXPECT_EQ(big & (big - 1), 0u);
  EXPECT_LE((8ull << 30) / big, 2000u);
  EXPECT_EQ(choose_piece_size(1ull << 50), 16u << 20);
}

TEST(Magnet, CarriesHashesTrackersAndWebSeed) {
  Sample s(100000);
  const auto t = ours(s, 32 * 1024, true, 4096);
  EXPECT_NE(t.magnet.find("xt=urn:btih:" + t.infohash_v1), std::string::npos);
  EXPECT_NE(t.magnet.find("xt=urn:btmh:1220" + t.infohash_v2), std::string::npos);
  EXPECT_NE(t.magnet.find("tr=http%3a%2f%2f127.0.0.1%3a6969%2fannounce"), std::string::npos);
  EXPECT_NE(t.magnet.find("ws="), std::string::npos);
}
