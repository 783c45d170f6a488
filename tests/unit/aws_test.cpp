#include <gtest/gtest.h>

#include "aws/aws.hpp"

using namespace chronicle::aws;

// The example from AWS's "Authenticating Requests: Using Query Parameters (SigV4)" page.
TEST(Presign, MatchesAwsPublishedExample) {
  Settings s;
  s.region = "us-east-1";
  s.access_key = "AKIAIOSFODNN7EXAMPLE";
  s.secret_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  std::tm tm{};
  tm.tm_year = 2013 - 1900;
  tm.tm_mon = 4;
  tm.tm_mday = 24;
  const auto at = std::chrono::system_clock::from_time_t(timegm(&tm));
  const auto url =
      presign_get(s, "s3", "https://examplebucket.s3.amazonaws.com/test.txt", std::chrono::seconds(86400), at);
  EXPECT_EQ(url,
            "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
            "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
            "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
}

TEST(UriEncode, FollowsSigV4Rules) {
  EXPECT_EQ(uri_encode("shows/ep 1+2.mkv", true), "shows/ep%201%2B2.mkv");
  EXPECT_EQ(uri_encode("a/b~c_d-e.f", false), "a%2Fb~c_d-e.f");
  EXPECT_EQ(uri_encode("ü", true), "%C3%BC");
}

TEST(Errors, ReadXmlAndJsonErrorBodies) {
  Response xml{404,
               "<?xml version=\"1.0\"?><Error><Code>NoSuchBucket</Code><Message>The specified bucket does not "
               "exist</Message></Error>",
               {}};
  auto e = parse_error(xml, "store x.mkv");
  EXPECT_EQ(e.code, "NoSuchBucket");
  EXPECT_EQ(e.message, "store x.mkv: The specified bucket does not exist (HTTP 404)");
  Response json{
      400,
      R"({"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed"})",
      {}};
  e = parse_error(json, "update job");
  EXPECT_EQ(e.code, "ConditionalCheckFailedException");
}
