#include "core/cookies.hpp"

#include <algorithm>
#include <charconv>
#include <sstream>

namespace chronicle {

Result<std::string> normalize_cookie_domain(const std::string& domain) {
  std::string d = domain;
  std::transform(d.begin(), d.end(), d.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  while (!d.empty() && d.front() == '.') d.erase(0, 1);  // ".example.com" as cookie files write it
  if (d.empty() || d.size() > 253)
    return make_error("invalid_domain", "a cookie domain is a host name such as example.com");
  if (d.find("..") != std::string::npos || d.back() == '.' || d.front() == '-')
    return make_error("invalid_domain", "'" + d.substr(0, 64) + "' is not a host name");
  for (char c : d)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-'))
      return make_error("invalid_domain", "'" + d.substr(0, 64) + "' is not a host name (letters, digits, '.', '-')");
  return d;
}

Result<CookieSummary> parse_cookies(const std::string& text) {
  CookieSummary s;
  std::istringstream in(text);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.starts_with("#HttpOnly_"))
      line.erase(0, 10);
    else if (line.empty() || line.front() == '#')
      continue;
    std::vector<std::string> fields;
    std::size_t at = 0;
    for (;;) {
      const auto tab = line.find('\t', at);
      fields.push_back(line.substr(at, tab == std::string::npos ? std::string::npos : tab - at));
      if (tab == std::string::npos) break;
      at = tab + 1;
    }
    if (fields.size() != 7)
      return make_error("invalid_cookies", "line " + std::to_string(number) +
                                               " is not a cookie: a Netscape cookies file has 7 tab-separated "
                                               "fields (domain, subdomains, path, secure, expiry, name, value)");
    // Seconds since 1970 (0: a session cookie), the whole field, within the years RFC 3339 can
    // write (up to 9999): listings show it as a date, and a time point past that overflows.
    constexpr std::int64_t kLastSecondOf9999 = 253402300799;
    std::int64_t expiry = 0;
    const auto& e = fields[4];
    const auto [end, ec] = std::from_chars(e.data(), e.data() + e.size(), expiry);
    if (ec == std::errc::result_out_of_range ||
        (ec == std::errc() && end == e.data() + e.size() && expiry > kLastSecondOf9999))
      return make_error("invalid_cookies", "line " + std::to_string(number) + ": the expiry " + e.substr(0, 40) +
                                               " is after the year 9999");
    if (ec != std::errc() || end != e.data() + e.size() || expiry < 0)
      return make_error("invalid_cookies", "line " + std::to_string(number) + ": the expiry '" + e.substr(0, 40) +
                                               "' is not a number of seconds since 1970");
    ++s.count;
    // Written as a stored domain is ("example.com" for ".EXAMPLE.com"), to compare with it.
    if (auto cookie_domain = normalize_cookie_domain(fields[0]);
        cookie_domain && std::ranges::find(s.domains, *cookie_domain) == s.domains.end() && s.domains.size() < 100)
      s.domains.push_back(*cookie_domain);
    if (expiry > 0) {
      const TimePoint t{std::chrono::seconds(expiry)};
      if (!s.expires_at || t < *s.expires_at) s.expires_at = t;
    }
  }
  if (s.count == 0)
    return make_error("invalid_cookies",
                      "the file holds no cookies (a Netscape cookies file, as browser "
                      "extensions export: 7 tab-separated fields per cookie)");
  return s;
}

std::string cookie_domain_mismatch(const std::string& domain, const CookieSummary& cookies) {
  const auto related = [&](const std::string& cookie) {
    return cookie == domain || domain.ends_with("." + cookie) || cookie.ends_with("." + domain);
  };
  if (cookies.domains.empty() || std::ranges::any_of(cookies.domains, related)) return {};
  std::string listed;
  for (std::size_t i = 0; i < cookies.domains.size() && i < 3; ++i) listed += (i ? ", " : "") + cookies.domains[i];
  if (cookies.domains.size() > 3) listed += " and " + std::to_string(cookies.domains.size() - 3) + " more";
  return "none of these cookies is for " + domain + ": they are for " + listed + ", so recordings from " + domain +
         " will not use them (store them under " + cookies.domains.front() + ")";
}

std::optional<std::string> cookie_domain_for(const std::string& host, const std::vector<std::string>& domains) {
  auto h = normalize_cookie_domain(host);
  if (!h) return std::nullopt;
  std::string candidate = *h;
  for (;;) {
    if (std::find(domains.begin(), domains.end(), candidate) != domains.end()) return candidate;
    const auto dot = candidate.find('.');
    if (dot == std::string::npos) return std::nullopt;
    candidate = candidate.substr(dot + 1);
    if (candidate.find('.') == std::string::npos) return std::nullopt;  // never a bare TLD
  }
}

}  // namespace chronicle
