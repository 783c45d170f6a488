#include "blob/fs/fs_object_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include "core/names.hpp"

namespace chronicle::blob {
namespace fs = std::filesystem;
namespace {

// Publishes `source` under the desired key or the first free suffixed one, then unlinks it.
// link() fails with EEXIST instead of replacing: collisions never overwrite. nullopt when the
// source is on another filesystem (EXDEV).
Result<std::optional<ObjectInfo>> link_into_place(const fs::path& root, const std::string& desired_key,
                                                  const fs::path& source) {
  for (int n = 0; n < 10000; ++n) {
    const std::string key = key_with_suffix(desired_key, n);
    const fs::path target = root / key;
    std::error_code ec;
    fs::create_directories(target.parent_path(), ec);
    if (::link(source.c_str(), target.c_str()) == 0) {
      ::unlink(source.c_str());
      return std::optional<ObjectInfo>(ObjectInfo{key, fs::file_size(target, ec)});
    }
    if (errno == EXDEV) return std::optional<ObjectInfo>();
    if (errno != EEXIST)
      return make_error("storage_error", "store " + target.string() + ": " + std::string(std::strerror(errno)));
  }
  return make_error("storage_error", "too many objects named like " + desired_key);
}

class FsWriter final : public ObjectWriter {
 public:
  FsWriter(fs::path root, std::string key, fs::path temp, int fd)
      : root_(std::move(root)), key_(std::move(key)), temp_(std::move(temp)), fd_(fd) {}
  ~FsWriter() override {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) {
      std::error_code ec;
      fs::remove(temp_, ec);
    }
  }

  Result<Ok> write(std::span<const std::byte> data) override {
    const auto* p = reinterpret_cast<const char*>(data.data());
    std::size_t left = data.size();
    while (left > 0) {
      const ssize_t n = ::write(fd_, p, left);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return make_error("storage_error", "write " + temp_.string() + ": " + std::strerror(errno));
      p += n;
      left -= static_cast<std::size_t>(n);
      size_ += static_cast<std::uint64_t>(n);
    }
    return Ok{};
  }

  Result<ObjectInfo> commit() override {
    if (::fsync(fd_) != 0) return make_error("storage_error", "fsync: " + std::string(std::strerror(errno)));
    ::close(fd_);
    fd_ = -1;
    auto linked = link_into_place(root_, key_, temp_);
    if (!linked) return linked.error();
    if (!*linked) return make_error("storage_error", "cannot link " + temp_.string() + " into " + root_.string());
    committed_ = true;
    (*linked)->size = size_;
    return **linked;
  }

 private:
  fs::path root_;
  std::string key_;
  fs::path temp_;
  int fd_;
  std::uint64_t size_ = 0;
  bool committed_ = false;
};

}  // namespace

FsObjectStore::FsObjectStore(fs::path root) : root_(std::move(root)) {
  std::error_code ec;
  fs::create_directories(root_ / ".incoming", ec);
}

std::optional<fs::path> FsObjectStore::resolve(const std::string& key) const {
  if (!is_safe_object_key(key)) return std::nullopt;
  return root_ / key;
}

Result<std::unique_ptr<ObjectWriter>> FsObjectStore::create(const std::string& desired_key, std::uint64_t) {
  if (!is_safe_object_key(desired_key) || desired_key.starts_with(".incoming"))
    return make_error("invalid_key", "object key '" + desired_key + "' is not a safe relative path");
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  const fs::path temp = root_ / ".incoming" / ("upload-" + std::to_string(rng()));
  std::error_code ec;
  fs::create_directories(temp.parent_path(), ec);
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return make_error("storage_error", "create " + temp.string() + ": " + std::strerror(errno));
  return std::unique_ptr<ObjectWriter>(std::make_unique<FsWriter>(root_, desired_key, temp, fd));
}

Result<ObjectInfo> FsObjectStore::stat(const std::string& key) {
  auto p = resolve(key);
  std::error_code ec;
  if (!p || !fs::is_regular_file(*p, ec)) return make_error("not_found", "no object " + key);
  return ObjectInfo{key, fs::file_size(*p, ec)};
}

Result<Ok> FsObjectStore::remove(const std::string& key) {
  auto p = resolve(key);
  if (!p) return make_error("invalid_key", "object key '" + key + "' is not a safe relative path");
  std::error_code ec;
  fs::remove(*p, ec);
  if (ec) return make_error("storage_error", "remove " + p->string() + ": " + ec.message());
  return Ok{};
}

Result<std::optional<ObjectInfo>> FsObjectStore::adopt(const fs::path& file, const std::string& desired_key) {
  if (!is_safe_object_key(desired_key) || desired_key.starts_with(".incoming"))
    return make_error("invalid_key", "object key '" + desired_key + "' is not a safe relative path");
  return link_into_place(root_, desired_key, file);
}

std::optional<fs::path> FsObjectStore::local_path(const std::string& key) { return resolve(key); }

Result<Ok> FsObjectStore::fetch(const std::string& key, const fs::path& destination) {
  auto source = resolve(key);
  if (!source) return make_error("bad_request", "invalid object key " + key);
  const fs::path partial = destination.string() + ".part";
  std::error_code ec;
  fs::copy_file(*source, partial, fs::copy_options::overwrite_existing, ec);
  if (!ec) fs::rename(partial, destination, ec);
  if (ec)
    return make_error(ec == std::errc::no_such_file_or_directory ? "not_found" : "io_error",
                      "cannot copy " + key + ": " + ec.message());
  return Ok{};
}

}  // namespace chronicle::blob
