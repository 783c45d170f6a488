#pragma once
#include <cstdint>
#include <string>

#include "core/job.hpp"
#include "core/result.hpp"

namespace chronicle {

inline constexpr std::size_t kMaxNameLength = 120;
inline constexpr std::size_t kMaxPrefixLength = 200;

// API-level checks: a name or prefix that could escape the storage root is refused with a
// clear error rather than silently rewritten.
Result<Ok> validate_name(const std::string& name);
Result<Ok> validate_prefix(const std::string& prefix);  // segments separated by '/'

// Storage-level defence in depth: always yields a safe single path component (never empty,
// never "." or "..", no '/', '\\' or control characters).
std::string sanitize_component(const std::string& s);

// An object key every store accepts: a relative path with no empty, "." or ".." segment and no NUL,
// so it cannot leave a directory store's root nor mean something else on S3.
bool is_safe_object_key(const std::string& key);

// The n-th alternative to an object key that is taken: "a/b.mkv" -> "a/b-1.mkv" (n = 0: the key).
std::string key_with_suffix(const std::string& key, int n);

// "<prefix>/<name or id>.mkv" with every segment sanitized.
std::string recording_key(const std::string& prefix, const std::string& name, const std::string& id);

// "1.5 GiB": sizes in messages users read.
std::string human_bytes(std::uint64_t bytes);
// A sentence for a job's end_reason ("the stream ended").
std::string describe_end_reason(const std::string& reason);

}  // namespace chronicle
