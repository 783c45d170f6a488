#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <thread>

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

// A local HTTP server answering each request with the next scripted (status, body), then
// 200 "{}"; it counts the requests.
namespace {
class ScriptedServer {
 public:
  explicit ScriptedServer(std::vector<std::pair<unsigned, std::string>> replies)
      : replies_(std::move(replies)), thread_([this] { serve(); }) {}
  ~ScriptedServer() {
    stopping_ = true;
    boost::asio::ip::tcp::socket wake(io_);
    boost::system::error_code ec;
    wake.connect(acceptor_.local_endpoint(), ec);  // unblocks accept()
    thread_.join();
  }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()); }
  int requests() const { return requests_; }

 private:
  void serve() {
    namespace http = boost::beast::http;
    while (!stopping_) {
      boost::system::error_code ec;
      auto socket = acceptor_.accept(ec);
      if (ec || stopping_) return;
      boost::beast::flat_buffer buffer;
      http::request<http::string_body> request;
      http::read(socket, buffer, request, ec);
      if (ec) continue;
      const int n = requests_++;
      const auto [status, body] = n < static_cast<int>(replies_.size()) ? replies_[static_cast<std::size_t>(n)]
                                                                        : std::pair<unsigned, std::string>{200, "{}"};
      http::response<http::string_body> response{static_cast<http::status>(status), 11};
      response.set(http::field::content_type, "application/x-amz-json-1.0");
      response.body() = body;
      response.keep_alive(false);
      response.prepare_payload();
      http::write(socket, response, ec);
    }
  }
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_{io_, {boost::asio::ip::make_address("127.0.0.1"), 0}};
  std::vector<std::pair<unsigned, std::string>> replies_;
  std::atomic<int> requests_{0};
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

Client client_for(const ScriptedServer& server) {
  Settings s;
  s.endpoint = server.endpoint();
  s.access_key = "test";
  s.secret_key = "test";
  return Client(s);
}
}  // namespace

TEST(JsonCall, RetriesThrottlingAndServerErrorsButNotRefusals) {
  {
    ScriptedServer server({{503, "{}"}, {500, "{}"}});
    auto r = json_call(client_for(server), "dynamodb", "DynamoDB_20120810", "GetItem", {});
    EXPECT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(server.requests(), 3);
  }
  {
    // DynamoDB says "slow down" with a 400 and a throttling code.
    ScriptedServer server(
        {{400, R"({"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException"})"}});
    EXPECT_TRUE(json_call(client_for(server), "dynamodb", "DynamoDB_20120810", "PutItem", {}).ok());
    EXPECT_EQ(server.requests(), 2);
  }
  {
    ScriptedServer server({{400, R"({"__type":"com.amazon.coral.validate#ValidationException","message":"bad"})"}});
    auto r = json_call(client_for(server), "dynamodb", "DynamoDB_20120810", "Query", {});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, "ValidationException");
    EXPECT_EQ(server.requests(), 1) << "a refusal of the request itself is not repeated";
  }
  {
    ScriptedServer server(std::vector<std::pair<unsigned, std::string>>(10, {503, "{}"}));
    auto r = json_call(client_for(server), "sqs", "AmazonSQS", "SendMessage", {});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(chronicle::kind_of(r.error()), chronicle::ErrorKind::unavailable);
    EXPECT_EQ(server.requests(), RetryPolicy{}.attempts) << "then it gives up and says so";
  }
}
