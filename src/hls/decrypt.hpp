#pragma once
// AES-128 (RFC 8216 4.3.2.4): a whole segment in CBC mode with PKCS#7 padding. Without an IV in
// the playlist, the IV is the segment's media sequence number, big-endian in 16 bytes.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace chronicle::hls {

std::array<std::uint8_t, 16> iv_from_sequence(std::int64_t sequence);

// Error "decrypt_failed" for a key that is not 16 bytes, or data that does not decrypt (a wrong
// key shows as bad padding).
Result<std::string> decrypt_aes128(std::string_view data, std::string_view key, const std::array<std::uint8_t, 16>& iv);
// The same, over `data` itself (a follower's segment buffer: no second copy of a segment).
Result<Ok> decrypt_aes128_in_place(std::string& data, std::string_view key, const std::array<std::uint8_t, 16>& iv);

}  // namespace chronicle::hls
