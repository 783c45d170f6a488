#include <gtest/gtest.h>

#include "core/url_policy.hpp"

using namespace chronicle;

namespace {
Resolver fixed(std::vector<std::string> addresses) {
  return [addresses](const std::string&) -> Result<std::vector<IpAddress>> {
    std::vector<IpAddress> out;
    for (const auto& a : addresses) out.push_back(*parse_ip_literal(a));
    return out;
  };
}
Resolver no_dns = [](const std::string& host) -> Result<std::vector<IpAddress>> {
  return make_error("unresolvable_host", "cannot resolve " + host);
};
}  // namespace

TEST(ParseUrl, AcceptsTheSupportedSchemes) {
  for (const char* ok : {"http://example.com/live.m3u8", "https://example.com:8443/a?b=c#d", "rtmp://host/app/key",
                         "RTMPS://host/app", "http://[2001:db8::1]:8080/x", "https://user:pw@host/x"})
    EXPECT_TRUE(parse_url(ok).ok()) << ok;
  auto p = parse_url("https://User@Example.COM:8443/Path?q");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->scheme, "https");
  EXPECT_EQ(p->host, "example.com");
  EXPECT_EQ(*p->port, 8443);
  EXPECT_EQ(p->rest, "/Path?q");
}

TEST(ParseUrl, RefusesWithAReason) {
  struct Case {
    const char* url;
    const char* code;
  };
  for (auto [url, code] : std::vector<Case>{{"", "invalid_url"},
                                            {"-o /tmp/x", "invalid_url"},
                                            {"--exec=sh", "invalid_url"},
                                            {"file:///etc/passwd", "unsupported_scheme"},
                                            {"ftp://host/x", "unsupported_scheme"},
                                            {"javascript:alert(1)", "invalid_url"},
                                            {"http://", "invalid_url"},
                                            {"http://host:99999/", "invalid_url"},
                                            {"http://host:/", "invalid_url"},
                                            {"http://ho st/", "invalid_url"},
                                            {"http://host/\x01", "invalid_url"},
                                            {"http://[::1/", "invalid_url"}}) {
    auto r = parse_url(url);
    ASSERT_FALSE(r.ok()) << url;
    EXPECT_EQ(r.error().code, code) << url;
  }
  EXPECT_FALSE(parse_url("http://h/" + std::string(kMaxUrlLength, 'a')).ok());
}

TEST(Classify, KnowsTheSpecialRanges) {
  auto cls = [](const char* a) { return classify(*parse_ip_literal(a)); };
  EXPECT_EQ(cls("8.8.8.8"), AddressClass::global);
  EXPECT_EQ(cls("2606:4700::1111"), AddressClass::global);
  EXPECT_EQ(cls("127.0.0.1"), AddressClass::loopback);
  EXPECT_EQ(cls("127.255.0.9"), AddressClass::loopback);
  EXPECT_EQ(cls("::1"), AddressClass::loopback);
  EXPECT_EQ(cls("10.0.0.1"), AddressClass::private_network);
  EXPECT_EQ(cls("172.16.0.1"), AddressClass::private_network);
  EXPECT_EQ(cls("172.31.255.255"), AddressClass::private_network);
  EXPECT_EQ(cls("172.32.0.1"), AddressClass::global);
  EXPECT_EQ(cls("192.168.1.1"), AddressClass::private_network);
  EXPECT_EQ(cls("100.64.0.1"), AddressClass::private_network);
  EXPECT_EQ(cls("fd12::1"), AddressClass::private_network);
  EXPECT_EQ(cls("169.254.1.1"), AddressClass::link_local);
  EXPECT_EQ(cls("fe80::1"), AddressClass::link_local);
  EXPECT_EQ(cls("169.254.169.254"), AddressClass::metadata);
  EXPECT_EQ(cls("169.254.170.2"), AddressClass::metadata);
  EXPECT_EQ(cls("fd00:ec2::254"), AddressClass::metadata);
  EXPECT_EQ(cls("0.0.0.0"), AddressClass::unspecified);
  EXPECT_EQ(cls("::"), AddressClass::unspecified);
  EXPECT_EQ(cls("::ffff:127.0.0.1"), AddressClass::loopback);
  EXPECT_EQ(cls("::ffff:169.254.169.254"), AddressClass::metadata);
  EXPECT_EQ(cls("64:ff9b::a00:1"), AddressClass::private_network);
  EXPECT_EQ(cls("224.0.0.1"), AddressClass::multicast);
}

TEST(Classify, SeesTheIpv4InsideEveryIpv6Form) {
  auto cls = [](const char* a) { return classify(*parse_ip_literal(a)); };
  EXPECT_EQ(cls("::127.0.0.1"), AddressClass::loopback) << "IPv4-compatible";
  EXPECT_EQ(cls("::ffff:0:7f00:1"), AddressClass::loopback) << "IPv4-translated";
  EXPECT_EQ(cls("::ffff:0:a9fe:a9fe"), AddressClass::metadata);
  EXPECT_EQ(cls("64:ff9b:1::7f00:1"), AddressClass::loopback) << "local-use NAT64 (RFC 8215)";
  EXPECT_EQ(cls("64:ff9b:1:ffff::a9fe:a9fe"), AddressClass::metadata);
  EXPECT_EQ(cls("2002:7f00:1::"), AddressClass::loopback) << "6to4 of 127.0.0.1";
  EXPECT_EQ(cls("2002:a00:1::1"), AddressClass::private_network) << "6to4 of 10.0.0.1";
  EXPECT_EQ(cls("2002:808:808::1"), AddressClass::global) << "6to4 of a public address";
  EXPECT_EQ(cls("::8.8.8.8"), AddressClass::global);
  EXPECT_EQ(cls("2606:4700::1111"), AddressClass::global);
}

TEST(CheckUrl, RefusesLocalAddressesUnlessAllowed) {
  UrlPolicy strict, lenient;
  lenient.allow_private_networks = true;
  EXPECT_TRUE(check_url("https://cdn.example/live.m3u8", strict, fixed({"93.184.216.34"})).ok());
  auto r = check_url("http://127.0.0.1:8080/x", strict, no_dns);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "forbidden_address");
  EXPECT_NE(r.error().message.find("CHRONICLE_ALLOW_NETWORKS"), std::string::npos);
  EXPECT_TRUE(check_url("http://127.0.0.1:8080/x", lenient, no_dns).ok());
  // One bad address among several is enough to refuse (DNS can return a mix).
  EXPECT_FALSE(check_url("http://mixed.example/", strict, fixed({"93.184.216.34", "10.0.0.5"})).ok());
  // A name that resolves to loopback is caught too, not only literals.
  EXPECT_FALSE(check_url("http://localhost/", strict, fixed({"127.0.0.1"})).ok());
}

TEST(CheckUrl, AllowsOnlyTheListedNetworks) {
  UrlPolicy policy;
  policy.allowed_networks = parse_networks("127.0.0.2/32, 10.1.0.0/16,fd00::/8").value();
  EXPECT_TRUE(check_url("http://127.0.0.2:8080/x", policy, no_dns).ok());
  EXPECT_TRUE(check_url("http://[::ffff:127.0.0.2]/x", policy, no_dns).ok()) << "the mapped form of an allowed address";
  EXPECT_TRUE(check_url("http://10.1.255.3/x", policy, no_dns).ok());
  EXPECT_TRUE(check_url("http://[fd12::1]/x", policy, no_dns).ok());
  auto other = check_url("http://127.0.0.3:8080/x", policy, no_dns);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, "forbidden_address");
  EXPECT_NE(other.error().message.find("127.0.0.3"), std::string::npos) << other.error().message;
  EXPECT_FALSE(check_url("http://10.2.0.1/x", policy, no_dns).ok());
  EXPECT_FALSE(check_url("http://[::127.0.0.3]/x", policy, no_dns).ok()) << "compatible form of a refused address";
  // Metadata stays refused even inside an allowed network.
  policy.allowed_networks = parse_networks("169.254.0.0/16").value();
  EXPECT_FALSE(check_url("http://169.254.169.254/", policy, no_dns).ok());
  EXPECT_TRUE(check_url("http://169.254.1.1/", policy, no_dns).ok());
}

TEST(Networks, ParseAndMatch) {
  EXPECT_FALSE(parse_network("10.0.0.0/33").ok());
  EXPECT_FALSE(parse_network("10.0.0/8").ok());
  EXPECT_FALSE(parse_network("fd00::/129").ok());
  EXPECT_FALSE(parse_network("10.0.0.0/").ok());
  EXPECT_FALSE(parse_networks("127.0.0.1, nope").ok());
  auto n = parse_network("10.1.2.3/12").value();
  EXPECT_EQ(n.to_string(), "10.1.2.3/12");
  EXPECT_TRUE(n.contains(*parse_ip_literal("10.15.0.1")));
  EXPECT_FALSE(n.contains(*parse_ip_literal("10.16.0.1")));
  EXPECT_TRUE(parse_network("0.0.0.0/0").value().contains(*parse_ip_literal("8.8.8.8")));
  EXPECT_FALSE(parse_network("0.0.0.0/0").value().contains(*parse_ip_literal("::1")));
  EXPECT_TRUE(parse_network("::1").value().contains(*parse_ip_literal("::1")));
  EXPECT_TRUE(parse_networks(" , ").value().empty());
}

TEST(CheckUrl, MetadataIsRefusedEvenWhenPrivateNetworksAreAllowed) {
  UrlPolicy lenient;
  lenient.allow_private_networks = true;
  for (const char* url :
       {"http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/", "http://[::ffff:169.254.169.254]/"}) {
    auto r = check_url(url, lenient, no_dns);
    ASSERT_FALSE(r.ok()) << url;
    EXPECT_NE(r.error().message.find("metadata"), std::string::npos);
  }
  auto r = check_url("http://metadata.internal/", lenient, fixed({"169.254.169.254"}));
  EXPECT_FALSE(r.ok());
}

TEST(CheckUrl, UnresolvableHostSaysSo) {
  auto r = check_url("https://nowhere.invalid/x", UrlPolicy{}, no_dns);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "unresolvable_host");
}

// Every entry of IANA's IPv4 and IPv6 Special-Purpose Address Registries (and the deprecated
// site-local fec0::/10 of the IPv6 Address Space registry), by an address inside it and whether the
// registry calls it globally reachable. Entries the registry leaves "N/A" are those whose
// addresses carry an IPv4 address (6to4, Teredo) or are deprecated: not global here.
TEST(UrlPolicy, EveryEntryOfTheSpecialPurposeRegistriesIsClassifiedAsTheRegistrySays) {
  const std::pair<const char*, bool> registry[] = {
      // IPv4
      {"0.0.0.0", false},
      {"0.1.2.3", false},
      {"10.0.0.0", false},
      {"100.64.0.0", false},
      {"127.0.0.0", false},
      {"169.254.0.0", false},
      {"172.16.0.0", false},
      {"192.0.0.0", false},
      {"192.0.0.8", false},
      {"192.0.0.9", true},
      {"192.0.0.10", true},
      {"192.0.0.170", false},
      {"192.0.0.171", false},
      {"192.0.2.0", false},
      {"192.0.2.255", false},
      {"192.31.196.0", true},
      {"192.52.193.0", true},
      {"192.88.99.1", false},
      {"192.168.0.0", false},
      {"192.175.48.0", true},
      {"198.18.0.0", false},
      {"198.19.255.255", false},
      {"198.51.100.0", false},
      {"203.0.113.0", false},
      {"240.0.0.0", false},
      {"255.255.255.255", false},
      // IPv6
      {"::1", false},
      {"::", false},
      {"::ffff:0:0", false},
      {"64:ff9b::808:808", true},
      {"64:ff9b:1::", false},
      {"100::", false},
      {"100:0:0:1::", false},
      {"2001::", false},
      {"2001:0:4136:e378::1", false},
      {"2001:1::1", true},
      {"2001:1::2", true},
      {"2001:1::3", true},
      {"2001:2::", false},
      {"2001:3::", true},
      {"2001:4:112::", true},
      {"2001:10::", false},
      {"2001:20::", true},
      {"2001:30::", true},
      {"2001:db8::", false},
      {"2001:db8:ffff::1", false},
      {"2002:c000:0201::", false},
      {"2620:4f:8000::", true},
      {"3fff::", false},
      {"3fff:fff::1", false},
      {"5f00::", false},
      {"fc00::", false},
      {"fe80::", false},
      {"fec0::", false},
      {"fec0::1", false},
      {"feff::1", false},
      // and what is global stays global
      {"8.8.8.8", true},
      {"2606:4700::1111", true},
      {"2001:4860::8888", true},
      {"3fff:1000::1", true},
  };
  for (const auto& [address, global] : registry) {
    auto ip = parse_ip_literal(address);
    ASSERT_TRUE(ip) << address;
    EXPECT_EQ(classify(*ip) == AddressClass::global, global) << address;
  }
}

TEST(UrlPolicy, AnAddressWithoutSchemeIsTakenAsHttps) {
  EXPECT_EQ(with_default_scheme("twitch.tv/somebody"), "https://twitch.tv/somebody");
  EXPECT_EQ(with_default_scheme("youtube.com/@somebody/live"), "https://youtube.com/@somebody/live");
  EXPECT_EQ(with_default_scheme("WWW.Example.com"), "https://WWW.Example.com");
  EXPECT_EQ(with_default_scheme("localhost:8080/live.m3u8"), "https://localhost:8080/live.m3u8");
  EXPECT_EQ(with_default_scheme("127.0.0.1:9000/x"), "https://127.0.0.1:9000/x");
  // What has a scheme, or is not an address, is left for the policy to judge (and refuse).
  EXPECT_EQ(with_default_scheme("http://example.com/a"), "http://example.com/a");
  EXPECT_EQ(with_default_scheme("ftp://example.com/a"), "ftp://example.com/a");
  EXPECT_EQ(with_default_scheme("-rf"), "-rf");
  EXPECT_EQ(with_default_scheme("somebody"), "somebody");
  EXPECT_EQ(with_default_scheme("not a url"), "not a url");
  EXPECT_EQ(with_default_scheme(""), "");
}
