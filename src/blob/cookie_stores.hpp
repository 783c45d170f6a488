#pragma once
// Where cookies files are kept. Embedded: files in <data>/cookies, mode 0600 (the data directory is
// chronicle's own). AWS: objects under cookies/ in the recordings bucket, written with server-side
// encryption (SSE-S3, AES-256) and readable only by roles the bucket policy lets read that prefix:
// the recorder tasks and the dispatcher already read this bucket, so no other service (Secrets
// Manager: one secret per domain, billed per secret and per call) is needed for a few KiB per site.
#include <filesystem>

#include "blob/s3/s3_object_store.hpp"
#include "core/cookies.hpp"

namespace chronicle::blob {

class FsCookieStore final : public CookieStore {
 public:
  explicit FsCookieStore(std::filesystem::path dir) : dir_(std::move(dir)) {}
  Result<Ok> put(const std::string& domain, const std::string& text) override;
  Result<std::optional<std::string>> get(const std::string& domain) override;
  Result<std::vector<std::string>> domains() override;
  Result<bool> remove(const std::string& domain) override;

 private:
  std::filesystem::path dir_;
};

class S3CookieStore final : public CookieStore {
 public:
  explicit S3CookieStore(S3ObjectStore& objects) : objects_(objects) {}
  Result<Ok> put(const std::string& domain, const std::string& text) override;
  Result<std::optional<std::string>> get(const std::string& domain) override;
  Result<std::vector<std::string>> domains() override;
  Result<bool> remove(const std::string& domain) override;

 private:
  S3ObjectStore& objects_;
};

}  // namespace chronicle::blob
