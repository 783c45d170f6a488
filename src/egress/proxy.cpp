#include "egress/proxy.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <charconv>
#include <mutex>
#include <thread>

#include "core/hex.hpp"

namespace chronicle::egress {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kMaxHeaderBytes = std::size_t{64} * 1024;
constexpr std::size_t kMaxConnections = 256;
constexpr auto kIdleTimeout = std::chrono::seconds(120);

IpAddress to_ip(const asio::ip::address& a) {
  IpAddress ip;
  if (a.is_v4()) {
    const auto b = a.to_v4().to_bytes();
    std::copy(b.begin(), b.end(), ip.bytes.begin());
  } else {
    ip.v6 = true;
    const auto b = a.to_v6().to_bytes();
    std::copy(b.begin(), b.end(), ip.bytes.begin());
  }
  return ip;
}

// The proxy's own answer to a request it does not pass on.
std::string plain_response(int status, std::string_view reason, const std::string& body) {
  return "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) +
         "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\nContent-Length: " +
         std::to_string(body.size() + 1) + "\r\n\r\n" + body + "\n";
}

// Header fields that describe the hop between the downloader and the proxy, not the request.
bool hop_by_hop(beast::string_view name) {
  for (beast::string_view h : {"connection", "proxy-connection", "keep-alive", "proxy-authorization", "te", "upgrade"})
    if (beast::iequals(name, h)) return true;
  return false;
}

template <class Fields>
void append_fields(std::string& out, const Fields& fields) {
  for (const auto& f : fields) {
    if (hop_by_hop(f.name_string())) continue;
    out.append(f.name_string().data(), f.name_string().size());
    out += ": ";
    out.append(f.value().data(), f.value().size());
    out += "\r\n";
  }
  // One request per connection: the next one may be for another host, which must be checked.
  out += "Connection: close\r\n\r\n";
}

// One downloader connection and, once checked, the upstream one it is spliced to.
struct Tunnel : std::enable_shared_from_this<Tunnel> {
  tcp::socket client;
  tcp::socket upstream;
  asio::steady_timer idle_timer;
  Clock::time_point last_activity = Clock::now();

  explicit Tunnel(tcp::socket c)
      : client(std::move(c)), upstream(client.get_executor()), idle_timer(client.get_executor()) {}

  void close() {
    boost::system::error_code ec;
    client.close(ec);
    upstream.close(ec);
    idle_timer.cancel();
  }
};

}  // namespace

struct EgressProxy::Impl {
  UrlPolicy policy;
  // The credential this proxy's own job's tools present (in the proxy URL they are given through
  // their environment): any other local user's program that finds the port gets 407.
  std::string password;
  std::string expected_authorization;  // "Basic base64(chronicle:password)"
  std::function<void(const Refusal&)> on_refusal;
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  std::thread thread;
  std::uint16_t port = 0;
  std::atomic<std::uint64_t> connections{0}, refused{0}, bytes_down{0}, bytes_up{0};
  std::size_t open_tunnels = 0;  // touched on the I/O thread only
  mutable std::mutex mutex;
  std::optional<Refusal> first;

  void refuse(const Refusal& r) {
    ++refused;
    spdlog::warn("egress: refused {}: {}", r.host, r.message);
    {
      std::lock_guard lock(mutex);
      if (!first) first = r;
    }
    if (on_refusal) on_refusal(r);
  }

  awaitable<void> accept_loop() {
    for (;;) {
      boost::system::error_code ec;
      tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(use_awaitable, ec));
      if (ec == asio::error::operation_aborted) co_return;
      if (ec) {
        // Out of descriptors or similar: wait rather than spin.
        asio::steady_timer pause(io, std::chrono::milliseconds(100));
        co_await pause.async_wait(asio::redirect_error(use_awaitable, ec));
        continue;
      }
      if (open_tunnels >= kMaxConnections) continue;  // the socket closes as it goes out of scope
      ++connections;
      auto tunnel = std::make_shared<Tunnel>(std::move(socket));
      ++open_tunnels;
      asio::co_spawn(io, serve(tunnel), [this, tunnel](const std::exception_ptr&) {
        tunnel->close();
        --open_tunnels;
      });
      asio::co_spawn(io, watch_idle(tunnel), asio::detached);
    }
  }

  awaitable<void> watch_idle(std::shared_ptr<Tunnel> t) {
    for (;;) {
      t->idle_timer.expires_after(std::chrono::seconds(5));
      boost::system::error_code ec;
      co_await t->idle_timer.async_wait(asio::redirect_error(use_awaitable, ec));
      if (ec || !t->client.is_open()) co_return;
      if (Clock::now() - t->last_activity > kIdleTimeout) {
        t->close();
        co_return;
      }
    }
  }

  // Copies bytes one way until either side ends.
  awaitable<void> pump(std::shared_ptr<Tunnel> t, tcp::socket& from, tcp::socket& to,
                       std::atomic<std::uint64_t>& count) {
    std::array<char, std::size_t{64} * 1024> buf;
    for (;;) {
      boost::system::error_code ec;
      const std::size_t n = co_await from.async_read_some(asio::buffer(buf), asio::redirect_error(use_awaitable, ec));
      if (ec) break;
      t->last_activity = Clock::now();
      co_await asio::async_write(to, asio::buffer(buf.data(), n), asio::redirect_error(use_awaitable, ec));
      if (ec) break;
      count += n;
    }
    boost::system::error_code ignored;
    to.shutdown(tcp::socket::shutdown_send, ignored);
  }

  // Resolves `host` once, checks every address, and connects to exactly the checked ones. On
  // refusal or failure, returns the answer the downloader gets instead ("" when connected).
  awaitable<std::string> connect_checked(std::shared_ptr<Tunnel> t, std::string host, std::uint16_t to_port) {
    boost::system::error_code ec;
    tcp::resolver resolver(io);
    auto results = co_await resolver.async_resolve(host, std::to_string(to_port), tcp::resolver::numeric_service,
                                                   asio::redirect_error(use_awaitable, ec));
    std::vector<tcp::endpoint> endpoints;
    std::string failure = check_all(host, ec ? tcp::resolver::results_type{} : results, endpoints);
    if (!failure.empty()) co_return failure;
    co_await asio::async_connect(t->upstream, endpoints, asio::redirect_error(use_awaitable, ec));
    co_return connect_failure(host, to_port, ec);
  }

  std::string check_all(const std::string& host, const tcp::resolver::results_type& results,
                        std::vector<tcp::endpoint>& endpoints) {
    if (results.empty()) return plain_response(502, "Bad Gateway", "chronicle: cannot resolve host '" + host + "'");
    for (const auto& entry : results) {
      if (auto refusal = check_address(host, to_ip(entry.endpoint().address()), policy)) {
        refuse(Refusal{host, entry.endpoint().address().to_string(), refusal->message});
        return plain_response(403, "Forbidden", "chronicle: " + refusal->message);
      }
      endpoints.push_back(entry.endpoint());
    }
    return {};
  }

  static std::string connect_failure(const std::string& host, std::uint16_t to_port,
                                     const boost::system::error_code& ec) {
    if (!ec) return {};
    return plain_response(502, "Bad Gateway",
                          "chronicle: cannot connect to " + host + ":" + std::to_string(to_port) + ": " + ec.message());
  }

  // Writes `head` (if any), then what the parser read past a header, before a pump carries the
  // rest of the stream; false if the connection broke.
  awaitable<bool> write_head(tcp::socket& to, std::string head, beast::flat_buffer& leftover,
                             std::atomic<std::uint64_t>& count) {
    boost::system::error_code ec;
    if (!head.empty()) co_await asio::async_write(to, asio::buffer(head), asio::redirect_error(use_awaitable, ec));
    if (!ec && leftover.size() > 0) {
      co_await asio::async_write(to, leftover.data(), asio::redirect_error(use_awaitable, ec));
      count += leftover.size();
    }
    co_return !ec;
  }

  awaitable<void> send(std::shared_ptr<Tunnel> t, std::string text) {
    boost::system::error_code ec;
    co_await asio::async_write(t->client, asio::buffer(text), asio::redirect_error(use_awaitable, ec));
  }

  awaitable<void> serve(std::shared_ptr<Tunnel> t) {
    beast::flat_buffer buffer;
    bhttp::request_parser<bhttp::empty_body> parser;
    parser.header_limit(kMaxHeaderBytes);
    boost::system::error_code ec;
    co_await bhttp::async_read_header(t->client, buffer, parser, asio::redirect_error(use_awaitable, ec));
    if (ec) {
      if (ec != bhttp::error::end_of_stream)
        co_await send(t, plain_response(400, "Bad Request", "chronicle: " + ec.message()));
      co_return;
    }
    t->last_activity = Clock::now();
    const auto& request = parser.get();
    const std::string target(request.target());
    const auto presented = request[bhttp::field::proxy_authorization];
    if (presented.size() != expected_authorization.size() ||
        CRYPTO_memcmp(presented.data(), expected_authorization.data(), presented.size()) != 0) {
      co_await send(t,
                    "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"chronicle\"\r\n"
                    "Content-Length: 0\r\nConnection: close\r\n\r\n");
      co_return;
    }

    if (request.method() == bhttp::verb::connect) {
      const auto authority = parse_authority(target);
      if (!authority) {
        co_await send(t, plain_response(400, "Bad Request", "chronicle: CONNECT needs host:port"));
        co_return;
      }
      if (auto failed = co_await connect_checked(t, authority->first, authority->second); !failed.empty()) {
        co_await send(t, std::move(failed));
        co_return;
      }
      co_await send(t, "HTTP/1.1 200 Connection Established\r\n\r\n");
      if (!co_await write_head(t->upstream, {}, buffer, bytes_up)) co_return;
      asio::co_spawn(io, pump(t, t->client, t->upstream, bytes_up), asio::detached);
      co_await pump(t, t->upstream, t->client, bytes_down);
      co_return;
    }

    auto url = parse_url(target);
    if (!url || url->scheme != "http") {
      co_await send(
          t, plain_response(400, "Bad Request", "chronicle: a proxy request needs an absolute http:// URL or CONNECT"));
      co_return;
    }
    if (auto failed = co_await connect_checked(t, url->host, url->port.value_or(80)); !failed.empty()) {
      co_await send(t, std::move(failed));
      co_return;
    }

    std::string head(request.method_string());
    head += ' ';
    head += url->rest.empty() || url->rest.front() != '/' ? "/" + url->rest : url->rest;
    head += request.version() == 10 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n";
    append_fields(head, request);
    if (!co_await write_head(t->upstream, std::move(head), buffer, bytes_up)) co_return;
    asio::co_spawn(io, pump(t, t->client, t->upstream, bytes_up), asio::detached);

    // The response's own header, with the connection marked to close (see append_fields).
    beast::flat_buffer upstream_buffer;
    bhttp::response_parser<bhttp::empty_body> response_parser;
    response_parser.header_limit(kMaxHeaderBytes);
    co_await bhttp::async_read_header(t->upstream, upstream_buffer, response_parser,
                                      asio::redirect_error(use_awaitable, ec));
    if (ec) {
      co_await send(t, plain_response(502, "Bad Gateway", "chronicle: " + url->host + " sent no valid response"));
      co_return;
    }
    const auto& response = response_parser.get();
    std::string response_head = "HTTP/1.1 " + std::to_string(response.result_int()) + " ";
    response_head.append(response.reason().data(), response.reason().size());
    response_head += "\r\n";
    append_fields(response_head, response);
    if (!co_await write_head(t->client, std::move(response_head), upstream_buffer, bytes_down)) co_return;
    co_await pump(t, t->upstream, t->client, bytes_down);
  }
};

std::optional<std::pair<std::string, std::uint16_t>> parse_authority(const std::string& target) {
  std::string host;
  std::string port;
  if (!target.empty() && target.front() == '[') {
    const auto close = target.find(']');
    if (close == std::string::npos || close + 1 >= target.size() || target[close + 1] != ':') return std::nullopt;
    host = target.substr(1, close - 1);
    port = target.substr(close + 2);
  } else {
    const auto colon = target.rfind(':');
    if (colon == std::string::npos) return std::nullopt;
    host = target.substr(0, colon);
    port = target.substr(colon + 1);
    if (host.find(':') != std::string::npos) return std::nullopt;
  }
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (host.empty() || ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535)
    return std::nullopt;
  // The host goes through the same syntax rules as a submitted URL.
  const auto parsed = parse_url("http://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) + "/");
  if (!parsed || parsed->port || parsed->rest != "/" || !beast::iequals(parsed->host, host)) return std::nullopt;
  return std::pair{host, static_cast<std::uint16_t>(value)};
}

EgressProxy::EgressProxy(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

EgressProxy::~EgressProxy() {
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

Result<std::unique_ptr<EgressProxy>> EgressProxy::start(UrlPolicy policy,
                                                        std::function<void(const Refusal&)> on_refusal) {
  auto impl = std::make_unique<Impl>();
  impl->policy = std::move(policy);
  unsigned char random[16];
  if (RAND_bytes(random, sizeof random) != 1)
    return make_error("egress_unavailable", "no random bytes for a credential");
  impl->password = to_hex(random, sizeof random);
  const std::string user_password = "chronicle:" + impl->password;
  std::string encoded(4 * ((user_password.size() + 2) / 3), '\0');
  EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                  reinterpret_cast<const unsigned char*>(user_password.data()), static_cast<int>(user_password.size()));
  impl->expected_authorization = "Basic " + encoded;
  impl->on_refusal = std::move(on_refusal);
  boost::system::error_code ec;
  const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return make_error("egress_unavailable", "cannot start the egress proxy: " + ec.message());
  impl->port = impl->acceptor.local_endpoint().port();
  auto* raw = impl.get();
  asio::co_spawn(raw->io, raw->accept_loop(), asio::detached);
  raw->thread = std::thread([raw] { raw->io.run(); });
  return std::unique_ptr<EgressProxy>(new EgressProxy(std::move(impl)));
}

std::string EgressProxy::url() const {
  return "http://chronicle:" + impl_->password + "@127.0.0.1:" + std::to_string(impl_->port);
}

std::vector<std::pair<std::string, std::string>> EgressProxy::environment() const { return proxy_environment(url()); }

std::vector<std::pair<std::string, std::string>> proxy_environment(const std::string& url) {
  // Every spelling tools read, and no exceptions: a NO_PROXY of the machine's would let a tool
  // connect around the guard.
  return {{"http_proxy", url}, {"https_proxy", url}, {"HTTP_PROXY", url}, {"HTTPS_PROXY", url},
          {"all_proxy", url},  {"ALL_PROXY", url},   {"no_proxy", ""},    {"NO_PROXY", ""}};
}

std::optional<Refusal> EgressProxy::first_refusal() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->first;
}

ProxyStats EgressProxy::stats() const {
  return ProxyStats{impl_->connections.load(), impl_->refused.load(), impl_->bytes_down.load(), impl_->bytes_up.load()};
}

}  // namespace chronicle::egress
