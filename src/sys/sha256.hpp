#pragma once
#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>

namespace chronicle::sys {

// Incremental SHA-256 over OpenSSL's EVP (uses the CPU's SHA extensions where present).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(std::span<const std::byte> data);
  std::string hex_digest();  // finishes the hash

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The hex SHA-256 of a whole file; nullopt if it cannot be read.
std::optional<std::string> sha256_file(const std::filesystem::path& path);

}  // namespace chronicle::sys
