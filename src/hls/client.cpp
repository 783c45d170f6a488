#include "hls/client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>

#include "sys/resolve.hpp"

namespace chronicle::hls {
namespace {

struct Sink {
  std::string* body;
  std::size_t max;
  CURL* curl;
  bool too_big = false;
};

std::size_t on_data(char* data, std::size_t size, std::size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const std::size_t n = size * count;
  if (sink->body->size() + n > sink->max) {
    sink->too_big = true;
    return 0;
  }
  // Sized once from Content-Length: a segment of megabytes grown by doubling is copied and
  // page-faulted several times over, which is most of what following a stream costs.
  if (sink->body->empty()) {
    curl_off_t length = -1;
    if (curl_easy_getinfo(sink->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length) == CURLE_OK && length > 0 &&
        static_cast<std::size_t>(length) <= sink->max)
      sink->body->reserve(static_cast<std::size_t>(length));
  }
  sink->body->append(data, n);
  return n;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

using SlistPtr = std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)>;

SlistPtr make_slist(const std::vector<std::string>& lines) {
  curl_slist* list = nullptr;
  for (const auto& line : lines)
    if (curl_slist* grown = curl_slist_append(list, line.c_str())) list = grown;
  return SlistPtr(list, &curl_slist_free_all);
}

}  // namespace

struct HttpClient::Impl {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl{curl_easy_init(), &curl_easy_cleanup};
  SlistPtr headers{nullptr, &curl_slist_free_all};
  SlistPtr resolve{nullptr, &curl_slist_free_all};
};

HttpClient::HttpClient(ClientOptions options) : impl_(std::make_unique<Impl>()), options_(std::move(options)) {
  CURL* c = impl_->curl.get();
  if (!c) return;
  std::vector<std::string> lines;
  for (const auto& [name, value] : options_.headers) {
    const auto n = lower(name);
    // The jar decides where cookies go; the client sets Range, Host and encodings itself. A value
    // with a line break would be a second header.
    if (n == "cookie" || n == "host" || n == "range" || n == "accept-encoding" || n == "content-length") continue;
    if (value.find_first_of("\r\n") != std::string::npos || name.find_first_of("\r\n:") != std::string::npos) continue;
    lines.push_back(std::string(name).append(": ").append(value));
  }
  if (std::none_of(options_.headers.begin(), options_.headers.end(),
                   [](const auto& h) { return lower(h.first) == "user-agent"; }))
    lines.emplace_back("User-Agent: chronicle");
  impl_->headers = make_slist(lines);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, impl_->headers.get());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  // Never through http_proxy and its kind: a proxy resolves the name itself, past the pin.
  curl_easy_setopt(c, CURLOPT_PROXY, "");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(c, CURLOPT_BUFFERSIZE, 256L * 1024);
  // Read once, at the first request; the engine matches domain, path and the secure flag.
  if (!options_.cookies_file.empty()) curl_easy_setopt(c, CURLOPT_COOKIEFILE, options_.cookies_file.c_str());
}

HttpClient::~HttpClient() = default;

// Checks a host once and pins it to the address checked; later requests to it reuse the pin (and
// its kept-alive connection) instead of resolving again, so no second lookup can answer otherwise.
Result<Ok> HttpClient::pin(const std::string& url) {
  std::vector<IpAddress> addresses;
  auto checked = check_url(url, options_.policy, [&](const std::string& host) {
    auto r = sys::resolve_host(host);
    if (r) addresses = *r;
    return r;
  });
  if (!checked) return checked.error();
  if (checked->scheme != "http" && checked->scheme != "https")
    return make_error("unsupported_url", "only http(s) media can be recorded: " + url.substr(0, 200));
  const std::uint16_t port = checked->port.value_or(checked->scheme == "https" ? 443 : 80);
  const std::string host_port = checked->host + ":" + std::to_string(port);
  if (pinned_.count(host_port) || addresses.empty()) return Ok{};  // a literal address needs no pin
  const auto& a = addresses.front();
  pinned_[host_port] = a.v6 ? "[" + a.to_string() + "]" : a.to_string();
  std::vector<std::string> lines;
  for (const auto& [hp, address] : pinned_) lines.push_back(std::string(hp).append(":").append(address));
  impl_->resolve = make_slist(lines);
  curl_easy_setopt(impl_->curl.get(), CURLOPT_RESOLVE, impl_->resolve.get());
  return Ok{};
}

Result<Response> HttpClient::get(const std::string& url, std::optional<ByteRange> range, std::size_t max_bytes) {
  Response response;
  auto got = get_into(url, range, response.body, max_bytes);
  if (!got) return got.error();
  response.status = got->status;
  response.url = std::move(got->url);
  return response;
}

Result<HttpClient::Answer> HttpClient::get_into(const std::string& url, std::optional<ByteRange> range,
                                                std::string& body, std::size_t max_bytes) {
  CURL* c = impl_->curl.get();
  if (!c) return make_error("http_error", "cannot start an HTTP request");
  std::string current = url;
  for (int hop = 0; hop < 6; ++hop) {
    // Every hop is checked: a pinned host passes without a lookup, a new one is checked first.
    if (auto pinned = pin(current); !pinned) return pinned.error();
    Answer response;
    body.clear();  // keeps its capacity: the next segment is written where the last one was
    Sink sink{&body, max_bytes, c};
    curl_easy_setopt(c, CURLOPT_URL, current.c_str());
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
    std::string range_text;
    if (range) range_text = std::to_string(range->offset) + "-" + std::to_string(range->offset + range->length - 1);
    curl_easy_setopt(c, CURLOPT_RANGE, range ? range_text.c_str() : nullptr);
    ++requests_;
    const CURLcode rc = curl_easy_perform(c);
    long opened = 0;
    curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &opened);
    connections_ += static_cast<std::uint64_t>(opened);
    if (sink.too_big)
      return make_error("http_error",
                        current.substr(0, 200) + " is larger than " + std::to_string(max_bytes) + " bytes");
    if (rc != CURLE_OK) {
      // The address may have moved (a CDN); the next request checks the host again.
      if (rc == CURLE_COULDNT_CONNECT) pinned_.clear();
      return make_error("http_error", current.substr(0, 200) + ": " + curl_easy_strerror(rc));
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status);
    if (response.status >= 300 && response.status < 400 && response.status != 304) {
      char* location = nullptr;
      curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &location);
      if (!location) return make_error("http_error", current.substr(0, 200) + ": redirect without a location");
      current = location;
      continue;
    }
    response.url = current;
    if (response.status < 200 || response.status >= 300) body.clear();
    return response;
  }
  return make_error("http_error", url.substr(0, 200) + ": too many redirects");
}

}  // namespace chronicle::hls
