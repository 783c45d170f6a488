#include "sys/http_fetch.hpp"

#include <curl/curl.h>

#include <cstdlib>
#include <memory>

#include "sys/resolve.hpp"

namespace chronicle::sys {
namespace {

struct Sink {
  std::string body;
  std::size_t max = 0;
  bool too_big = false;
};

std::size_t on_data(char* data, std::size_t size, std::size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const std::size_t n = size * count;
  if (sink->body.size() + n > sink->max) {
    sink->too_big = true;
    return 0;
  }
  sink->body.append(data, n);
  return n;
}

// One connection's worth of checking: the URL is checked against the policy on the addresses it
// resolves to, and the handle connects to exactly the first of those, so no second lookup can
// answer otherwise. `what` says, in an error, what chronicle reads or posts over http(s).
struct PinnedHandle {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl{nullptr, &curl_easy_cleanup};
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> pin{nullptr, &curl_slist_free_all};
};

Result<PinnedHandle> pinned_handle(const std::string& url, const UrlPolicy& policy, const char* what) {
  std::vector<IpAddress> addresses;
  auto checked = check_url(url, policy, [&](const std::string& host) {
    auto r = resolve_host(host);
    if (r) addresses = *r;
    return r;
  });
  if (!checked) return checked.error();
  if (checked->scheme != "http" && checked->scheme != "https")
    return make_error("unsupported_url", std::string("only http(s) ") + what + ": " + url);
  const std::uint16_t port = checked->port.value_or(checked->scheme == "https" ? 443 : 80);
  PinnedHandle h;
  h.curl.reset(curl_easy_init());
  if (!h.curl) return make_error("http_error", "cannot start an HTTP request");
  if (!addresses.empty()) {
    const auto& a = addresses.front();
    const std::string entry =
        checked->host + ":" + std::to_string(port) + ":" + (a.v6 ? "[" + a.to_string() + "]" : a.to_string());
    h.pin.reset(curl_slist_append(nullptr, entry.c_str()));
  }
  curl_easy_setopt(h.curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(h.curl.get(), CURLOPT_RESOLVE, h.pin.get());
  // Never through http_proxy and its kind: a proxy resolves the name itself, past the check above.
  curl_easy_setopt(h.curl.get(), CURLOPT_PROXY, "");
  curl_easy_setopt(h.curl.get(), CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h.curl.get(), CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h.curl.get(), CURLOPT_NOSIGNAL, 1L);
  return h;
}

}  // namespace

Result<std::string> fetch_text(const std::string& url, const UrlPolicy& policy, std::chrono::milliseconds timeout,
                               std::size_t max_bytes) {
  std::string current = url;
  for (int hop = 0; hop < 5; ++hop) {
    auto handle = pinned_handle(current, policy, "playlists are read");
    if (!handle) return handle.error();
    auto& curl = handle->curl;
    Sink sink{{}, max_bytes, false};
    curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
    curl_easy_setopt(curl.get(), CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(curl.get(), CURLOPT_USERAGENT, "chronicle");
    curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &sink);
    const CURLcode rc = curl_easy_perform(curl.get());
    if (sink.too_big)
      return make_error("http_error", current + " is larger than " + std::to_string(max_bytes) + " bytes");
    if (rc != CURLE_OK) return make_error("http_error", current + ": " + curl_easy_strerror(rc));
    long status = 0;
    curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
    if (status >= 300 && status < 400) {
      char* location = nullptr;
      curl_easy_getinfo(curl.get(), CURLINFO_REDIRECT_URL, &location);
      if (!location) return make_error("http_error", current + ": redirect without a location");
      current = location;
      continue;
    }
    if (status != 200) return make_error("http_error", current + ": HTTP " + std::to_string(status));
    return std::move(sink.body);
  }
  return make_error("http_error", url + ": too many redirects");
}

Result<PostAnswer> post(const std::string& url, const UrlPolicy& policy,
                        const std::vector<std::pair<std::string, std::string>>& headers, const std::string& body,
                        std::chrono::milliseconds timeout, std::stop_token stop) {
  auto handle = pinned_handle(url, policy, "receivers");
  if (!handle) return handle.error();
  auto& curl = handle->curl;
  curl_slist* raw_headers = nullptr;
  for (const auto& [name, value] : headers) {
    std::string line = name;
    line.append(": ").append(value);
    curl_slist* grown = curl_slist_append(raw_headers, line.c_str());
    if (!grown) {
      curl_slist_free_all(raw_headers);
      return make_error("http_error", "cannot build the request headers");
    }
    raw_headers = grown;
  }
  // No "Expect: 100-continue" round trip before a small body.
  if (curl_slist* grown = curl_slist_append(raw_headers, "Expect:")) raw_headers = grown;
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> header_list(raw_headers, &curl_slist_free_all);
  Sink sink{{}, 1024, false};
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(curl.get(), CURLOPT_USERAGENT, "chronicle-webhook");
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, header_list.get());
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &sink);
  if (stop.stop_possible()) {
    curl_easy_setopt(curl.get(), CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl.get(), CURLOPT_XFERINFODATA, &stop);
    curl_easy_setopt(
        curl.get(), CURLOPT_XFERINFOFUNCTION, +[](void* token, curl_off_t, curl_off_t, curl_off_t, curl_off_t) -> int {
          return static_cast<std::stop_token*>(token)->stop_requested() ? 1 : 0;
        });
  }
  const CURLcode rc = curl_easy_perform(curl.get());
  if (rc == CURLE_ABORTED_BY_CALLBACK) return make_error("cancelled", "stopped before the receiver answered");
  // A long answer is cut, not an error: only its start is kept to show.
  if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && sink.too_big))
    return make_error("http_error", std::string(curl_easy_strerror(rc)));
  PostAnswer answer;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &answer.status);
  answer.body = std::move(sink.body);
  return answer;
}

std::vector<std::string> ignored_proxy_variables() {
  std::vector<std::string> set;
  for (const char* name : {"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"}) {
    const char* value = std::getenv(name);
    if (value && *value) set.emplace_back(name);
  }
  return set;
}

}  // namespace chronicle::sys
