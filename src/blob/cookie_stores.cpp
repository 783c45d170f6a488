#include "blob/cookie_stores.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <span>

#include "sys/process.hpp"
#include "sys/sealed.hpp"

namespace chronicle::blob {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kSuffix = ".txt";
constexpr std::string_view kPrefix = "cookies/";

}  // namespace

Result<Ok> FsCookieStore::put(const std::string& domain, const std::string& text) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  ::chmod(dir_.c_str(), 0700);
  const fs::path temp = dir_ / ("." + domain + ".tmp");
  // Created 0600: never readable by anyone else, not even for a moment.
  sys::UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (fd.get() < 0) return make_error("storage_error", "cannot write " + temp.string());
  std::size_t done = 0;
  while (done < text.size()) {
    const auto n = ::write(fd.get(), text.data() + done, text.size() - done);
    if (n <= 0) return make_error("storage_error", "cannot write " + temp.string());
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0) return make_error("storage_error", "cannot write " + temp.string());
  fs::rename(temp, dir_ / (domain + std::string(kSuffix)), ec);
  if (ec) return make_error("storage_error", "cannot store the cookies of " + domain + ": " + ec.message());
  return Ok{};
}

Result<std::optional<std::string>> FsCookieStore::get(const std::string& domain) {
  std::ifstream in(dir_ / (domain + std::string(kSuffix)), std::ios::binary);
  if (!in) return std::optional<std::string>();
  return std::optional<std::string>(
      std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()));
}

Result<std::vector<std::string>> FsCookieStore::domains() {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with(".") || !name.ends_with(kSuffix)) continue;
    out.push_back(name.substr(0, name.size() - kSuffix.size()));
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<bool> FsCookieStore::remove(const std::string& domain) {
  std::error_code ec;
  return fs::remove(dir_ / (domain + std::string(kSuffix)), ec);
}

namespace {

constexpr const char* kKeyHint =
    "set CHRONICLE_COOKIES_KEY (64 hex digits, e.g. from `openssl rand -hex 32`) for the API, the dispatcher and "
    "the recorders";

std::string seal_context(const std::string& domain) { return "chronicle cookies of " + domain; }

}  // namespace

Result<Ok> SealedCookieStore::put(const std::string& domain, const std::string& text) {
  if (key_.empty()) {
    if (key_required_)
      return make_error(ErrorKind::internal, "cookies_key_missing",
                        std::string("this backend stores cookies only encrypted: ") + kKeyHint);
    return inner_->put(domain, text);
  }
  auto sealed = sys::seal(key_, text, seal_context(domain));
  if (!sealed) return sealed.error();
  return inner_->put(domain, *sealed);
}

Result<std::optional<std::string>> SealedCookieStore::get(const std::string& domain) {
  auto stored = inner_->get(domain);
  if (!stored || !*stored || !sys::is_sealed(**stored)) return stored;
  if (key_.empty())
    return make_error(ErrorKind::internal, "cookies_key_missing",
                      "the cookies of " + domain + " are stored encrypted: " + kKeyHint);
  auto text = sys::unseal(key_, **stored, seal_context(domain));
  if (!text)
    return make_error(ErrorKind::internal, "cookies_key_mismatch",
                      "the cookies of " + domain +
                          " do not open with CHRONICLE_COOKIES_KEY (was the key changed? upload them again)");
  return std::optional<std::string>(std::move(*text));
}

Result<Ok> S3CookieStore::put(const std::string& domain, const std::string& text) {
  const std::string key = std::string(kPrefix) + domain + std::string(kSuffix);
  // Objects are never overwritten in place (a second writer gets a suffixed key): replace it.
  if (auto gone = objects_.remove(key); !gone) return gone.error();
  auto writer = objects_.create(key, text.size());
  if (!writer) return writer.error();
  if (auto w = (*writer)->write(std::as_bytes(std::span(text.data(), text.size()))); !w) return w.error();
  auto info = (*writer)->commit();
  if (!info) return info.error();
  if (info->key != key) return make_error("storage_error", "the cookies of " + domain + " were written concurrently");
  return Ok{};
}

Result<std::optional<std::string>> S3CookieStore::get(const std::string& domain) {
  const std::string key = std::string(kPrefix) + domain + std::string(kSuffix);
  auto head = objects_.stat(key);
  if (!head) {
    if (head.error().code == "not_found") return std::optional<std::string>();
    return head.error();
  }
  if (head->size == 0) return std::optional<std::string>(std::string());
  auto text = objects_.read_range(key, 0, head->size - 1);
  if (!text) return text.error();
  return std::optional<std::string>(std::move(*text));
}

Result<std::vector<std::string>> S3CookieStore::domains() {
  auto listed = objects_.list(std::string(kPrefix));
  if (!listed) return listed.error();
  std::vector<std::string> out;
  for (const auto& o : *listed) {
    std::string name = o.key.substr(kPrefix.size());
    if (!name.ends_with(kSuffix) || name.find('/') != std::string::npos) continue;
    out.push_back(name.substr(0, name.size() - kSuffix.size()));
  }
  return out;
}

Result<bool> S3CookieStore::remove(const std::string& domain) {
  const std::string key = std::string(kPrefix) + domain + std::string(kSuffix);
  auto head = objects_.stat(key);
  if (!head) return head.error().code == "not_found" ? Result<bool>(false) : Result<bool>(head.error());
  if (auto gone = objects_.remove(key); !gone) return gone.error();
  return true;
}

}  // namespace chronicle::blob
