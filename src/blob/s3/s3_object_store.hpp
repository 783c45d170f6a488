#pragma once
#include <chrono>
#include <memory>

#include "aws/aws.hpp"
#include "core/ports.hpp"

namespace chronicle::blob {

struct S3Options {
  std::string bucket;
  bool path_style = true;                    // bucket in the path (emulators, most S3-compatible stores) or in the host
  std::uint64_t min_part_size = 8ull << 20;  // S3 needs at least 5 MiB per part but the last
  int parts_in_flight = 4;
  std::chrono::seconds presign_ttl{3600};
};

// Objects in an S3 bucket: single PUT for small objects, multipart (several parts in flight,
// retried with backoff) for large ones; writes never overwrite (If-None-Match and a free key
// chosen up front); downloads are presigned GET URLs.
inline constexpr const char* kRetentionTagKey = "chronicle-retention";
inline constexpr const char* kExpireTag = "chronicle-retention=expire";

class S3ObjectStore final : public ObjectStore {
 public:
  S3ObjectStore(aws::Client client, S3Options options);

  Result<std::unique_ptr<ObjectWriter>> create(const std::string& desired_key, std::uint64_t size_hint = 0) override;
  Result<ObjectInfo> stat(const std::string& key) override;
  Result<Ok> remove(const std::string& key) override;
  // Pinned objects carry chronicle-retention=keep; the bucket's lifecycle rule (deploy/terraform)
  // expires only those tagged chronicle-retention=expire, which every upload starts with.
  Result<Ok> set_retention(const std::string& key, bool keep) override;
  Result<std::string> retention_tag(const std::string& key);  // "keep", "expire" or "" (none)
  std::optional<std::filesystem::path> local_path(const std::string&) override { return std::nullopt; }
  Result<Ok> fetch(const std::string& key, const std::filesystem::path& destination) override;
  std::optional<std::string> download_url(const std::string& key) override;

  Result<std::string> read_range(const std::string& key, std::uint64_t first, std::uint64_t last);
  Result<std::vector<ObjectInfo>> list(const std::string& prefix);
  Result<Ok> create_bucket();  // idempotent

  std::string object_url(const std::string& key) const;
  const aws::Client& client() const { return client_; }
  const S3Options& options() const { return options_; }

 private:
  std::string bucket_url() const;
  aws::Client client_;
  S3Options options_;
};

}  // namespace chronicle::blob
