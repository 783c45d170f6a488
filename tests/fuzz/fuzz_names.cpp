// Names and prefixes from users: whatever validates, and whatever is sanitized, makes a key
// that stays inside the store (no "..", no absolute path, no control characters), and the
// download header built from it is one line.
#include <cstdlib>
#include <string>

#include "core/names.hpp"
#include "http/routes.hpp"

using namespace chronicle;

namespace {

bool safe_key(const std::string& key) {
  if (key.empty() || key.front() == '/') return false;
  for (unsigned char c : key)
    if (c < 0x20 || c == 0x7f || c == '\\') return false;
  std::size_t start = 0;
  while (start <= key.size()) {
    const auto end = std::min(key.find('/', start), key.size());
    const std::string part = key.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto split = text.find('\n');
  const std::string prefix = split == std::string::npos ? "" : text.substr(0, split);
  const std::string name = split == std::string::npos ? text : text.substr(split + 1);
  const bool valid = validate_name(name).ok() && validate_prefix(prefix).ok();
  const std::string key = recording_key(valid ? prefix : "", valid ? name : "", "01ARZ3NDEKTSV4RRFFQ69G5FAV");
  if (!safe_key(key)) std::abort();
  const std::string component = sanitize_component(text);
  if (component.find('/') != std::string::npos || component == ".." || component == ".") std::abort();
  const std::string header = http::content_disposition(text);
  for (unsigned char c : header)
    if (c < 0x20 || c == 0x7f) std::abort();
  return 0;
}
