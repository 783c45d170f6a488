#pragma once
// The recorder's HTTP client for playlists, segments, init sections and keys. Every hop,
// redirects included, is checked against the URL policy, and each host is pinned to the address
// that was checked, so the egress guard holds without a proxy in the data path. Connections are
// kept alive between requests (one handle per follower thread). Cookies come from a Netscape
// file through libcurl's cookie engine, which sends each cookie only to the hosts and paths its
// domain and path match; they never travel as a header of their own.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "core/url_policy.hpp"
#include "hls/playlist.hpp"

namespace chronicle::hls {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Response {
  long status = 0;
  std::string body;
  std::string url;  // after redirects
  bool ok() const { return status >= 200 && status < 300; }
};

struct ClientOptions {
  UrlPolicy policy;
  Headers headers;           // the site's (User-Agent, Referer...); a Cookie header is dropped
  std::string cookies_file;  // a Netscape cookies file; "" for none
  std::chrono::milliseconds timeout{20000};
};

class HttpClient {
 public:
  explicit HttpClient(ClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // GET `url` (a byte range of it when given). An HTTP error status is an answer, not an error:
  // errors are a refused address ("forbidden_address"), a transfer that failed ("http_error"),
  // or an answer larger than `max_bytes`.
  Result<Response> get(const std::string& url, std::optional<ByteRange> range = std::nullopt,
                       std::size_t max_bytes = std::size_t{256} << 20);

  // The same, into `body` (cleared first, its capacity kept), so a follower fetches every
  // segment into one buffer. `body` is empty unless the status is 2xx.
  struct Answer {
    long status = 0;
    std::string url;  // after redirects
  };
  Result<Answer> get_into(const std::string& url, std::optional<ByteRange> range, std::string& body,
                          std::size_t max_bytes = std::size_t{256} << 20);

  // Requests made, and connections opened for them (keep-alive shows as fewer connections).
  std::uint64_t requests() const { return requests_; }
  std::uint64_t connections() const { return connections_; }

 private:
  Result<Ok> pin(const std::string& url);
  struct Impl;
  std::unique_ptr<Impl> impl_;
  ClientOptions options_;
  std::map<std::string, std::string> pinned_;  // "host:port" -> the address checked
  std::uint64_t requests_ = 0, connections_ = 0;
};

}  // namespace chronicle::hls
