#pragma once
// Piece hashing for BitTorrent v1 (SHA-1 per piece) and v2 (SHA-256 merkle root of each
// piece's 16 KiB blocks), fed sequentially from a read pass that also does other work
// (SHA-256 of the whole file, the object-store write). Written here rather than taken from
// libtorrent's set_piece_hashes() because that reads the file itself: a second pass over
// every recording, and slower (see bench/).
#include <array>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

namespace chronicle::torrent {

using Sha1 = std::array<std::byte, 20>;
using Sha256Digest = std::array<std::byte, 32>;

inline constexpr std::size_t kBlockSize = std::size_t{16} * 1024;

// Power of two from 16 KiB to 16 MiB, aiming at about 1000-2000 pieces.
std::uint32_t choose_piece_size(std::uint64_t file_size);

struct PieceHashes {
  std::vector<Sha1> v1;          // empty unless v1 was asked for
  std::vector<Sha256Digest> v2;  // per-piece merkle roots; empty unless v2 was asked for
};

class PieceHasher {
 public:
  PieceHasher(std::uint64_t file_size, std::uint32_t piece_size, bool v1, bool v2, unsigned threads);
  ~PieceHasher();
  PieceHasher(const PieceHasher&) = delete;
  PieceHasher& operator=(const PieceHasher&) = delete;

  // Bytes of the file, in order. Blocks only when all piece buffers are busy.
  void feed(std::span<const std::byte> data);
  // Zero-copy feeding: read up to writable().size() bytes straight into it, use them for
  // anything else (they stay valid until commit), then commit(n).
  std::span<std::byte> writable();
  void commit(std::size_t n);
  // Waits for every piece; throws if fewer bytes than file_size were fed.
  PieceHashes finish();

  std::uint32_t piece_size() const { return piece_size_; }

 private:
  struct Job {
    std::uint32_t index = 0;
    std::vector<std::byte> data;
    std::size_t size = 0;
  };
  void submit_current();
  void worker();

  std::uint64_t file_size_;
  std::uint32_t piece_size_;
  bool v1_, v2_;
  std::uint64_t fed_ = 0;
  std::uint32_t next_index_ = 0;
  Job current_;
  PieceHashes result_;

  std::mutex mutex_;
  std::condition_variable work_ready_, buffer_free_, all_done_;
  std::deque<Job> queue_;
  std::vector<std::vector<std::byte>> free_buffers_;
  std::size_t outstanding_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

// BEP 52 merkle root of `leaves`, padded with zero hashes to `width` leaves (a power of two).
Sha256Digest merkle_root(std::vector<Sha256Digest> leaves, std::size_t width);

}  // namespace chronicle::torrent
