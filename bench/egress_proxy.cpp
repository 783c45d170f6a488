// The egress guard on its own, for bench/egress_guard.py: prints its URL, serves until stdin
// closes, then prints its CPU time and what it carried.
#include <sys/resource.h>

#include <cstdio>
#include <iostream>
#include <string>

#include "egress/proxy.hpp"

int main() {
  chronicle::UrlPolicy policy;
  policy.allow_private_networks = true;  // the bench's stream is on loopback
  auto proxy = chronicle::egress::EgressProxy::start(policy);
  if (!proxy) {
    std::fprintf(stderr, "%s\n", proxy.error().message.c_str());
    return 1;
  }
  std::printf("%s\n", proxy.value()->url().c_str());
  std::fflush(stdout);
  std::string line;
  while (std::getline(std::cin, line)) {
  }
  const auto stats = proxy.value()->stats();
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  const double cpu = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                     static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  std::printf("{\"cpu_s\": %.3f, \"connections\": %llu, \"bytes_down\": %llu, \"max_rss_kib\": %ld}\n", cpu,
              static_cast<unsigned long long>(stats.connections), static_cast<unsigned long long>(stats.bytes_down),
              usage.ru_maxrss);
  return 0;
}
