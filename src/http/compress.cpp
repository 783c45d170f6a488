#include "http/compress.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstring>

namespace chronicle::http {

// Beast parses requests but not this header's list with weights; a client that gives a coding a
// weight of 0 refuses it.
std::string preferred_encoding(std::string_view header, bool br_offered) {
  bool br = false, gzip_ok = false, any = false, br_refused = false, gzip_refused = false;
  while (!header.empty()) {
    const auto comma = header.find(',');
    std::string_view item = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    const auto semi = item.find(';');
    std::string_view name = item.substr(0, semi);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    bool refused = false;
    if (semi != std::string_view::npos) {
      std::string params(item.substr(semi + 1));
      params.erase(std::remove(params.begin(), params.end(), ' '), params.end());
      refused = params.starts_with("q=0") && params.find_first_of("123456789", 2) == std::string::npos;
    }
    if (refused) {
      br_refused = br_refused || name == "br";
      gzip_refused = gzip_refused || name == "gzip";
      continue;
    }
    if (name == "br") br = true;
    if (name == "gzip") gzip_ok = true;
    if (name == "*") any = true;
  }
  if (br_offered && (br || (any && !br_refused))) return "br";
  if (gzip_ok || (any && !gzip_refused)) return "gzip";
  return "";
}

std::optional<std::string> gzip(std::string_view text) {
  z_stream z;
  std::memset(&z, 0, sizeof z);
  // 15 + 16: a gzip wrapper rather than zlib's; level 6 is zlib's balance of size and speed.
  if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return std::nullopt;
  std::string out(deflateBound(&z, static_cast<uLong>(text.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  const auto written = z.total_out;
  deflateEnd(&z);
  if (rc != Z_STREAM_END) return std::nullopt;
  out.resize(written);
  return out;
}

}  // namespace chronicle::http
