#include "aws/aws.hpp"
#include "core/hex.hpp"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <nlohmann/json.hpp>
#include <pugixml.hpp>

#include <strings.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <memory>
#include <mutex>
#include <random>
#include <thread>

#include "core/time.hpp"

namespace chronicle::aws {
namespace {

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? v : nullptr;
}

size_t collect_body(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

size_t collect_header(char* data, size_t size, size_t n, void* user) {
  std::string line(data, size * n);
  const auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(), ::tolower);
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    value.erase(value.find_last_not_of("\r\n \t") + 1);
    (*static_cast<std::map<std::string, std::string>*>(user))[name] = value;
  }
  return size * n;
}

std::string hmac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

}  // namespace

Settings Settings::from_environment() {
  Settings s;
  if (const char* v = env("AWS_REGION"))
    s.region = v;
  else if (const char* d = env("AWS_DEFAULT_REGION"))
    s.region = d;
  if (const char* v = env("AWS_ENDPOINT_URL")) s.endpoint = v;
  while (!s.endpoint.empty() && s.endpoint.back() == '/') s.endpoint.pop_back();
  if (const char* v = env("AWS_ACCESS_KEY_ID")) s.access_key = v;
  if (const char* v = env("AWS_SECRET_ACCESS_KEY")) s.secret_key = v;
  if (const char* v = env("AWS_SESSION_TOKEN")) s.session_token = v;
  if (!s.access_key.empty() && !s.secret_key.empty()) return s;
  if (const char* relative = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")) {
    s.credential_source = container_credentials(std::string("http://169.254.170.2") + relative, {});
  } else if (const char* full = env("AWS_CONTAINER_CREDENTIALS_FULL_URI")) {
    std::string token;
    if (const char* t = env("AWS_CONTAINER_AUTHORIZATION_TOKEN")) token = t;
    if (const char* file = env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) {
      std::ifstream in(file);
      std::getline(in, token);
    }
    s.credential_source = container_credentials(full, token);
  }
  return s;
}

Result<Credentials> Settings::credentials() const {
  if (!access_key.empty() && !secret_key.empty()) return Credentials{access_key, secret_key, session_token};
  if (credential_source) return credential_source->get();
  return make_error("no_credentials",
                    "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run where the container "
                    "credentials endpoint is available (ECS)");
}

namespace {

class ContainerCredentials final : public CredentialSource {
 public:
  ContainerCredentials(std::string url, std::string authorization)
      : url_(std::move(url)), authorization_(std::move(authorization)) {}

  Result<Credentials> get() const override {
    std::lock_guard lock(mutex_);
    const auto now = std::chrono::system_clock::now();
    // Refreshed well before expiry: a request signed now may be retried for a while.
    if (cached_ && now + std::chrono::minutes(10) < expires_) return *cached_;
    auto fetched = fetch();
    if (fetched) return *fetched;
    if (cached_ && now < expires_) return *cached_;
    return fetched.error();
  }

 private:
  Result<Credentials> fetch() const {
    Request request;
    request.url = url_;
    request.sign = false;
    request.timeout_s = 10;
    if (!authorization_.empty()) request.headers.emplace_back("Authorization", authorization_);
    auto response = Client(Settings{}).send(request);
    if (!response) return response.error();
    if (!response->ok())
      return make_error("no_credentials", "the container credentials endpoint answered " +
                                              std::to_string(response->status) + ": " + response->body.substr(0, 200));
    const auto doc = nlohmann::json::parse(response->body, nullptr, false);
    if (!doc.is_object() || !doc.contains("AccessKeyId") || !doc.contains("SecretAccessKey"))
      return make_error("no_credentials", "the container credentials endpoint sent no usable credentials");
    Credentials c{doc.value("AccessKeyId", ""), doc.value("SecretAccessKey", ""), doc.value("Token", "")};
    const auto expiration = from_rfc3339(doc.value("Expiration", ""));
    expires_ = expiration ? *expiration : std::chrono::system_clock::now() + std::chrono::minutes(15);
    cached_ = c;
    return c;
  }

  std::string url_, authorization_;
  mutable std::mutex mutex_;
  mutable std::optional<Credentials> cached_;
  mutable std::chrono::system_clock::time_point expires_;
};

}  // namespace

std::shared_ptr<CredentialSource> container_credentials(std::string url, std::string authorization) {
  return std::make_shared<ContainerCredentials>(std::move(url), std::move(authorization));
}

Result<Response> Client::send(const Request& r) const {
  // One handle per thread, reset for each request: it keeps its connections (and TLS sessions)
  // to the endpoint, so the calls of a dispatch or an upload do not pay a TCP and TLS handshake
  // each.
  thread_local std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> handle(curl_easy_init(), &curl_easy_cleanup);
  if (!handle) return make_error("aws_error", "cannot create an HTTP handle");
  Response response;
  curl_slist* headers = nullptr;
  bool has_type = false;
  for (const auto& [k, v] : r.headers) {
    headers = curl_slist_append(headers, (std::string(k).append(": ").append(v)).c_str());
    has_type |= strcasecmp(k.c_str(), "content-type") == 0;
  }
  // Otherwise libcurl labels a body as a urlencoded form, and servers may parse it away.
  if (!has_type && !r.body.empty()) headers = curl_slist_append(headers, "Content-Type: application/octet-stream");
  Credentials credentials;
  if (r.sign) {
    auto c = settings_.credentials();
    if (!c) return c.error();
    credentials = std::move(*c);
  }
  if (!credentials.session_token.empty())
    headers = curl_slist_append(headers, ("x-amz-security-token: " + credentials.session_token).c_str());
  headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> header_guard(headers, &curl_slist_free_all);
  const std::string sigv4 = "aws:amz:" + settings_.region + ":" + r.service;
  const std::string userpwd = credentials.access_key + ":" + credentials.secret_key;
  // (Reset here, after the credentials: fetching them may have used this thread's handle.)
  CURL* curl = handle.get();
  curl_easy_reset(curl);
  curl_easy_setopt(curl, CURLOPT_URL, r.url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, r.method.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  if (r.sign) {
    curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, sigv4.c_str());
    curl_easy_setopt(curl, CURLOPT_USERPWD, userpwd.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, collect_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response.headers);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, r.timeout_s);
  if (r.method == "HEAD") curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  if (!r.body.empty() || r.method == "PUT" || r.method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, r.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
  }
  const CURLcode rc = curl_easy_perform(curl);
  if (rc != CURLE_OK)
    return make_error(ErrorKind::unavailable, "aws_unreachable",
                      r.service + " at " + r.url + ": " + curl_easy_strerror(rc));
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

bool retryable_status(const Response& response) { return response.status >= 500 || response.status == 429; }

Result<Response> send_with_retry(const Client& client, const Request& request,
                                 const std::function<bool(const Response&)>& retryable, RetryPolicy policy) {
  thread_local std::mt19937 random(std::random_device{}());
  for (int attempt = 1;; ++attempt) {
    auto r = client.send(request);
    if ((r && !retryable(*r)) || attempt >= policy.attempts) return r;
    const auto ceiling = std::min<std::int64_t>(policy.cap.count(), policy.base.count() << std::min(attempt - 1, 20));
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::uniform_int_distribution<std::int64_t>(0, ceiling)(random)));
  }
}

Result<nlohmann::json> json_call(const Client& client, const std::string& service, const std::string& target_prefix,
                                 const std::string& action, const nlohmann::json& body) {
  const auto& s = client.settings();
  const std::string url =
      s.endpoint.empty() ? "https://" + service + "." + s.region + ".amazonaws.com/" : s.endpoint + "/";
  const std::string context = service + " " + action;
  // The JSON services say "slow down" with a 400 and a throttling code, not only with 429.
  auto retryable = [&context](const Response& r) {
    return retryable_status(r) || (r.status == 400 && kind_of(parse_error(r, context)) == ErrorKind::throttled);
  };
  const std::string payload = body.dump();  // the request holds a view of it
  const Request request{
      service,
      "POST",
      url,
      {{"X-Amz-Target", target_prefix + "." + action}, {"Content-Type", "application/x-amz-json-1.0"}},
      payload};
  auto r = send_with_retry(client, request, retryable);
  if (!r) return r.error();
  if (!r->ok()) return parse_error(*r, context);
  auto parsed = nlohmann::json::parse(r->body.empty() ? "{}" : r->body, nullptr, false);
  if (parsed.is_discarded())
    return make_error(ErrorKind::unavailable, "aws_error", context + " answered something that is not JSON");
  return parsed;
}

std::string uri_encode(std::string_view s, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string hex_sha256(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  return to_hex(md, len);
}

std::string presign_get(const Settings& s, const std::string& service, const std::string& url, std::chrono::seconds ttl,
                        std::chrono::system_clock::time_point now) {
  const auto credentials = s.credentials();
  if (!credentials) return {};
  const auto scheme_end = url.find("://");
  const auto path_start = url.find('/', scheme_end + 3);
  const std::string host = url.substr(scheme_end + 3, path_start - scheme_end - 3);
  const std::string path = path_start == std::string::npos ? "/" : url.substr(path_start);

  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char date[9], stamp[17];
  std::strftime(date, sizeof date, "%Y%m%d", &tm);
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
  const std::string scope = std::string(date) + "/" + s.region + "/" + service + "/aws4_request";

  std::vector<std::pair<std::string, std::string>> query = {{"X-Amz-Algorithm", "AWS4-HMAC-SHA256"},
                                                            {"X-Amz-Credential", credentials->access_key + "/" + scope},
                                                            {"X-Amz-Date", stamp},
                                                            {"X-Amz-Expires", std::to_string(ttl.count())},
                                                            {"X-Amz-SignedHeaders", "host"}};
  if (!credentials->session_token.empty()) query.emplace_back("X-Amz-Security-Token", credentials->session_token);
  std::sort(query.begin(), query.end());
  std::string canonical_query;
  for (const auto& [k, v] : query)
    canonical_query += (canonical_query.empty() ? "" : "&") + uri_encode(k, false) + "=" + uri_encode(v, false);

  const std::string canonical_request =
      "GET\n" + path + "\n" + canonical_query + "\nhost:" + host + "\n\nhost\nUNSIGNED-PAYLOAD";
  const std::string to_sign =
      "AWS4-HMAC-SHA256\n" + std::string(stamp) + "\n" + scope + "\n" + hex_sha256(canonical_request);
  std::string key = hmac("AWS4" + credentials->secret_key, date);
  key = hmac(key, s.region);
  key = hmac(key, service);
  key = hmac(key, "aws4_request");
  const std::string sig = hmac(key, to_sign);
  return url.substr(0, path_start) + path + "?" + canonical_query +
         "&X-Amz-Signature=" + to_hex(sig.data(), sig.size());
}

Error parse_error(const Response& r, const std::string& context) {
  std::string code = "http_" + std::to_string(r.status), message;
  pugi::xml_document doc;
  if (!r.body.empty() && doc.load_buffer(r.body.data(), r.body.size())) {
    auto err = doc.child("Error");
    if (!err) err = doc.first_child().child("Error");
    if (err) {
      if (*err.child_value("Code")) code = err.child_value("Code");
      message = err.child_value("Message");
    }
  } else if (auto j = nlohmann::json::parse(r.body, nullptr, false); j.is_object()) {
    std::string type = j.value("__type", j.value("code", ""));
    if (const auto hash = type.rfind('#'); hash != std::string::npos) type = type.substr(hash + 1);
    if (!type.empty()) code = type;
    message = j.value("message", j.value("Message", ""));
  }
  // A refusal of chronicle's own, well-formed request is chronicle's problem (credentials,
  // permissions, a missing table), not its user's; overload and outages are worth a retry.
  static constexpr std::string_view kThrottling[] = {"ThrottlingException",
                                                     "Throttling",
                                                     "ThrottledException",
                                                     "ProvisionedThroughputExceededException",
                                                     "RequestLimitExceeded",
                                                     "TooManyRequestsException",
                                                     "SlowDown",
                                                     "RequestThrottled"};
  ErrorKind kind = ErrorKind::internal;
  if (r.status == 429 || std::find(std::begin(kThrottling), std::end(kThrottling), code) != std::end(kThrottling))
    kind = ErrorKind::throttled;
  else if (r.status >= 500)
    kind = ErrorKind::unavailable;
  return make_error(kind, code,
                    context + ": " + (message.empty() ? code : message) + " (HTTP " + std::to_string(r.status) + ")");
}

}  // namespace chronicle::aws
