// API Gateway proxy events <-> requests and replies, without a network.
#include <gtest/gtest.h>

#include "lambda/handler.hpp"

using namespace chronicle;
using nlohmann::json;

TEST(Base64, RoundTripsAllLengths) {
  for (const std::string& s : std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
    auto decoded = lambda::base64_decode(lambda::base64_encode(s));
    ASSERT_TRUE(decoded);
    EXPECT_EQ(*decoded, s);
  }
  EXPECT_EQ(lambda::base64_encode("chronicle"), "Y2hyb25pY2xl");
  EXPECT_FALSE(lambda::base64_decode("abc"));
  EXPECT_FALSE(lambda::base64_decode("ab!="));
}

TEST(ApiGateway, HttpApiEventKeepsTheRawPathAndQuery) {
  const json event = {{"version", "2.0"},
                      {"rawPath", "/api/v1/jobs"},
                      {"rawQueryString", "status=recording&limit=5"},
                      {"headers", {{"content-type", "application/json"}, {"authorization", "Bearer t"}}},
                      {"cookies", {"a=1", "b=2"}},
                      {"body", "eyJ1cmwiOiJodHRwOi8veCJ9"},
                      {"isBase64Encoded", true},
                      {"requestContext", {{"http", {{"method", "POST"}}}}}};
  auto request = lambda::request_from_api_gateway(event, 1024);
  ASSERT_TRUE(request) << request.error().message;
  EXPECT_EQ(request->method(), boost::beast::http::verb::post);
  EXPECT_EQ(request->target(), "/api/v1/jobs?status=recording&limit=5");
  EXPECT_EQ(request->body(), R"({"url":"http://x"})");
  EXPECT_EQ((*request)[boost::beast::http::field::authorization], "Bearer t");
  EXPECT_EQ((*request)[boost::beast::http::field::cookie], "a=1; b=2");
  EXPECT_EQ((*request)[boost::beast::http::field::content_length], "18");
}

TEST(ApiGateway, RestApiEventReencodesPathAndParameters) {
  const json event = {{"httpMethod", "GET"},
                      {"path", "/api/v1/jobs/a b"},
                      {"multiValueQueryStringParameters", {{"status", {"completed"}}, {"q", {"x&y"}}}},
                      {"headers", nullptr},
                      {"body", nullptr},
                      {"requestContext", json::object()}};
  auto request = lambda::request_from_api_gateway(event, 1024);
  ASSERT_TRUE(request) << request.error().message;
  EXPECT_EQ(request->target(), "/api/v1/jobs/a%20b?q=x%26y&status=completed");
}

TEST(ApiGateway, RefusesWhatARequestCannotBe) {
  json event = {{"rawPath", "/x"}, {"requestContext", {{"http", {{"method", "BREW"}}}}}};
  EXPECT_EQ(lambda::request_from_api_gateway(event, 10).error().code, "bad_request");
  event = {{"rawPath", "/x"}, {"body", std::string(11, 'a')}, {"requestContext", {{"http", {{"method", "POST"}}}}}};
  EXPECT_EQ(lambda::request_from_api_gateway(event, 10).error().code, "payload_too_large");
  event = {{"rawPath", "/x"},
           {"body", "%%%%"},
           {"isBase64Encoded", true},
           {"requestContext", {{"http", {{"method", "POST"}}}}}};
  EXPECT_EQ(lambda::request_from_api_gateway(event, 10).error().code, "bad_request");
}

TEST(ApiGateway, ResponsesCarryHeadersAndEncodeBinaryBodies) {
  http::Reply redirect;
  redirect.status = 302;
  redirect.body = "";
  redirect.headers = {{"Location", "https://bucket.s3/x?X-Amz-Signature=1"}, {"Cache-Control", "no-store"}};
  auto doc = lambda::api_gateway_response(redirect);
  EXPECT_EQ(doc["statusCode"], 302);
  EXPECT_EQ(doc["headers"]["location"], "https://bucket.s3/x?X-Amz-Signature=1");
  EXPECT_EQ(doc["isBase64Encoded"], false);

  http::Reply torrent;
  torrent.content_type = "application/x-bittorrent";
  torrent.body = std::string("d4:infod\0e", 10);
  doc = lambda::api_gateway_response(torrent);
  EXPECT_EQ(doc["isBase64Encoded"], true);
  EXPECT_EQ(*lambda::base64_decode(doc["body"].get<std::string>()), torrent.body);

  http::Reply events;
  events.event_stream = true;
  doc = lambda::api_gateway_response(events);
  EXPECT_EQ(doc["statusCode"], 501);
  EXPECT_NE(doc["body"].get<std::string>().find("poll"), std::string::npos);
}
