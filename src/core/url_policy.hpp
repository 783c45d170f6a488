#pragma once
// Which URLs chronicle agrees to record. Pure logic: name resolution is passed in, so the
// core stays free of I/O and the rules are unit-testable with any address.
#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace chronicle {

inline constexpr std::size_t kMaxUrlLength = 2048;

struct ParsedUrl {
  std::string scheme;  // lower-case
  std::string host;    // without brackets for IPv6 literals, lower-case
  std::optional<std::uint16_t> port;
  std::string rest;  // path, query and fragment as given
};

struct IpAddress {
  bool v6 = false;
  std::array<std::uint8_t, 16> bytes{};  // v4 uses the first four
  std::string to_string() const;
};

enum class AddressClass { global, loopback, private_network, link_local, metadata, unspecified, multicast, reserved };

Result<ParsedUrl> parse_url(const std::string& url);
// A URL as people paste it from an address bar: "twitch.tv/somebody" (no scheme, a host with a
// dot, or localhost) is taken as https; anything else is returned as it is, for parse_url to judge.
std::string with_default_scheme(const std::string& url);
std::optional<IpAddress> parse_ip_literal(const std::string& host);
AddressClass classify(const IpAddress& address);

using Resolver = std::function<Result<std::vector<IpAddress>>(const std::string& host)>;

// An address block, "10.1.0.0/16" or "fd00::/8"; a bare address is a block of one.
struct Network {
  IpAddress base;
  int prefix_bits = 0;
  bool contains(const IpAddress& address) const;
  std::string to_string() const;
};
Result<Network> parse_network(const std::string& text);
// "127.0.0.2/32, 10.1.0.0/16": a comma-separated list; empty entries are skipped.
Result<std::vector<Network>> parse_networks(const std::string& text);

struct UrlPolicy {
  bool allow_private_networks = false;    // every loopback, private and link-local address
  std::vector<Network> allowed_networks;  // or only these (metadata addresses never)
};

// Whether chronicle may connect to `address` (which `host` named) under `policy`; the error
// names the host and the address.
std::optional<Error> check_address(const std::string& host, const IpAddress& address, const UrlPolicy& policy);

// Checks syntax, scheme and, through `resolve`, every address the host names.
// Cloud metadata endpoints are refused even when private networks are allowed.
Result<ParsedUrl> check_url(const std::string& url, const UrlPolicy& policy, const Resolver& resolve);

}  // namespace chronicle
