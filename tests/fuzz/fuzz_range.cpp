// Range headers: a satisfiable range always lies inside the file.
#include <cstdlib>
#include <cstring>
#include <string>

#include "http/routes.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::uint64_t file_size = 0;
  if (size >= 8) {
    std::memcpy(&file_size, data, 8);
    data += 8;
    size -= 8;
  }
  file_size %= (std::uint64_t{1} << 50);
  const std::string header(reinterpret_cast<const char*>(data), size);
  if (auto parsed = chronicle::http::parse_range(header, file_size); parsed && *parsed) {
    const auto& r = **parsed;
    if (r.first > r.last || r.last >= file_size) std::abort();
  }
  return 0;
}
