#pragma once
#include <filesystem>
#include <memory>

#include "core/ports.hpp"

namespace chronicle::blob {

// Objects are files under a root directory; keys are relative paths.
class FsObjectStore final : public ObjectStore {
 public:
  explicit FsObjectStore(std::filesystem::path root);

  Result<std::unique_ptr<ObjectWriter>> create(const std::string& desired_key, std::uint64_t size_hint = 0) override;
  Result<ObjectInfo> stat(const std::string& key) override;
  Result<Ok> remove(const std::string& key) override;
  std::optional<std::filesystem::path> local_path(const std::string& key) override;
  Result<Ok> fetch(const std::string& key, const std::filesystem::path& destination) override;
  bool adopts_files() const override { return true; }
  Result<std::optional<ObjectInfo>> adopt(const std::filesystem::path& file, const std::string& desired_key) override;

 private:
  std::optional<std::filesystem::path> resolve(const std::string& key) const;
  std::filesystem::path root_;
};

}  // namespace chronicle::blob
