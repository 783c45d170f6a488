#pragma once
// A small HTTP GET for text documents the recorder reads itself (live playlists, to resume
// where a recording left off). Every hop, redirects included, is checked against the URL
// policy on the address it connects to, and the connection is pinned to that address.
#include <chrono>
#include <cstddef>
#include <stop_token>
#include <string>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "core/url_policy.hpp"

namespace chronicle::sys {

Result<std::string> fetch_text(const std::string& url, const UrlPolicy& policy, std::chrono::milliseconds timeout,
                               std::size_t max_bytes = 1 << 20);

struct PostAnswer {
  long status = 0;
  std::string body;  // the first KiB, to say what a receiver answered
};

// POSTs `body` to `url` under the same rules (the address checked and pinned); redirects are not
// followed: a webhook receiver answers where it was registered.
// `stop` cuts the request short (error code "cancelled"): a shutdown does not wait for a receiver
// that is slow to answer.
Result<PostAnswer> post(const std::string& url, const UrlPolicy& policy,
                        const std::vector<std::pair<std::string, std::string>>& headers, const std::string& body,
                        std::chrono::milliseconds timeout, std::stop_token stop = {});

// The proxy variables (http_proxy, HTTPS_PROXY, ALL_PROXY, ...) set in this process's environment.
// chronicle's own requests never use them (a proxy resolves names itself, past the address
// check); serve says so at start when one is set.
std::vector<std::string> ignored_proxy_variables();

}  // namespace chronicle::sys
