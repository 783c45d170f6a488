// The URL policy and the egress guard's CONNECT targets: parsing never crashes, and whatever
// check_url accepts re-parses to the same host, with every address it names allowed.
#include <cstdlib>
#include <string>

#include "core/url_policy.hpp"
#include "egress/proxy.hpp"

using namespace chronicle;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  UrlPolicy policy;
  if (auto nets = parse_networks(text.substr(0, 64)); nets) policy.allowed_networks = *nets;
  // The "DNS answer" is the input's last 16 bytes, as an IPv6 address (IPv4-mapped and friends included).
  IpAddress answer;
  answer.v6 = true;
  for (std::size_t i = 0; i < 16 && i < size; ++i) answer.bytes[i] = data[size - 1 - i];
  auto resolve = [&](const std::string&) -> Result<std::vector<IpAddress>> { return std::vector{answer}; };
  if (auto checked = check_url(text, policy, resolve)) {
    auto again = parse_url(text);
    if (!again || again->host != checked->host) std::abort();
    if (auto literal = parse_ip_literal(checked->host)) {
      if (check_address(checked->host, *literal, policy)) std::abort();
    } else if (check_address(checked->host, answer, policy)) {
      std::abort();
    }
  }
  if (auto literal = parse_ip_literal(text)) (void)classify(*literal);
  if (auto authority = egress::parse_authority(text); authority && authority->first.empty()) std::abort();
  return 0;
}
