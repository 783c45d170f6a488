// Throughput of chronicle's S3 ObjectStore against an S3-compatible endpoint, for
// bench/s3_upload.sh to print beside `aws s3 cp` on the same file. Prints seconds.
//   bench_s3_upload upload FILE BUCKET KEY     multipart upload (parts in flight)
//   bench_s3_upload finalize FILE BUCKET KEY   the recorder's finalize: SHA-256, torrent
//                                              pieces and upload in one read pass
//   bench_s3_upload fetch BUCKET KEY OUT       the seeder's ranged parallel download
// (AWS_* variables say where and how.)
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "blob/s3/s3_object_store.hpp"
#include "core/config.hpp"
#include "record/finalize.hpp"

namespace {

using namespace chronicle;

blob::S3ObjectStore open_store(const char* bucket) {
  blob::S3Options o;
  o.bucket = bucket;
  // Knobs for exploring the endpoint: part size and parts in flight.
  if (const char* v = std::getenv("BENCH_PART_MIB")) o.min_part_size = std::stoull(v) << 20;
  if (const char* v = std::getenv("BENCH_IN_FLIGHT")) o.parts_in_flight = std::stoi(v);
  return blob::S3ObjectStore(aws::Client(aws::Settings::from_environment()), o);
}

Result<Ok> upload(const char* file, const char* bucket, const char* key) {
  auto store = open_store(bucket);
  const int fd = ::open(file, O_RDONLY);
  if (fd < 0) return make_error("io_error", std::string("cannot open ") + file);
  const auto size = static_cast<std::uint64_t>(::lseek(fd, 0, SEEK_END));
  ::lseek(fd, 0, SEEK_SET);
  auto writer = store.create(key, size);
  if (!writer) return writer.error();
  std::vector<std::byte> buf(4 << 20);
  for (ssize_t n; (n = ::read(fd, buf.data(), buf.size())) > 0;)
    if (auto w = (*writer)->write(std::span(buf.data(), static_cast<std::size_t>(n))); !w) return w;
  ::close(fd);
  auto info = (*writer)->commit();
  if (!info) return info.error();
  return Ok{};
}

Result<Ok> finalize(const char* file, const char* bucket, const char* key) {
  auto store = open_store(bucket);
  Config config;
  auto stored = record::store_recording(config, store, file, key, "bench", "bench");
  if (!stored) return stored.error();
  return Ok{};
}

Result<Ok> fetch(const char* bucket, const char* key, const char* out) {
  auto store = open_store(bucket);
  return store.fetch(key, out);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  std::function<Result<Ok>()> run;
  if (mode == "upload" && argc == 5) run = [&] { return upload(argv[2], argv[3], argv[4]); };
  if (mode == "finalize" && argc == 5) run = [&] { return finalize(argv[2], argv[3], argv[4]); };
  if (mode == "fetch" && argc == 5) run = [&] { return fetch(argv[2], argv[3], argv[4]); };
  if (!run) {
    std::fprintf(stderr, "usage: %s upload|finalize FILE BUCKET KEY | fetch BUCKET KEY OUT\n", argv[0]);
    return 2;
  }
  const auto t0 = std::chrono::steady_clock::now();
  auto result = run();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!result) {
    std::fprintf(stderr, "%s\n", result.error().message.c_str());
    return 1;
  }
  std::printf("%.3f\n", secs);
  return 0;
}
