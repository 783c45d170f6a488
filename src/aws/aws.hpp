#pragma once
// AWS over HTTPS with libcurl: requests are signed by libcurl (CURLOPT_AWS_SIGV4); presigned
// URLs (query signing, which libcurl does not do) are computed here. All AWS wire code lives
// in this module; Debian has no AWS SDK for C++.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.hpp"

namespace chronicle::aws {

struct Credentials {
  std::string access_key, secret_key, session_token;
};

// Where temporary credentials come from when they are not in the environment: ECS tasks get
// theirs from the container credentials endpoint, and they expire (after about six hours,
// less than a long recording), so they are fetched again before they run out.
class CredentialSource {
 public:
  virtual ~CredentialSource() = default;
  virtual Result<Credentials> get() const = 0;
};

// The ECS container credentials endpoint (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI on Fargate,
// or AWS_CONTAINER_CREDENTIALS_FULL_URI with an authorization token).
std::shared_ptr<CredentialSource> container_credentials(std::string url, std::string authorization);

struct Settings {
  std::string region = "us-east-1";
  std::string endpoint;  // AWS_ENDPOINT_URL: any S3-compatible or emulated endpoint; empty = AWS
  std::string access_key, secret_key, session_token;    // static credentials
  std::shared_ptr<CredentialSource> credential_source;  // used when there are no static ones

  bool has_credentials() const { return credential_source || (!access_key.empty() && !secret_key.empty()); }
  Result<Credentials> credentials() const;
  // Reads AWS_REGION / AWS_DEFAULT_REGION, AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID,
  // AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN; without keys, the container credentials
  // endpoint (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, or _FULL_URI with
  // AWS_CONTAINER_AUTHORIZATION_TOKEN or _TOKEN_FILE).
  static Settings from_environment();
};

struct Request {
  std::string service;  // "s3", "sqs", "dynamodb", "ecs"
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string_view body;  // must outlive the call
  long timeout_s = 300;   // 0: wait as long as it takes (the Lambda Runtime API's long poll)
  bool sign = true;       // false for endpoints that are not AWS services (the Lambda Runtime API)
};

struct Response {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  bool ok() const { return status >= 200 && status < 300; }
};

class Client {
 public:
  explicit Client(Settings settings) : settings_(std::move(settings)) {}
  const Settings& settings() const { return settings_; }
  // Transport errors are errors; any HTTP answer is a Response.
  Result<Response> send(const Request& request) const;

 private:
  Settings settings_;
};

// How a request is repeated when AWS asks for it (throttling, 5xx) or the connection failed:
// exponential backoff with full jitter (a random wait up to base * 2^attempt, at most `cap`), as
// AWS's own SDKs do, so that many clients throttled together do not come back together.
struct RetryPolicy {
  int attempts = 5;
  std::chrono::milliseconds base{100};
  std::chrono::milliseconds cap{5000};
};
// Sends `request`, and again while the answer is `retryable` or the transport failed, up to the
// policy's attempts; returns the last answer.
Result<Response> send_with_retry(const Client& client, const Request& request,
                                 const std::function<bool(const Response&)>& retryable, RetryPolicy policy = {});
// 5xx and 429: what every AWS service means as "try again".
bool retryable_status(const Response& response);

// The AWS JSON protocol (SQS, DynamoDB, ECS, ...): one POST per action to the service's
// endpoint, `X-Amz-Target: <target_prefix>.<action>`. Returns the parsed answer or the
// service's error. Throttling (a 400 with a throttling code, or 429), 5xx and connection
// failures are retried (RetryPolicy); writes that must not happen twice carry their own
// idempotency token (DynamoDB's ClientRequestToken, SQS FIFO's deduplication id).
Result<nlohmann::json> json_call(const Client& client, const std::string& service, const std::string& target_prefix,
                                 const std::string& action, const nlohmann::json& body);

// RFC 3986 encoding as SigV4 wants it; '/' kept when encoding a path.
std::string uri_encode(std::string_view s, bool keep_slash);
std::string hex_sha256(std::string_view data);

// A SigV4 presigned GET URL for `url` (scheme://host[:port]/path), valid for `ttl` (empty
// when there are no credentials to sign with).
std::string presign_get(const Settings& settings, const std::string& service, const std::string& url,
                        std::chrono::seconds ttl, std::chrono::system_clock::time_point now);

// The code and message of an AWS XML or JSON error body.
Error parse_error(const Response& response, const std::string& context);

}  // namespace chronicle::aws
