#include "chat/twitch.hpp"

#include <sys/socket.h>

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <deque>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "chat/irc.hpp"
#include "chat/seen_ids.hpp"

namespace chronicle::chat {
namespace {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

// Blocking reads are broken off from the watchdog thread by shutting the socket down (a stop, a
// silent connection, a connect that hangs). The descriptor is only touched under the lock, so a
// closed and reused number is never shut down by mistake.
class Watchdog {
 public:
  Watchdog(const TwitchChatOptions& o) : options_(o), thread_([this] { loop(); }) {}
  ~Watchdog() {
    done_ = true;
    thread_.join();
  }
  void watch(int fd) {
    std::lock_guard lock(mutex_);
    fd_ = fd;
    touch();
  }
  void unwatch() {
    std::lock_guard lock(mutex_);
    fd_ = -1;
  }
  void touch() { last_ms_ = now_ms(); }
  bool stopping() const { return stop_seen_; }

 private:
  static std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch()).count();
  }
  void loop() {
    while (!done_) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      if (options_.stop && options_.stop()) stop_seen_ = true;
      const bool silent =
          now_ms() - last_ms_ > std::chrono::duration_cast<std::chrono::milliseconds>(options_.idle_timeout).count();
      if (stop_seen_ || silent) {
        std::lock_guard lock(mutex_);
        if (fd_ >= 0) {
          ::shutdown(fd_, SHUT_RDWR);
          fd_ = -1;
        }
      }
    }
  }
  const TwitchChatOptions& options_;
  std::mutex mutex_;
  int fd_ = -1;
  std::atomic<std::int64_t> last_ms_{0};
  std::atomic<bool> done_{false}, stop_seen_{false};
  std::thread thread_;
};

struct Target {
  bool tls = false;
  std::string host, port, path;
  std::vector<tcp::endpoint> endpoints;  // the addresses the policy allowed
};

Result<Target> target_of(const TwitchChatOptions& o) {
  Target t;
  std::string rest;
  if (o.url.starts_with("wss://")) {
    t.tls = true;
    rest = o.url.substr(6);
  } else if (o.url.starts_with("ws://")) {
    rest = o.url.substr(5);
  } else {
    return make_error("invalid_url",
                      "the chat endpoint must be a ws:// or wss:// URL, not '" + o.url.substr(0, 80) + "'");
  }
  const auto slash = rest.find('/');
  t.path = slash == std::string::npos ? "/" : rest.substr(slash);
  std::string authority = rest.substr(0, slash);
  auto parsed = parse_url((t.tls ? "https://" : "http://") + authority + "/");
  if (!parsed) return parsed.error();
  t.host = parsed->host;
  t.port = std::to_string(parsed->port.value_or(t.tls ? 443 : 80));
  auto addresses = o.resolve(t.host);
  if (!addresses) return addresses.error();
  std::optional<Error> refusal;
  for (const auto& a : *addresses) {
    if (auto refused = check_address(t.host, a, o.policy)) {
      refusal = refused;
      continue;
    }
    boost::system::error_code ec;
    const auto ip = net::ip::make_address(a.to_string(), ec);
    if (!ec) t.endpoints.emplace_back(ip, static_cast<unsigned short>(std::stoi(t.port)));
  }
  if (t.endpoints.empty())
    return refusal ? *refusal : make_error("unreachable", "the chat endpoint's host " + t.host + " has no address");
  return t;
}

// One connection: the handshake, the login, then lines until the connection ends (an exception)
// or the server asks for a reconnect (a return).
template <class WebSocket>
void session(WebSocket& ws, const Target& t, const TwitchChatOptions& o, Watchdog& watchdog, SeenIds& seen,
             const std::function<void()>& on_joined) {
  ws.set_option(websocket::stream_base::decorator(
      [](websocket::request_type& req) { req.set(beast::http::field::user_agent, "chronicle"); }));
  ws.read_message_max(4 << 20);
  ws.handshake(t.host, t.path);
  // An anonymous login, as Twitch's web player makes before anyone signs in.
  static std::mt19937 random{std::random_device{}()};
  const std::string nick = "justinfan" + std::to_string(10000 + random() % 80000);
  for (const std::string& line : {std::string("CAP REQ :twitch.tv/tags twitch.tv/commands"),
                                  std::string("PASS SCHMOOPIIE"), "NICK " + nick, "JOIN #" + o.channel})
    ws.write(net::buffer(line + "\r\n"));
  beast::flat_buffer buffer;
  for (;;) {
    ws.read(buffer);
    watchdog.touch();
    const std::string frame = beast::buffers_to_string(buffer.data());
    buffer.consume(buffer.size());
    std::size_t at = 0;
    while (at < frame.size()) {
      auto end = frame.find('\n', at);
      if (end == std::string::npos) end = frame.size();
      const std::string_view line(frame.data() + at, end - at);
      at = end + 1;
      auto message = parse_irc(line);
      if (!message) continue;
      if (message->command == "PING") {
        ws.write(net::buffer(
            "PONG :" + (message->params.empty() ? std::string("tmi.twitch.tv") : message->params.back()) + "\r\n"));
        continue;
      }
      if (message->command == "RECONNECT") return;  // the server is going away: connect again at once
      if (message->command == "JOIN" && message->nick() == nick) {
        on_joined();
        continue;
      }
      auto record = chat_record(*message);
      if (!record) continue;
      if (record->contains("id") && (*record)["id"].is_string() && !seen.first_time((*record)["id"].get<std::string>()))
        continue;
      o.on_record(std::move(*record));
    }
  }
}

}  // namespace

std::string twitch_channel_of(const std::string& url) {
  auto parsed = parse_url(with_default_scheme(url));
  if (!parsed) return "";
  const std::string& h = parsed->host;
  if (h != "twitch.tv" && h != "www.twitch.tv" && h != "m.twitch.tv") return "";
  std::string path = parsed->rest;
  path = path.substr(0, path.find_first_of("?#"));
  while (path.starts_with("/")) path.erase(0, 1);
  const std::string login = path.substr(0, path.find('/'));
  if (login.empty() || login.size() > 25) return "";
  for (char c : login)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return "";
  static const std::set<std::string> kNotChannels = {"directory", "videos", "settings", "downloads", "search", "p"};
  if (kNotChannels.count(login)) return "";
  std::string lower = login;
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

Result<Ok> run_twitch_chat(const TwitchChatOptions& o) {
  auto target = target_of(o);
  if (!target) return target.error();
  Watchdog watchdog(o);
  SeenIds seen;
  auto backoff = o.first_backoff;
  bool ever_joined = false;
  bool disconnected_noted = false;
  while (!watchdog.stopping()) {
    bool joined = false;
    const auto on_joined = [&] {
      joined = true;
      spdlog::info("chat: joined #{}", o.channel);
      if (disconnected_noted) o.on_record({{"type", "connected"}});
      disconnected_noted = false;
    };
    std::string why;
    try {
      net::io_context io;
      tcp::socket socket(io);
      watchdog.watch(-1);
      // One address at a time, each socket watched while it connects (the watchdog shuts down
      // only the descriptor it was given, and a socket closed after a failed attempt is unwatched
      // first, so its number is never someone else's by then).
      boost::system::error_code ec = net::error::host_unreachable;
      for (const auto& endpoint : target->endpoints) {
        socket.open(endpoint.protocol());
        watchdog.watch(socket.native_handle());
        socket.connect(endpoint, ec);
        if (!ec) break;
        watchdog.unwatch();
        boost::system::error_code ignored;
        socket.close(ignored);
        if (watchdog.stopping()) break;
      }
      if (ec) throw boost::system::system_error(ec);
      if (target->tls) {
        ssl::context tls(ssl::context::tls_client);
        tls.set_default_verify_paths();
        tls.set_verify_mode(ssl::verify_peer);
        websocket::stream<beast::ssl_stream<tcp::socket>> ws(std::move(socket), tls);
        SSL_set_tlsext_host_name(ws.next_layer().native_handle(), target->host.c_str());
        ws.next_layer().set_verify_callback(ssl::host_name_verification(target->host));
        watchdog.watch(beast::get_lowest_layer(ws).native_handle());
        ws.next_layer().handshake(ssl::stream_base::client);
        session(ws, *target, o, watchdog, seen, on_joined);
      } else {
        websocket::stream<tcp::socket> ws(std::move(socket));
        watchdog.watch(beast::get_lowest_layer(ws).native_handle());
        session(ws, *target, o, watchdog, seen, on_joined);
      }
      why = "the server asked to reconnect";
    } catch (const std::exception& e) {
      why = e.what();
    }
    watchdog.unwatch();
    if (joined) {
      ever_joined = true;
      backoff = o.first_backoff;
    }
    if (watchdog.stopping()) break;
    spdlog::info("chat #{}: connection ended ({}); connecting again", o.channel, why);
    if (ever_joined && !disconnected_noted) {
      o.on_record({{"type", "disconnected"}, {"reason", why}});
      disconnected_noted = true;
    }
    if (why == "the server asked to reconnect") continue;
    const auto until = Clock::now() + backoff;
    while (Clock::now() < until && !watchdog.stopping()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    backoff = std::min(backoff * 2, o.max_backoff);
  }
  return Ok{};
}

}  // namespace chronicle::chat
