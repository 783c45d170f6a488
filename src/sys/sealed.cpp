#include "sys/sealed.hpp"

#include "core/hex.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>

namespace chronicle::sys {
namespace {

constexpr std::string_view kMagic = "chronicle-sealed-v1\n";
constexpr std::size_t kNonceBytes = 12;
constexpr std::size_t kTagBytes = 16;

struct CipherFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using Cipher = std::unique_ptr<EVP_CIPHER_CTX, CipherFree>;

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }
unsigned char* bytes(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

Error cipher_error(const std::string& what) { return make_error(ErrorKind::internal, "crypto_error", what); }

}  // namespace

Result<std::string> parse_seal_key(std::string_view hex) {
  if (hex.size() != kSealKeyBytes * 2)
    return make_error("invalid_config", "the key must be 64 hex digits (32 bytes, e.g. from `openssl rand -hex 32`)");
  auto key = from_hex(hex);
  if (!key) return make_error("invalid_config", "the key must be 64 hex digits");
  return *key;
}

bool is_sealed(std::string_view data) { return data.starts_with(kMagic); }

Result<std::string> seal(const std::string& key, std::string_view plaintext, std::string_view context) {
  if (key.size() != kSealKeyBytes) return cipher_error("a sealing key is 32 bytes");
  std::string out(kMagic);
  const std::size_t nonce_at = out.size();
  out.resize(nonce_at + kNonceBytes + plaintext.size() + kTagBytes);
  // A random 96-bit nonce per blob: a key seals few blobs (one per site and upload), far from the
  // 2^32 where random GCM nonces become a risk.
  if (RAND_bytes(bytes(out) + nonce_at, static_cast<int>(kNonceBytes)) != 1) return cipher_error("no random bytes");
  Cipher c(EVP_CIPHER_CTX_new());
  int len = 0;
  if (!c || EVP_EncryptInit_ex(c.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(c.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(kNonceBytes), nullptr) != 1 ||
      EVP_EncryptInit_ex(c.get(), nullptr, nullptr, bytes(key), bytes(out) + nonce_at) != 1 ||
      EVP_EncryptUpdate(c.get(), nullptr, &len, bytes(context), static_cast<int>(context.size())) != 1)
    return cipher_error("cannot start AES-256-GCM");
  unsigned char* body = bytes(out) + nonce_at + kNonceBytes;
  if (EVP_EncryptUpdate(c.get(), body, &len, bytes(plaintext), static_cast<int>(plaintext.size())) != 1)
    return cipher_error("cannot encrypt");
  int tail = 0;
  if (EVP_EncryptFinal_ex(c.get(), body + len, &tail) != 1 ||
      EVP_CIPHER_CTX_ctrl(c.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagBytes), body + plaintext.size()) != 1)
    return cipher_error("cannot finish AES-256-GCM");
  return out;
}

Result<std::string> unseal(const std::string& key, std::string_view sealed, std::string_view context) {
  if (key.size() != kSealKeyBytes) return cipher_error("a sealing key is 32 bytes");
  if (!is_sealed(sealed) || sealed.size() < kMagic.size() + kNonceBytes + kTagBytes)
    return make_error("unseal_failed", "not a sealed blob");
  const auto nonce = sealed.substr(kMagic.size(), kNonceBytes);
  const auto body = sealed.substr(kMagic.size() + kNonceBytes, sealed.size() - kMagic.size() - kNonceBytes - kTagBytes);
  std::string tag(sealed.substr(sealed.size() - kTagBytes));
  std::string out(body.size(), '\0');
  Cipher c(EVP_CIPHER_CTX_new());
  int len = 0;
  if (!c || EVP_DecryptInit_ex(c.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(c.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(kNonceBytes), nullptr) != 1 ||
      EVP_DecryptInit_ex(c.get(), nullptr, nullptr, bytes(key), bytes(nonce)) != 1 ||
      EVP_DecryptUpdate(c.get(), nullptr, &len, bytes(context), static_cast<int>(context.size())) != 1 ||
      EVP_DecryptUpdate(c.get(), bytes(out), &len, bytes(body), static_cast<int>(body.size())) != 1 ||
      EVP_CIPHER_CTX_ctrl(c.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagBytes), tag.data()) != 1)
    return cipher_error("cannot decrypt");
  int tail = 0;
  if (EVP_DecryptFinal_ex(c.get(), bytes(out) + len, &tail) != 1)
    return make_error("unseal_failed", "the key or the data is not the one it was sealed with");
  return out;
}

}  // namespace chronicle::sys
