#pragma once
// The egress guard: a forward proxy on 127.0.0.1 that the downloaders (yt-dlp and the ffmpeg it
// runs) are pointed at for one probe or one recording. Every connection they make, the page,
// each redirect, playlists, segments, keys and manifests, comes through here as an absolute-URI
// request (http) or a CONNECT (https). The proxy resolves the host once, checks every address
// against the URL policy, and connects to exactly the addresses it checked, so a DNS answer that
// changes after the check, a redirect or a playlist pointing at a forbidden address never reaches
// it. A refused connection gets 403 and is reported, so the job can end `forbidden_address`.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "core/url_policy.hpp"

namespace chronicle::egress {

struct Refusal {
  std::string host;     // as the downloader asked for it
  std::string address;  // the address it named that the policy refuses ("" if it did not resolve)
  std::string message;  // the policy's reason, naming both
};

struct ProxyStats {
  std::uint64_t connections = 0;  // accepted from the downloaders
  std::uint64_t refused = 0;      // refused by the policy
  std::uint64_t bytes_down = 0;   // from the internet to the downloaders
  std::uint64_t bytes_up = 0;     // from the downloaders to the internet
};

class EgressProxy {
 public:
  ~EgressProxy();
  EgressProxy(const EgressProxy&) = delete;
  EgressProxy& operator=(const EgressProxy&) = delete;

  // Listens on 127.0.0.1 (a port of the kernel's choosing) and serves from a thread of its own
  // until destroyed. `on_refusal` is called from that thread.
  static Result<std::unique_ptr<EgressProxy>> start(UrlPolicy policy,
                                                    std::function<void(const Refusal&)> on_refusal = {});

  // http://chronicle:CREDENTIAL@127.0.0.1:PORT: a request without the credential gets 407. It is
  // a secret of the job's: given to its tools in their environment (environment()) or on a pipe,
  // never in a process's arguments, which every local user can read.
  std::string url() const;
  // http_proxy, https_proxy (and their other spellings) naming url(), and no_proxy emptied.
  std::vector<std::pair<std::string, std::string>> environment() const;
  std::optional<Refusal> first_refusal() const;
  ProxyStats stats() const;

 private:
  struct Impl;
  explicit EgressProxy(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The environment that points a tool at the proxy `url` (every spelling of http_proxy and
// https_proxy, no_proxy emptied).
std::vector<std::pair<std::string, std::string>> proxy_environment(const std::string& url);

// "host:port" or "[v6]:port" of a CONNECT request.
std::optional<std::pair<std::string, std::uint16_t>> parse_authority(const std::string& target);

}  // namespace chronicle::egress
