// Tokens, signed links and typed errors: what decides whether a request gets in and how a failure
// is reported.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>

#include "core/config.hpp"
#include "core/result.hpp"
#include "egress/proxy.hpp"
#include "sys/access.hpp"

using namespace chronicle;
using namespace std::chrono_literals;

TEST(LinkSigner, ValidUntilItExpiresAndOnlyForItsJobAndFile) {
  const sys::LinkSigner signer("s3cret");
  const auto t0 = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));
  const std::string q = signer.query("JOB1", "recording", 60s, t0);
  const auto exp = q.substr(q.find("exp=") + 4, q.find('&') - q.find("exp=") - 4);
  const auto sig = q.substr(q.find("sig=") + 4);
  EXPECT_EQ(exp, "1800000060");
  EXPECT_TRUE(signer.valid("JOB1", "recording", exp, sig, t0 + 59s));
  EXPECT_FALSE(signer.valid("JOB1", "recording", exp, sig, t0 + 60s)) << "expired";
  EXPECT_FALSE(signer.valid("JOB2", "recording", exp, sig, t0)) << "another job";
  EXPECT_FALSE(signer.valid("JOB1", "torrent", exp, sig, t0)) << "another file";
  EXPECT_FALSE(signer.valid("JOB1", "recording", "1800000999", sig, t0)) << "a later expiry";
  EXPECT_FALSE(signer.valid("JOB1", "recording", exp, sig.substr(1), t0));
  EXPECT_FALSE(signer.valid("JOB1", "recording", exp + "x", sig, t0));
  EXPECT_FALSE(signer.valid("JOB1", "recording", "", sig, t0));
  EXPECT_FALSE(sys::LinkSigner("other").valid("JOB1", "recording", exp, sig, t0)) << "another token";
  EXPECT_EQ(q.find("s3cret"), std::string::npos);
  EXPECT_EQ(sys::LinkSigner("").query("JOB1", "recording", 60s), "");
}

TEST(TokenFile, CreatedOnceWithMode0600) {
  const auto dir = std::filesystem::temp_directory_path() / ("chronicle-token-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  const auto file = dir / "token";
  EXPECT_EQ(sys::read_token_file(file).value(), "");
  auto token = sys::create_token_file(file);
  ASSERT_TRUE(token.ok()) << token.error().message;
  EXPECT_GE(token->size(), 32u);
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(sys::read_token_file(file).value(), *token);
  EXPECT_FALSE(sys::create_token_file(file).ok()) << "never overwritten";
  std::filesystem::remove_all(dir);
}

TEST(Config, ListensOnLoopback) {
  Config c;
  for (const char* listen : {"127.0.0.1:8080", "127.9.9.9:1", "[::1]:8080", "localhost:80"}) {
    c.listen = listen;
    EXPECT_TRUE(c.listens_on_loopback()) << listen;
  }
  for (const char* listen : {"0.0.0.0:8080", "[::]:8080", "10.0.0.5:80", "192.168.1.2:8080"}) {
    c.listen = listen;
    EXPECT_FALSE(c.listens_on_loopback()) << listen;
  }
}

TEST(ErrorKind, DerivedFromWellKnownCodesUnlessSet) {
  EXPECT_EQ(kind_of(make_error("not_found", "")), ErrorKind::not_found);
  EXPECT_EQ(kind_of(make_error("conflict", "")), ErrorKind::conflict);
  EXPECT_EQ(kind_of(make_error("storage_error", "")), ErrorKind::unavailable);
  EXPECT_EQ(kind_of(make_error("invalid_url", "")), ErrorKind::invalid);
  EXPECT_EQ(kind_of(make_error(ErrorKind::throttled, "ThrottlingException", "")), ErrorKind::throttled);
  EXPECT_EQ(kind_of(Error{"storage_error", "", ErrorKind::internal}), ErrorKind::internal);
  EXPECT_TRUE(retryable(make_error("queue_error", "")));
  EXPECT_FALSE(retryable(make_error("forbidden_address", "")));
}

TEST(EgressProxy, ConnectTargets) {
  using egress::parse_authority;
  EXPECT_EQ(parse_authority("cdn.example:443")->first, "cdn.example");
  EXPECT_EQ(parse_authority("cdn.example:443")->second, 443);
  EXPECT_EQ(parse_authority("[::1]:8443")->first, "::1");
  EXPECT_EQ(parse_authority("10.0.0.1:80")->second, 80);
  for (const char* bad : {"cdn.example", "cdn.example:", ":443", "cdn.example:0", "cdn.example:65536",
                          "cdn.example:44a", "::1:443", "[::1]443", "bad host:443", "a/b:443"})
    EXPECT_FALSE(parse_authority(bad)) << bad;
}
