#include "sys/access.hpp"
#include "core/hex.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

namespace chronicle::sys {

std::string hmac_sha256(const std::string& key, const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), md, &len);
  return std::string(reinterpret_cast<const char*>(md), len);
}

Result<std::string> read_token_file(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) {
    if (errno == ENOENT) return std::string();
    return make_error(ErrorKind::internal, "token_unreadable",
                      "cannot read " + file.string() + ": " + std::strerror(errno));
  }
  std::string token;
  std::getline(in, token);
  while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
  return token;
}

Result<std::string> create_token_file(const std::filesystem::path& file) {
  unsigned char bytes[24];
  if (RAND_bytes(bytes, sizeof bytes) != 1)
    return make_error(ErrorKind::internal, "token_unwritable", "no randomness for a token");
  const std::string token = to_hex(bytes, sizeof bytes);
  std::error_code ec;
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), ec);
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return make_error(ErrorKind::internal, "token_unwritable",
                      "cannot create " + file.string() + ": " + std::strerror(errno));
  const std::string line = token + "\n";
  const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!written || !synced) {
    std::filesystem::remove(file, ec);
    return make_error(ErrorKind::internal, "token_unwritable", "cannot write " + file.string());
  }
  return token;
}

LinkSigner::LinkSigner(const std::string& token) {
  if (!token.empty()) key_ = hmac_sha256(token, "chronicle download links v1");
}

std::string LinkSigner::signature(const std::string& job_id, const std::string& what, const std::string& exp) const {
  const std::string mac = hmac_sha256(key_, job_id + "\n" + what + "\n" + exp);
  return to_hex(mac.data(), 16);  // 128 bits are plenty
}

std::string LinkSigner::query(const std::string& job_id, const std::string& what, std::chrono::seconds ttl,
                              std::chrono::system_clock::time_point now) const {
  if (!enabled()) return {};
  const auto exp =
      std::to_string(std::chrono::duration_cast<std::chrono::seconds>((now + ttl).time_since_epoch()).count());
  return "?exp=" + exp + "&sig=" + signature(job_id, what, exp);
}

bool LinkSigner::valid(const std::string& job_id, const std::string& what, const std::string& exp,
                       const std::string& sig, std::chrono::system_clock::time_point now) const {
  if (!enabled()) return true;
  long long expires = 0;
  const auto [end, ec] = std::from_chars(exp.data(), exp.data() + exp.size(), expires);
  if (exp.empty() || ec != std::errc() || end != exp.data() + exp.size()) return false;
  if (std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count() >= expires) return false;
  const std::string expected = signature(job_id, what, exp);
  return sig.size() == expected.size() && CRYPTO_memcmp(sig.data(), expected.data(), sig.size()) == 0;
}

Result<Ok> keep_data_dir_private(const std::filesystem::path& data_dir) {
  namespace fs = std::filesystem;
  ::umask(077);
  std::error_code ec;
  fs::create_directories(data_dir, ec);
  if (ec) return make_error("data_dir", "cannot create " + data_dir.string() + ": " + ec.message());
  // Only what this user owns is changed: a directory shared on purpose by its owner stays as it is.
  const auto make_private = [](const fs::path& p, mode_t mode) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0 || st.st_uid != ::geteuid() || S_ISLNK(st.st_mode)) return;
    if ((st.st_mode & 077) != 0) ::chmod(p.c_str(), mode);
  };
  make_private(data_dir, 0700);
  for (const char* dir : {"recordings", "work", "cookies", "logs", "seed"}) make_private(data_dir / dir, 0700);
  for (const char* file : {"chronicle.db", "chronicle.db-wal", "chronicle.db-shm", "token", "serve.lock"})
    make_private(data_dir / file, 0600);
  return Ok{};
}

}  // namespace chronicle::sys
