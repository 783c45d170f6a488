#pragma once
// Where cookies files are kept. Embedded: files in <data>/cookies, mode 0600 (the data directory is
// chronicle's own). AWS: objects under cookies/ in the recordings bucket. Either way, with
// CHRONICLE_COOKIES_KEY they are sealed (AES-256-GCM) before they are stored; on AWS the key is
// required, because roles that read the bucket (the seeder's) would otherwise read the cookies,
// and SSE alone protects only against someone holding the disks. A key in the environment of the
// few processes that use cookies was chosen over Secrets Manager (one secret per site, billed per
// secret and per call, and a new client to sign for) for a few KiB per site.
#include <filesystem>
#include <memory>

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

// Seals what it stores with `key` and opens it when read; text stored before a key was set is
// read as it is. With `key_required` and no key, storing is refused.
class SealedCookieStore final : public CookieStore {
 public:
  SealedCookieStore(std::unique_ptr<CookieStore> inner, std::string key, bool key_required)
      : inner_(std::move(inner)), key_(std::move(key)), key_required_(key_required) {}
  Result<Ok> put(const std::string& domain, const std::string& text) override;
  Result<std::optional<std::string>> get(const std::string& domain) override;
  Result<std::vector<std::string>> domains() override { return inner_->domains(); }
  Result<bool> remove(const std::string& domain) override { return inner_->remove(domain); }

 private:
  std::unique_ptr<CookieStore> inner_;
  std::string key_;  // 32 bytes, or empty
  bool key_required_;
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
