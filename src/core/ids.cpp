#include "core/ids.hpp"

#include <chrono>
#include <cstdint>
#include <mutex>
#include <random>
#include <string_view>

namespace chronicle {
namespace {
constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
}

std::string new_job_id() {
  static std::mutex mutex;
  static std::mt19937_64 rng{std::random_device{}()};
  static std::uint64_t last_ms = 0;
  static std::uint64_t last_hi = 0, last_lo = 0;

  std::lock_guard lock(mutex);
  std::uint64_t ms = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
  std::uint64_t hi, lo;  // 80 random bits: hi holds 16, lo holds 64
  if (ms <= last_ms) {
    // Same millisecond: increment the random part so ids stay strictly increasing.
    ms = last_ms;
    lo = last_lo + 1;
    hi = last_hi + (lo == 0 ? 1 : 0);
  } else {
    hi = rng() & 0xFFFF;
    lo = rng();
  }
  last_ms = ms;
  last_hi = hi;
  last_lo = lo;

  std::string out(26, '0');
  // 48-bit time -> 10 chars, 80-bit randomness -> 16 chars.
  for (int i = 9; i >= 0; --i) {
    out[static_cast<size_t>(i)] = kAlphabet[ms & 31];
    ms >>= 5;
  }
  for (int i = 25; i >= 10; --i) {
    out[static_cast<size_t>(i)] = kAlphabet[lo & 31];
    lo = (lo >> 5) | ((hi & 31) << 59);
    hi >>= 5;
  }
  return out;
}

std::optional<std::string> id_prefix(const std::string& s) {
  if (s.size() < 4 || s.size() > 26) return std::nullopt;
  std::string upper;
  for (char c : s) {
    const char u = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
    if (std::string_view(kAlphabet).find(u) == std::string_view::npos) return std::nullopt;
    upper.push_back(u);
  }
  return upper;
}

Result<std::string> resolve_id_among(const std::string& given, const std::vector<std::string>& ids,
                                     std::string_view what) {
  const auto prefix = id_prefix(given);
  if (!prefix) return make_error("not_found", "no " + std::string(what) + " with id '" + given.substr(0, 64) + "'");
  std::vector<std::string> found;
  for (const auto& id : ids)
    if (id.starts_with(*prefix)) found.push_back(id);
  if (found.empty()) return make_error("not_found", "no " + std::string(what) + "'s id begins with '" + *prefix + "'");
  if (found.size() > 1)
    return make_error("ambiguous_id", "'" + *prefix + "' begins more than one " + std::string(what) + "'s id (" +
                                          found[0] + ", " + found[1] + "): give more of it");
  return found.front();
}

bool looks_like_job_id(const std::string& s) {
  if (s.size() != 26) return false;
  for (char c : s) {
    bool found = false;
    for (const char* a = kAlphabet; *a; ++a) found |= (*a == c);
    if (!found) return false;
  }
  return true;
}

}  // namespace chronicle
