#pragma once
// Content coding: which one a client takes, and gzip for the API's larger JSON answers (the
// dashboard's static assets are compressed at build time instead).
#include <optional>
#include <string>
#include <string_view>

namespace chronicle::http {

// The encoding to send in for an Accept-Encoding header: "br", "gzip" or "" (identity).
// `br_offered`: whether brotli is on offer at all (only precompressed files have it).
std::string preferred_encoding(std::string_view header, bool br_offered = true);

// The gzip (RFC 1952) form of `text`; nullopt if zlib fails.
std::optional<std::string> gzip(std::string_view text);

// Answers this large or larger are worth compressing.
inline constexpr std::size_t kCompressFrom = 2048;

}  // namespace chronicle::http
