#pragma once
// Cookies per site, for streams that need a login (members-only, age-gated): a Netscape cookies
// file per domain, handed to yt-dlp (`--cookies`) only for jobs whose URL is on that domain.
// The file is a secret: it is stored readable by chronicle alone and never shown again; what the
// API shows is its domain, how many cookies it holds and when they expire.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "core/time.hpp"

namespace chronicle {

struct CookieSummary {
  std::string domain;
  std::size_t count = 0;
  std::optional<TimePoint> expires_at;  // the soonest expiry among them; none: session cookies only
  std::optional<TimePoint> updated_at;
  std::vector<std::string> domains;  // the cookies' own domains, lowercase, without the leading dot
};

// A domain cookies may be kept for: a host name or IP address, lowercase, at most 253 characters.
Result<std::string> normalize_cookie_domain(const std::string& domain);

// Reads a Netscape cookies file (what browser extensions and yt-dlp write): one cookie per line,
// seven tab-separated fields; comments and blank lines ignored; "#HttpOnly_" lines are cookies.
// Error "invalid_cookies" when it holds none, saying why.
Result<CookieSummary> parse_cookies(const std::string& text);

// Why cookies stored for `domain` would never be sent to it (none of them is for it, a parent or a
// subdomain of it), in words; empty when some are.
std::string cookie_domain_mismatch(const std::string& domain, const CookieSummary& cookies);

// The stored domain whose cookies a URL's host gets: the host itself, else the closest parent
// domain ("www.example.com" takes example.com's). nullopt: none.
std::optional<std::string> cookie_domain_for(const std::string& host, const std::vector<std::string>& domains);

class CookieStore {
 public:
  virtual ~CookieStore() = default;
  virtual Result<Ok> put(const std::string& domain, const std::string& text) = 0;
  // The file's text; nullopt when the domain has none.
  virtual Result<std::optional<std::string>> get(const std::string& domain) = 0;
  virtual Result<std::vector<std::string>> domains() = 0;
  virtual Result<bool> remove(const std::string& domain) = 0;
};

}  // namespace chronicle
