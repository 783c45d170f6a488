#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>

#include "app/app.hpp"
#include "sys/process.hpp"
#include "torrent/creator.hpp"
#include "torrent/hasher.hpp"

namespace chronicle::app {

int run_make_torrent(const MakeTorrentOptions& o) {
  const sys::UniqueFd file(::open(o.file.c_str(), O_RDONLY | O_CLOEXEC));
  const int fd = file.get();
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
    std::cerr << "chronicle: cannot read " << o.file << " (or it is empty)\n";
    return 1;
  }
  const auto size = static_cast<std::uint64_t>(st.st_size);
  const std::uint32_t piece = o.piece_size ? o.piece_size : torrent::choose_piece_size(size);
  if (piece < 16 * 1024 || (piece & (piece - 1)) != 0) {
    std::cerr << "chronicle: piece size must be a power of two of at least 16384\n";
    return 2;
  }
  const unsigned threads = o.threads ? o.threads : std::max(1u, std::thread::hardware_concurrency());
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  const auto t0 = std::chrono::steady_clock::now();
  torrent::PieceHasher hasher(size, piece, true, o.hybrid, threads);
  std::uint64_t total = 0;
  while (total < size) {
    auto into = hasher.writable();
    const ssize_t n = ::read(fd, into.data(), into.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    hasher.commit(static_cast<std::size_t>(n));
    total += static_cast<std::uint64_t>(n);
  }
  if (total != size) {
    std::cerr << "chronicle: " << o.file << " changed while it was read\n";
    return 1;
  }
  torrent::TorrentSpec spec;
  spec.file_name = std::filesystem::path(o.file).filename().string();
  spec.file_size = size;
  spec.piece_size = piece;
  spec.trackers = o.trackers;
  spec.web_seeds = o.web_seeds;
  auto made = torrent::make_torrent(spec, hasher.finish());
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!made) {
    std::cerr << "chronicle: " << made.error().message << "\n";
    return 1;
  }
  const std::string out = o.output.empty() ? o.file + ".torrent" : o.output;
  std::ofstream(out, std::ios::binary) << made->bencoded;
  std::fprintf(stderr, "%s: %s, %llu bytes, piece %u, %u threads, %.3f s, %.2f GB/s\n", out.c_str(),
               o.hybrid ? "hybrid v1+v2" : "v1", static_cast<unsigned long long>(size), piece, threads, secs,
               static_cast<double>(size) / secs / 1e9);
  std::cout << made->magnet << "\n";
  return 0;
}

}  // namespace chronicle::app
