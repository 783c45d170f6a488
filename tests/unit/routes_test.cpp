#include <gtest/gtest.h>

#include "http/routes.hpp"

using namespace chronicle::http;

TEST(Range, ParsesSingleRanges) {
  auto r = parse_range("bytes=0-99", 1000);
  ASSERT_TRUE(r && *r);
  EXPECT_EQ((*r)->first, 0u);
  EXPECT_EQ((*r)->last, 99u);
  r = parse_range("bytes=900-", 1000);
  EXPECT_EQ((*r)->first, 900u);
  EXPECT_EQ((*r)->last, 999u);
  r = parse_range("bytes=-100", 1000);
  EXPECT_EQ((*r)->first, 900u);
  r = parse_range("bytes=990-5000", 1000);
  EXPECT_EQ((*r)->last, 999u);
  r = parse_range("bytes=-5000", 1000);
  EXPECT_EQ((*r)->first, 0u);
}

TEST(Range, UnsatisfiableAndIgnored) {
  auto r = parse_range("bytes=1000-", 1000);
  ASSERT_TRUE(r);
  EXPECT_FALSE(*r) << "past the end: 416";
  EXPECT_FALSE(parse_range("bytes=5-2", 1000)) << "malformed: send everything";
  EXPECT_FALSE(parse_range("bytes=0-1,5-6", 1000));
  EXPECT_FALSE(parse_range("items=0-1", 1000));
  EXPECT_FALSE(parse_range("bytes=abc-", 1000));
}

TEST(Query, DecodesPercentAndPlus) {
  auto q = parse_query("status=recording&cursor=01AB&name=a%20b+c&bad=%zz");
  EXPECT_EQ(q["status"], "recording");
  EXPECT_EQ(q["name"], "a b c");
  EXPECT_FALSE(q.count("bad"));
  EXPECT_FALSE(percent_decode("%4"));
}

TEST(ContentDisposition, HasAnAsciiFallbackAndTheUtf8Name) {
  EXPECT_EQ(content_disposition("evening news.mkv"),
            "attachment; filename=\"evening news.mkv\"; filename*=UTF-8''evening%20news.mkv");
  EXPECT_EQ(content_disposition("caf\xC3\xA9 \"x\".mkv"),
            "attachment; filename=\"caf__ _x_.mkv\"; filename*=UTF-8''caf%C3%A9%20%22x%22.mkv");
  // "exe" + RIGHT-TO-LEFT OVERRIDE + "vkm.exe" would show as "exeexe.mkv" in some file managers.
  EXPECT_EQ(content_disposition("a\xE2\x80\xAEvkm.exe"),
            "attachment; filename=\"avkm.exe\"; filename*=UTF-8''avkm.exe");
  EXPECT_EQ(content_disposition("b\xE2\x81\xA6x.ts"), "attachment; filename=\"bx.ts\"; filename*=UTF-8''bx.ts");
  // Found by fuzz_names: strchr matched the NUL byte, which then went into the header raw.
  EXPECT_EQ(content_disposition(std::string("a\0b.ts", 6)),
            "attachment; filename=\"a_b.ts\"; filename*=UTF-8''a%00b.ts");
}

TEST(ErrorReply, StatusAndRetryAfterFollowTheKind) {
  using chronicle::ErrorKind;
  using chronicle::make_error;
  auto header = [](const Reply& r, const std::string& name) {
    for (const auto& [k, v] : r.headers)
      if (k == name) return v;
    return std::string();
  };
  auto outage = error_reply(make_error(ErrorKind::unavailable, "aws_unreachable", "DynamoDB is down"));
  EXPECT_EQ(outage.status, 503u);
  EXPECT_EQ(header(outage, "Retry-After"), "5");
  EXPECT_NE(outage.body.find("aws_unreachable"), std::string::npos);
  auto slow = error_reply(make_error(ErrorKind::throttled, "ThrottlingException", "slow down"));
  EXPECT_EQ(slow.status, 503u);
  EXPECT_EQ(header(slow, "Retry-After"), "2");
  EXPECT_EQ(error_reply(make_error("storage_error", "locked")).status, 503u) << "a store error is never a 400";
  EXPECT_EQ(error_reply(make_error(ErrorKind::internal, "AccessDeniedException", "no")).status, 500u);
  EXPECT_EQ(error_reply(make_error("not_found", "no job")).status, 404u);
  EXPECT_EQ(error_reply(make_error("conflict", "running")).status, 409u);
  EXPECT_EQ(error_reply(make_error("insufficient_storage", "full")).status, 507u);
  auto bad = error_reply(make_error("invalid_url", "bad"));
  EXPECT_EQ(bad.status, 400u);
  EXPECT_EQ(header(bad, "Retry-After"), "");
}
