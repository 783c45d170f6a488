#pragma once
// A small HTTP GET for text documents the recorder reads itself (live playlists, to resume
// where a recording left off). Every hop, redirects included, is checked against the URL
// policy on the address it connects to, and the connection is pinned to that address.
#include <chrono>
#include <cstddef>
#include <string>

#include "core/result.hpp"
#include "core/url_policy.hpp"

namespace chronicle::sys {

Result<std::string> fetch_text(const std::string& url, const UrlPolicy& policy, std::chrono::milliseconds timeout,
                               std::size_t max_bytes = 1 << 20);

}  // namespace chronicle::sys
