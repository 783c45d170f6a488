#pragma once
// What every ObjectStore must do, written once and instantiated for each adapter (a directory, S3
// on moto, the in-memory fake):
//   struct Backend { std::unique_ptr<ObjectStore> open(); };   // a fresh, empty store
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/ids.hpp"
#include "core/ports.hpp"

namespace chronicle::contract {

template <class Backend>
class ObjectStoreContract : public ::testing::Test {
 protected:
  Backend backend;
  std::unique_ptr<ObjectStore> objects = backend.open();
  std::filesystem::path scratch = std::filesystem::temp_directory_path() / ("chronicle-contract-" + new_job_id());

  void SetUp() override { std::filesystem::create_directories(scratch); }
  void TearDown() override { std::filesystem::remove_all(scratch); }

  std::string put(const std::string& key, const std::string& body) {
    auto w = objects->create(key, body.size());
    EXPECT_TRUE(w.ok()) << w.error().message;
    if (!w.ok()) return "";
    EXPECT_TRUE((*w)->write(std::as_bytes(std::span(body.data(), body.size()))).ok());
    auto info = (*w)->commit();
    EXPECT_TRUE(info.ok()) << info.error().message;
    if (!info.ok()) return "";
    EXPECT_EQ(info->size, body.size());
    return info->key;
  }
  std::string read(const std::string& key) {
    const auto file = scratch / "read";
    auto fetched = objects->fetch(key, file);
    EXPECT_TRUE(fetched.ok()) << fetched.error().message;
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
};
TYPED_TEST_SUITE_P(ObjectStoreContract);

TYPED_TEST_P(ObjectStoreContract, RoundTripsBytes) {
  std::string body = "binary\0bytes\xff of a recording";
  body.push_back('\0');
  EXPECT_EQ(this->put("shows/ep 1.mkv", body), "shows/ep 1.mkv");
  auto info = this->objects->stat("shows/ep 1.mkv");
  ASSERT_TRUE(info.ok()) << info.error().message;
  EXPECT_EQ(info->size, body.size());
  EXPECT_TRUE(this->read("shows/ep 1.mkv") == body);
}

TYPED_TEST_P(ObjectStoreContract, NeverOverwrites) {
  EXPECT_EQ(this->put("show/ep.mkv", "one"), "show/ep.mkv");
  EXPECT_EQ(this->put("show/ep.mkv", "two"), "show/ep-1.mkv");
  EXPECT_EQ(this->put("show/ep.mkv", "three"), "show/ep-2.mkv");
  EXPECT_EQ(this->read("show/ep.mkv"), "one");
  EXPECT_EQ(this->read("show/ep-2.mkv"), "three");
}

TYPED_TEST_P(ObjectStoreContract, RemovedObjectsAreGone) {
  this->put("gone.mkv", "bytes");
  ASSERT_TRUE(this->objects->remove("gone.mkv").ok());
  auto stat = this->objects->stat("gone.mkv");
  ASSERT_FALSE(stat.ok());
  EXPECT_EQ(stat.error().code, "not_found");
  EXPECT_EQ(this->put("gone.mkv", "again"), "gone.mkv") << "a removed key is free again";
}

TYPED_TEST_P(ObjectStoreContract, FetchingWhatIsMissingSaysSoAndLeavesNoFile) {
  const auto file = this->scratch / "none.mkv";
  auto missing = this->objects->fetch("none.mkv", file);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "not_found");
  EXPECT_FALSE(std::filesystem::exists(file));
}

TYPED_TEST_P(ObjectStoreContract, RefusesKeysThatCouldEscape) {
  for (const char* bad : {"../x.mkv", "/etc/passwd", "a/../../b", "", "a//b", "./x"}) {
    auto w = this->objects->create(bad, 0);
    ASSERT_FALSE(w.ok()) << bad;
    EXPECT_EQ(w.error().code, "invalid_key") << bad;
  }
}

REGISTER_TYPED_TEST_SUITE_P(ObjectStoreContract, RoundTripsBytes, NeverOverwrites, RemovedObjectsAreGone,
                            FetchingWhatIsMissingSaysSoAndLeavesNoFile, RefusesKeysThatCouldEscape);

}  // namespace chronicle::contract
