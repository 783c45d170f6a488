#include "core/url_policy.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <optional>
#include <vector>

namespace chronicle {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool in_v4(const IpAddress& a, std::uint8_t b0, std::uint8_t b1, int prefix_bits) {
  const std::uint32_t addr = (std::uint32_t{a.bytes[0]} << 24) | (std::uint32_t{a.bytes[1]} << 16) |
                             (std::uint32_t{a.bytes[2]} << 8) | a.bytes[3];
  const std::uint32_t net = (std::uint32_t{b0} << 24) | (std::uint32_t{b1} << 16);
  const std::uint32_t mask = prefix_bits == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix_bits);
  return (addr & mask) == (net & mask);
}

// Blocks of the IANA special-purpose registries that are not globally reachable and are not
// already named by a class above them (private, loopback, ...), with the registries' exceptions:
// entries inside such a block that are globally reachable. Parsed once; checked after the classes.
struct SpecialBlocks {
  std::vector<Network> reserved;
  std::vector<Network> global_exceptions;
};

const SpecialBlocks& special_blocks() {
  static const SpecialBlocks blocks = [] {
    SpecialBlocks b;
    for (const char* text : {// IPv4: documentation (TEST-NET-1..3) and the deprecated 6to4 relay anycast.
                             "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "192.88.99.0/24",
                             // IPv6: IETF protocol assignments (Teredo, benchmarking, ORCHID...),
                             // documentation (RFC 3849, RFC 9637).
                             "2001::/23", "2001:db8::/32", "3fff::/20"})
      b.reserved.push_back(*parse_network(text));
    for (const char* text : {"192.0.0.9/32", "192.0.0.10/32",  // PCP, TURN (and DNS-SD SRP) anycast
                             "2001:1::1/128", "2001:1::2/128", "2001:1::3/128", "2001:3::/32", "2001:4:112::/48",
                             "2001:20::/28", "2001:30::/28"})
      b.global_exceptions.push_back(*parse_network(text));
    return b;
  }();
  return blocks;
}

std::optional<AddressClass> special_purpose(const IpAddress& a) {
  const auto& blocks = special_blocks();
  for (const auto& n : blocks.global_exceptions)
    if (n.contains(a)) return AddressClass::global;
  for (const auto& n : blocks.reserved)
    if (n.contains(a)) return AddressClass::reserved;
  return std::nullopt;
}

AddressClass classify_v4(const IpAddress& a) {
  const auto& b = a.bytes;
  // Metadata services of AWS (EC2, ECS task), GCP/Azure (same address) and Alibaba.
  if ((b[0] == 169 && b[1] == 254 && b[2] == 169 && b[3] == 254) ||
      (b[0] == 169 && b[1] == 254 && b[2] == 170 && b[3] == 2) ||
      (b[0] == 100 && b[1] == 100 && b[2] == 100 && b[3] == 200))
    return AddressClass::metadata;
  if (in_v4(a, 0, 0, 8)) return AddressClass::unspecified;
  if (in_v4(a, 127, 0, 8)) return AddressClass::loopback;
  if (in_v4(a, 10, 0, 8) || in_v4(a, 172, 16, 12) || in_v4(a, 192, 168, 16) || in_v4(a, 100, 64, 10))
    return AddressClass::private_network;
  if (in_v4(a, 169, 254, 16)) return AddressClass::link_local;
  if (in_v4(a, 224, 0, 4)) return AddressClass::multicast;
  if (auto special = special_purpose(a)) return *special;
  if (in_v4(a, 240, 0, 4) || in_v4(a, 192, 0, 24) || in_v4(a, 198, 18, 15)) return AddressClass::reserved;
  return AddressClass::global;
}

}  // namespace

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), buf, sizeof buf);
  return buf;
}

std::optional<IpAddress> parse_ip_literal(const std::string& host) {
  IpAddress a;
  if (inet_pton(AF_INET, host.c_str(), a.bytes.data()) == 1) return a;
  a.v6 = true;
  if (inet_pton(AF_INET6, host.c_str(), a.bytes.data()) == 1) return a;
  return std::nullopt;
}

AddressClass classify(const IpAddress& a) {
  if (!a.v6) return classify_v4(a);
  const auto& b = a.bytes;
  auto embedded = [&](std::size_t at) {
    IpAddress v4;
    std::copy(b.begin() + static_cast<std::ptrdiff_t>(at), b.begin() + static_cast<std::ptrdiff_t>(at) + 4,
              v4.bytes.begin());
    return classify_v4(v4);
  };
  auto zeros = [&](std::size_t from, std::size_t to) {
    return std::all_of(b.begin() + static_cast<std::ptrdiff_t>(from), b.begin() + static_cast<std::ptrdiff_t>(to),
                       [](auto x) { return x == 0; });
  };
  const bool all_zero_but_last = zeros(0, 15);
  if (all_zero_but_last && b[15] == 0) return AddressClass::unspecified;
  if (all_zero_but_last && b[15] == 1) return AddressClass::loopback;
  // Forms that carry an IPv4 address obey the IPv4 rules: mapped ::ffff:a.b.c.d, the deprecated
  // compatible ::a.b.c.d, translated ::ffff:0:a.b.c.d, NAT64 64:ff9b::/96 and its local-use
  // 64:ff9b:1::/48 (RFC 8215, IPv4 in the last 32 bits), and 6to4 2002:a.b.c.d::/16.
  if (zeros(0, 10) && b[10] == 0xff && b[11] == 0xff) return embedded(12);
  if (zeros(0, 12)) return embedded(12);
  if (zeros(0, 8) && b[8] == 0xff && b[9] == 0xff && b[10] == 0 && b[11] == 0) return embedded(12);
  static constexpr std::uint8_t kNat64[4] = {0, 0x64, 0xff, 0x9b};
  if (std::memcmp(b.data(), kNat64, 4) == 0 && zeros(4, 12)) return embedded(12);
  if (std::memcmp(b.data(), kNat64, 4) == 0 && b[4] == 0 && b[5] == 1) return embedded(12);
  if (b[0] == 0x20 && b[1] == 0x02) return embedded(2);
  // fd00:ec2::254 is the EC2 metadata service over IPv6.
  static constexpr std::uint8_t kEc2[16] = {0xfd, 0, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54};
  if (std::memcmp(b.data(), kEc2, 16) == 0) return AddressClass::metadata;
  if ((b[0] & 0xfe) == 0xfc) return AddressClass::private_network;
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return AddressClass::link_local;
  if (b[0] == 0xff) return AddressClass::multicast;
  // Global unicast is 2000::/3; the rest of the space is reserved or deprecated (fec0::/10
  // site-local, 100::/64 discard-only, 5f00::/16 SRv6 SIDs, ...).
  if ((b[0] & 0xe0) != 0x20) return AddressClass::reserved;
  if (auto special = special_purpose(a)) return *special;
  return AddressClass::global;
}

std::string with_default_scheme(const std::string& url) {
  if (url.empty() || url.front() == '-' || url.find("://") != std::string::npos) return url;
  const std::string host = lower(url.substr(0, url.find_first_of("/?#")));
  // Without its port (an IPv6 literal in brackets is not an address people paste without a scheme).
  const std::string name = host.starts_with('[') ? host : host.substr(0, host.rfind(':'));
  const bool looks_like_host = !name.empty() && (name.find('.') != std::string::npos || name == "localhost") &&
                               name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789.-[]:") == std::string::npos;
  return looks_like_host ? "https://" + url : url;
}

Result<ParsedUrl> parse_url(const std::string& url) {
  if (url.empty()) return make_error("invalid_url", "url is empty");
  if (url.size() > kMaxUrlLength)
    return make_error("invalid_url", "url is longer than " + std::to_string(kMaxUrlLength) + " characters");
  if (url.front() == '-') return make_error("invalid_url", "url must not begin with '-'");
  for (unsigned char c : url)
    if (c <= 0x20 || c == 0x7f) return make_error("invalid_url", "url contains spaces or control characters");

  const auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos || scheme_end == 0)
    return make_error("invalid_url", "url must look like scheme://host/path");
  ParsedUrl p;
  p.scheme = lower(url.substr(0, scheme_end));
  if (p.scheme != "http" && p.scheme != "https" && p.scheme != "rtmp" && p.scheme != "rtmps")
    return make_error("unsupported_scheme",
                      "scheme '" + p.scheme + "' is not supported; use http, https, rtmp or rtmps");

  const auto authority_start = scheme_end + 3;
  auto authority_end = url.find_first_of("/?#", authority_start);
  if (authority_end == std::string::npos) authority_end = url.size();
  std::string authority = url.substr(authority_start, authority_end - authority_start);
  p.rest = url.substr(authority_end);
  if (const auto at = authority.rfind('@'); at != std::string::npos) authority = authority.substr(at + 1);
  if (authority.empty()) return make_error("invalid_url", "url has no host");

  std::string port_text;
  if (authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string::npos) return make_error("invalid_url", "unterminated IPv6 address in url");
    p.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return make_error("invalid_url", "unexpected text after IPv6 address");
      port_text = authority.substr(close + 2);
    }
    if (!parse_ip_literal(p.host) || !parse_ip_literal(p.host)->v6)
      return make_error("invalid_url", "'" + p.host + "' is not an IPv6 address");
  } else {
    const auto colon = authority.rfind(':');
    if (colon != std::string::npos) {
      port_text = authority.substr(colon + 1);
      p.host = authority.substr(0, colon);
    } else {
      p.host = authority;
    }
  }
  p.host = lower(p.host);
  if (p.host.empty()) return make_error("invalid_url", "url has no host");
  for (unsigned char c : p.host)
    if (!(std::isalnum(c) || c == '.' || c == '-' || c == '_' || c == ':' || c == '%'))
      return make_error("invalid_url", "host '" + p.host + "' contains characters not allowed in a host name");
  if (authority.back() == ':' && port_text.empty()) return make_error("invalid_url", "url has an empty port");
  if (!port_text.empty()) {
    if (port_text.size() > 5 || !std::all_of(port_text.begin(), port_text.end(), ::isdigit))
      return make_error("invalid_url", "port '" + port_text + "' is not a number");
    const int port = std::stoi(port_text);
    if (port < 1 || port > 65535) return make_error("invalid_url", "port " + port_text + " is out of range");
    p.port = static_cast<std::uint16_t>(port);
  }
  return p;
}

std::optional<Error> check_address(const std::string& host, const IpAddress& a, const UrlPolicy& policy) {
  const auto cls = classify(a);
  if (cls == AddressClass::global) return std::nullopt;
  if (cls == AddressClass::metadata)
    return make_error("forbidden_address", "'" + host + "' is a cloud metadata address (" + a.to_string() +
                                               "); chronicle never connects to it");
  if (std::any_of(policy.allowed_networks.begin(), policy.allowed_networks.end(),
                  [&](const Network& n) { return n.contains(a); }))
    return std::nullopt;
  const bool local =
      cls == AddressClass::loopback || cls == AddressClass::private_network || cls == AddressClass::link_local;
  if (local && policy.allow_private_networks) return std::nullopt;
  const char* what = cls == AddressClass::loopback          ? "a loopback"
                     : cls == AddressClass::private_network ? "a private-network"
                     : cls == AddressClass::link_local      ? "a link-local"
                     : cls == AddressClass::multicast       ? "a multicast"
                     : cls == AddressClass::unspecified     ? "an unspecified"
                                                            : "a reserved";
  std::string message = "'" + host + "' resolves to " + what + " address (" + a.to_string() + ")";
  if (host == a.to_string()) message = "'" + host + "' is " + what + " address";
  message += "; add its network to CHRONICLE_ALLOW_NETWORKS to record from it";
  return make_error("forbidden_address", message);
}

namespace {

// The IPv4 address an IPv4-mapped IPv6 address carries (::ffff:a.b.c.d), so that a v4 block
// also covers the form a dual-stack socket reports.
IpAddress unmapped(const IpAddress& a) {
  if (!a.v6) return a;
  const auto& b = a.bytes;
  if (!std::all_of(b.begin(), b.begin() + 10, [](auto x) { return x == 0; }) || b[10] != 0xff || b[11] != 0xff)
    return a;
  IpAddress v4;
  std::copy(b.begin() + 12, b.end(), v4.bytes.begin());
  return v4;
}

}  // namespace

bool Network::contains(const IpAddress& address) const {
  const IpAddress a = base.v6 ? address : unmapped(address);
  if (a.v6 != base.v6) return false;
  int bits = prefix_bits;
  for (std::size_t i = 0; bits > 0; ++i, bits -= 8) {
    const auto mask = static_cast<std::uint8_t>(bits >= 8 ? 0xff : 0xff << (8 - bits));
    if ((a.bytes[i] & mask) != (base.bytes[i] & mask)) return false;
  }
  return true;
}

std::string Network::to_string() const { return base.to_string() + "/" + std::to_string(prefix_bits); }

Result<Network> parse_network(const std::string& text) {
  const auto slash = text.find('/');
  const std::string address = text.substr(0, slash);
  auto ip = parse_ip_literal(address);
  if (!ip) return make_error("invalid_config", "'" + text + "' is not a network (like 10.1.0.0/16 or fd00::/8)");
  Network n{*ip, ip->v6 ? 128 : 32};
  if (slash != std::string::npos) {
    const std::string bits = text.substr(slash + 1);
    const int max = ip->v6 ? 128 : 32;
    if (bits.empty() || bits.size() > 3 || !std::all_of(bits.begin(), bits.end(), ::isdigit) || std::stoi(bits) > max)
      return make_error("invalid_config", "'" + text + "' has a prefix length that is not 0-" + std::to_string(max));
    n.prefix_bits = std::stoi(bits);
  }
  return n;
}

Result<std::vector<Network>> parse_networks(const std::string& text) {
  std::vector<Network> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    std::string item = text.substr(start, end - start);
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (!item.empty()) {
      auto n = parse_network(item);
      if (!n) return n.error();
      out.push_back(*n);
    }
    start = end + 1;
  }
  return out;
}

Result<ParsedUrl> check_url(const std::string& url, const UrlPolicy& policy, const Resolver& resolve) {
  auto parsed = parse_url(url);
  if (!parsed) return parsed;
  std::vector<IpAddress> addresses;
  if (auto literal = parse_ip_literal(parsed->host)) {
    addresses.push_back(*literal);
  } else {
    auto resolved = resolve(parsed->host);
    if (!resolved) return resolved.error();
    addresses = std::move(resolved.value());
    if (addresses.empty()) return make_error("unresolvable_host", "host '" + parsed->host + "' has no address");
  }
  for (const auto& a : addresses)
    if (auto refused = check_address(parsed->host, a, policy)) return *refused;
  return parsed;
}

}  // namespace chronicle
