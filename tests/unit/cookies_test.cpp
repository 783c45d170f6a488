// Cookies per site: the Netscape file reader, which stored domain a URL gets, the files kept 0600,
// and sealing with CHRONICLE_COOKIES_KEY (what is on disk or in S3 is not the cookie).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "blob/cookie_stores.hpp"
#include "sys/sealed.hpp"
#include "temp_dir.hpp"

namespace chronicle {
namespace {

const std::string kFile =
    "# Netscape HTTP Cookie File\n"
    "example.com\tTRUE\t/\tTRUE\t2147483647\tsession\tmember-secret\n"
    "#HttpOnly_.example.com\tTRUE\t/\tFALSE\t0\tpref\tdark\n";

std::string key_a() { return *sys::parse_seal_key(std::string(64, 'a')); }
std::string key_b() { return *sys::parse_seal_key(std::string(64, 'b')); }

std::string file_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(Cookies, TheFileIsReadAndSummarised) {
  auto s = parse_cookies(kFile);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->count, 2u);
  ASSERT_TRUE(s->expires_at.has_value());
  EXPECT_EQ(to_rfc3339(*s->expires_at), "2038-01-19T03:14:07.000Z");
  auto none = parse_cookies("# Netscape HTTP Cookie File\nnot a cookie\n");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, "invalid_cookies");
}

TEST(Cookies, AnExpiryIsAWholeNumberOfSecondsUpToTheYear9999) {
  const auto with_expiry = [](const std::string& e) {
    return parse_cookies("example.com\tFALSE\t/\tFALSE\t" + e + "\tsession\tv\n");
  };
  auto last = with_expiry("253402300799");
  ASSERT_TRUE(last.ok()) << last.error().message;
  EXPECT_EQ(to_rfc3339(*last->expires_at), "9999-12-31T23:59:59.000Z");
  EXPECT_FALSE(with_expiry("0")->expires_at.has_value()) << "0 is a session cookie";
  for (const auto& [expiry, says] :
       std::vector<std::pair<std::string, std::string>>{{"9223372036854775807", "after the year 9999"},
                                                        {"9223372036854775808", "after the year 9999"},
                                                        {"9223372036854775", "after the year 9999"},
                                                        {"253402300800", "after the year 9999"},
                                                        {"1x", "not a number of seconds"},
                                                        {"-1", "not a number of seconds"},
                                                        {"", "not a number of seconds"},
                                                        {" 12", "not a number of seconds"}}) {
    auto r = with_expiry(expiry);
    ASSERT_FALSE(r.ok()) << expiry;
    EXPECT_EQ(r.error().code, "invalid_cookies");
    EXPECT_NE(r.error().message.find(says), std::string::npos) << expiry << ": " << r.error().message;
  }
}

TEST(Cookies, AHostGetsItsOwnOrItsClosestParentDomain) {
  const std::vector<std::string> stored = {"example.com", "live.example.com", "other.org"};
  EXPECT_EQ(cookie_domain_for("live.example.com", stored), "live.example.com");
  EXPECT_EQ(cookie_domain_for("www.live.example.com", stored), "live.example.com");
  EXPECT_EQ(cookie_domain_for("www.example.com", stored), "example.com");
  EXPECT_EQ(cookie_domain_for("badexample.com", stored), std::nullopt);
  EXPECT_EQ(cookie_domain_for("com", stored), std::nullopt);
  EXPECT_FALSE(normalize_cookie_domain("../etc").ok());
  EXPECT_EQ(*normalize_cookie_domain("Example.COM"), "example.com");
}

TEST(Sealed, OpensOnlyWithTheKeyAndContextItWasSealedWith) {
  auto sealed = sys::seal(key_a(), kFile, "example.com");
  ASSERT_TRUE(sealed.ok());
  EXPECT_TRUE(sys::is_sealed(*sealed));
  EXPECT_EQ(sealed->find("member-secret"), std::string::npos);
  auto again = sys::seal(key_a(), kFile, "example.com");
  EXPECT_NE(*again, *sealed) << "a fresh nonce each time";
  EXPECT_EQ(*sys::unseal(key_a(), *sealed, "example.com"), kFile);
  EXPECT_EQ(sys::unseal(key_b(), *sealed, "example.com").error().code, "unseal_failed");
  EXPECT_EQ(sys::unseal(key_a(), *sealed, "other.org").error().code, "unseal_failed");
  std::string tampered = *sealed;
  tampered[tampered.size() / 2] ^= 1;
  EXPECT_EQ(sys::unseal(key_a(), tampered, "example.com").error().code, "unseal_failed");
  EXPECT_EQ(sys::unseal(key_a(), sealed->substr(0, 30), "example.com").error().code, "unseal_failed");
  EXPECT_EQ(*sys::unseal(key_a(), *sys::seal(key_a(), "", "x"), "x"), "");
  EXPECT_FALSE(sys::is_sealed(kFile));
  EXPECT_FALSE(sys::parse_seal_key("abc").ok());
  EXPECT_FALSE(sys::parse_seal_key(std::string(63, 'a') + "g").ok());
}

TEST(CookieStores, FilesAreKeptReadableByChronicleAlone) {
  test_support::TempDir dir;
  blob::FsCookieStore store(dir.path / "cookies");
  ASSERT_TRUE(store.put("example.com", kFile).ok());
  struct stat st {};
  ASSERT_EQ(::stat((dir.path / "cookies" / "example.com.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((dir.path / "cookies").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_EQ(**store.get("example.com"), kFile);
  EXPECT_EQ(*store.domains(), std::vector<std::string>{"example.com"});
  EXPECT_FALSE(store.get("other.org")->has_value());
  EXPECT_TRUE(*store.remove("example.com"));
  EXPECT_FALSE(*store.remove("example.com"));
}

TEST(CookieStores, WithAKeyWhatIsStoredIsSealed) {
  test_support::TempDir dir;
  const auto path = dir.path / "cookies";
  blob::SealedCookieStore store(std::make_unique<blob::FsCookieStore>(path), key_a(), false);
  ASSERT_TRUE(store.put("example.com", kFile).ok());
  const auto on_disk = file_text(path / "example.com.txt");
  EXPECT_TRUE(sys::is_sealed(on_disk));
  EXPECT_EQ(on_disk.find("member-secret"), std::string::npos);
  EXPECT_EQ(**store.get("example.com"), kFile);
  EXPECT_EQ(*store.domains(), std::vector<std::string>{"example.com"});

  // A file renamed to another domain does not open as that domain's.
  std::filesystem::copy_file(path / "example.com.txt", path / "other.org.txt");
  EXPECT_EQ(store.get("other.org").error().code, "cookies_key_mismatch");
  // Another key, or none, says what is wrong.
  blob::SealedCookieStore other_key(std::make_unique<blob::FsCookieStore>(path), key_b(), false);
  EXPECT_EQ(other_key.get("example.com").error().code, "cookies_key_mismatch");
  blob::SealedCookieStore no_key(std::make_unique<blob::FsCookieStore>(path), "", false);
  auto refused = no_key.get("example.com");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "cookies_key_missing");
  EXPECT_NE(refused.error().message.find("CHRONICLE_COOKIES_KEY"), std::string::npos);
}

TEST(CookieStores, TextStoredBeforeAKeyWasSetIsStillRead) {
  test_support::TempDir dir;
  const auto path = dir.path / "cookies";
  ASSERT_TRUE(blob::FsCookieStore(path).put("example.com", kFile).ok());
  blob::SealedCookieStore store(std::make_unique<blob::FsCookieStore>(path), key_a(), false);
  EXPECT_EQ(**store.get("example.com"), kFile);
}

TEST(CookieStores, WhereAKeyIsRequiredNoneRefusesToStore) {
  test_support::TempDir dir;
  blob::SealedCookieStore store(std::make_unique<blob::FsCookieStore>(dir.path / "cookies"), "", true);
  auto put = store.put("example.com", kFile);
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.error().code, "cookies_key_missing");
  EXPECT_NE(put.error().message.find("openssl rand -hex 32"), std::string::npos);
  EXPECT_TRUE(store.domains()->empty());
}

}  // namespace
}  // namespace chronicle
