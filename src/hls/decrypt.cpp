#include "hls/decrypt.hpp"

#include <openssl/evp.h>

#include <memory>

namespace chronicle::hls {

std::array<std::uint8_t, 16> iv_from_sequence(std::int64_t sequence) {
  std::array<std::uint8_t, 16> iv{};
  auto n = static_cast<std::uint64_t>(sequence);
  for (int i = 15; i >= 8; --i) {
    iv[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(n & 0xff);
    n >>= 8;
  }
  return iv;
}

Result<std::string> decrypt_aes128(std::string_view data, std::string_view key,
                                   const std::array<std::uint8_t, 16>& iv) {
  std::string out(data);
  if (auto done = decrypt_aes128_in_place(out, key, iv); !done) return done.error();
  return out;
}

Result<Ok> decrypt_aes128_in_place(std::string& data, std::string_view key, const std::array<std::uint8_t, 16>& iv) {
  if (key.size() != 16)
    return make_error("decrypt_failed", "the AES-128 key is " + std::to_string(key.size()) + " bytes, not 16");
  if (data.empty() || data.size() % 16 != 0)
    return make_error("decrypt_failed", "the encrypted segment is not a whole number of AES blocks");
  std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_128_cbc(), nullptr,
                                 reinterpret_cast<const unsigned char*>(key.data()), iv.data()) != 1)
    return make_error("decrypt_failed", "cannot set up AES-128");
  // One update over the whole buffer: OpenSSL allows input and output to be the same memory, and
  // holds the last block back for the padding check, which the final call writes after the rest.
  auto* bytes = reinterpret_cast<unsigned char*>(data.data());
  int written = 0, last = 0;
  if (EVP_DecryptUpdate(ctx.get(), bytes, &written, bytes, static_cast<int>(data.size())) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), bytes + written, &last) != 1)
    return make_error("decrypt_failed", "the segment does not decrypt with its key (wrong key or IV)");
  data.resize(static_cast<std::size_t>(written) + static_cast<std::size_t>(last));
  return Ok{};
}

}  // namespace chronicle::hls
