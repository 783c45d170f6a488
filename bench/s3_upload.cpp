// Upload throughput of chronicle's S3 ObjectStore (multipart, parts in flight) to an
// S3-compatible endpoint. Used by bench/s3_upload.sh beside `aws s3 cp` on the same file.
//   bench_s3_upload FILE BUCKET KEY     (AWS_* variables say where and how)
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <vector>

#include "blob/s3/s3_object_store.hpp"

int main(int argc, char** argv) {
  using namespace chronicle;
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s FILE BUCKET KEY\n", argv[0]);
    return 2;
  }
  blob::S3Options o;
  o.bucket = argv[2];
  blob::S3ObjectStore store(aws::Client(aws::Settings::from_environment()), o);
  const int fd = ::open(argv[1], O_RDONLY);
  if (fd < 0) return 1;
  const auto size = static_cast<std::uint64_t>(::lseek(fd, 0, SEEK_END));
  ::lseek(fd, 0, SEEK_SET);
  const auto t0 = std::chrono::steady_clock::now();
  auto writer = store.create(argv[3], size);
  if (!writer) return 1;
  std::vector<std::byte> buf(4 << 20);
  for (ssize_t n; (n = ::read(fd, buf.data(), buf.size())) > 0;)
    if (!(*writer)->write(std::span(buf.data(), static_cast<std::size_t>(n)))) return 1;
  auto info = (*writer)->commit();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!info) {
    std::fprintf(stderr, "%s\n", info.error().message.c_str());
    return 1;
  }
  std::printf("%.3f\n", secs);
  return 0;
}
