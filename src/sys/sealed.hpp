#pragma once
// Authenticated encryption of small secrets kept at rest (the cookies files), with a key from the
// environment: AES-256-GCM from OpenSSL (libcrypto is already linked for hashing and signing).
// A sealed blob names its format, so a reader tells it apart from text written without a key.
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace chronicle::sys {

inline constexpr std::size_t kSealKeyBytes = 32;

// The key's bytes from its text form: 64 hex digits (`openssl rand -hex 32`).
Result<std::string> parse_seal_key(std::string_view hex);

// `context` is authenticated but not stored (the cookies' domain): a blob copied under another
// name does not open.
Result<std::string> seal(const std::string& key, std::string_view plaintext, std::string_view context);
bool is_sealed(std::string_view data);
// Fails with "unseal_failed" when the key, the context or the bytes are not the ones sealed.
Result<std::string> unseal(const std::string& key, std::string_view sealed, std::string_view context);

}  // namespace chronicle::sys
