#pragma once
// A directory of the test's own under /tmp, removed with everything in it when the test ends.
#include <filesystem>

#include "core/ids.hpp"

namespace chronicle::test_support {

struct TempDir {
  std::filesystem::path path = std::filesystem::temp_directory_path() / ("chronicle-test-" + new_job_id());
  TempDir() { std::filesystem::create_directories(path); }
  ~TempDir() { std::filesystem::remove_all(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

}  // namespace chronicle::test_support
