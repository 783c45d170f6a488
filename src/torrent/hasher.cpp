#include "torrent/hasher.hpp"

#include <openssl/evp.h>

#include <bit>
#include <cstring>
#include <stdexcept>

namespace chronicle::torrent {
namespace {

// One fetched algorithm and one context per thread: avoids OpenSSL's per-call lookups.
struct Digester {
  EVP_MD* sha1 = EVP_MD_fetch(nullptr, "SHA1", nullptr);
  EVP_MD* sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~Digester() {
    EVP_MD_CTX_free(ctx);
    EVP_MD_free(sha1);
    EVP_MD_free(sha256);
  }
  template <std::size_t N>
  void digest(EVP_MD* md, const void* data, std::size_t size, std::array<std::byte, N>& out) {
    unsigned int len = 0;
    EVP_DigestInit_ex2(ctx, md, nullptr);
    EVP_DigestUpdate(ctx, data, size);
    EVP_DigestFinal_ex(ctx, reinterpret_cast<unsigned char*>(out.data()), &len);
  }
};

Digester& digester() {
  thread_local Digester d;
  return d;
}

std::size_t next_pow2(std::size_t n) { return n <= 1 ? 1 : std::bit_ceil(n); }

}  // namespace

std::uint32_t choose_piece_size(std::uint64_t file_size) {
  std::uint64_t piece = 16ull * 1024;
  while (piece < 16ull * 1024 * 1024 && file_size / piece > 2000) piece *= 2;
  return static_cast<std::uint32_t>(piece);
}

Sha256Digest merkle_root(std::vector<Sha256Digest> leaves, std::size_t width) {
  leaves.resize(width, Sha256Digest{});
  auto& d = digester();
  while (leaves.size() > 1) {
    std::vector<Sha256Digest> next(leaves.size() / 2);
    for (std::size_t i = 0; i < next.size(); ++i) {
      std::array<std::byte, 64> pair;
      std::memcpy(pair.data(), leaves[2 * i].data(), 32);
      std::memcpy(pair.data() + 32, leaves[2 * i + 1].data(), 32);
      d.digest(d.sha256, pair.data(), pair.size(), next[i]);
    }
    leaves.swap(next);
  }
  return leaves.front();
}

PieceHasher::PieceHasher(std::uint64_t file_size, std::uint32_t piece_size, bool v1, bool v2, unsigned threads)
    : file_size_(file_size), piece_size_(piece_size), v1_(v1), v2_(v2) {
  const auto pieces = static_cast<std::size_t>((file_size + piece_size - 1) / piece_size);
  if (v1_) result_.v1.resize(pieces);
  if (v2_) result_.v2.resize(pieces);
  threads = std::max(1u, threads);
  // Two buffers per worker keep the reader ahead of the hashers without unbounded memory.
  for (unsigned i = 0; i < threads * 2 + 1; ++i) free_buffers_.emplace_back(piece_size);
  current_.data = std::move(free_buffers_.back());
  free_buffers_.pop_back();
  for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { worker(); });
}

PieceHasher::~PieceHasher() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_ready_.notify_all();
  for (auto& t : threads_) t.join();
}

void PieceHasher::feed(std::span<const std::byte> data) {
  while (!data.empty()) {
    const std::size_t room = piece_size_ - current_.size;
    const std::size_t n = std::min(room, data.size());
    std::memcpy(current_.data.data() + current_.size, data.data(), n);
    current_.size += n;
    fed_ += n;
    data = data.subspan(n);
    if (current_.size == piece_size_) submit_current();
  }
}

std::span<std::byte> PieceHasher::writable() {
  const auto left_in_file = file_size_ - fed_;
  const std::size_t room = std::min<std::uint64_t>(piece_size_ - current_.size, left_in_file);
  return std::span<std::byte>(current_.data.data() + current_.size, room);
}

void PieceHasher::commit(std::size_t n) {
  current_.size += n;
  fed_ += n;
  if (current_.size == piece_size_) submit_current();
}

void PieceHasher::submit_current() {
  Job job = std::move(current_);
  job.index = next_index_++;
  current_ = Job{};
  std::unique_lock lock(mutex_);
  queue_.push_back(std::move(job));
  ++outstanding_;
  work_ready_.notify_one();
  buffer_free_.wait(lock, [&] { return !free_buffers_.empty(); });
  current_.data = std::move(free_buffers_.back());
  free_buffers_.pop_back();
}

PieceHashes PieceHasher::finish() {
  if (fed_ != file_size_)
    throw std::runtime_error("piece hasher: fed " + std::to_string(fed_) + " of " + std::to_string(file_size_) +
                             " bytes");
  if (current_.size > 0) submit_current();
  std::unique_lock lock(mutex_);
  all_done_.wait(lock, [&] { return outstanding_ == 0; });
  return std::move(result_);
}

void PieceHasher::worker() {
  auto& d = digester();
  const std::size_t blocks_per_piece = piece_size_ / kBlockSize;
  // Files smaller than one piece pad their tree to a power of two, not to the piece size.
  const std::size_t file_blocks = static_cast<std::size_t>((file_size_ + kBlockSize - 1) / kBlockSize);
  const std::size_t width = file_size_ < piece_size_ ? next_pow2(file_blocks) : blocks_per_piece;
  std::vector<Sha256Digest> leaves;
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      work_ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    if (v1_) d.digest(d.sha1, job.data.data(), job.size, result_.v1[job.index]);
    if (v2_) {
      leaves.clear();
      for (std::size_t off = 0; off < job.size; off += kBlockSize) {
        Sha256Digest h;
        d.digest(d.sha256, job.data.data() + off, std::min(kBlockSize, job.size - off), h);
        leaves.push_back(h);
      }
      result_.v2[job.index] = merkle_root(leaves, width);
    }
    bool done;
    {
      std::lock_guard lock(mutex_);
      free_buffers_.push_back(std::move(job.data));
      done = --outstanding_ == 0;
    }
    buffer_free_.notify_one();
    if (done) all_done_.notify_all();
  }
}

}  // namespace chronicle::torrent
