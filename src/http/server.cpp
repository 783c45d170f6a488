#include "http/server.hpp"

#include "http/compress.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <vector>

#include "sys/process.hpp"

namespace chronicle::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;

namespace {

template <class Response>
void apply_headers(Response& res, const Reply& reply) {
  res.set(bhttp::field::server, "chronicle");
  res.set(bhttp::field::content_type, reply.content_type);
  for (const auto& [k, v] : reply.headers) res.set(k, v);
}

// A request target for the log: without its query when that carries a credential.
std::string loggable(beast::string_view target) {
  std::string t(target);
  const auto q = t.find('?');
  if (q != std::string::npos &&
      (t.find("access_token=", q) != std::string::npos || t.find("sig=", q) != std::string::npos))
    t = t.substr(0, q) + "?…";
  return t;
}

}  // namespace

struct HttpServer::Impl {
  const Config& config;
  Router& router;
  JobService& service;
  Metrics& metrics;
  asio::io_context io{1};
  asio::thread_pool pool{4};
  tcp::acceptor acceptor{io};
  EventHub hub;
  std::int64_t feed_cursor = 0;
  asio::steady_timer feed_timer{io};
  std::optional<asio::signal_set> signals;  // only in serve (stop_on), never in tests
  std::function<void(int)> on_signal;
  std::optional<std::stop_callback<std::function<void()>>> stop_link;
  std::atomic<bool> stopping{false};
  std::size_t open_connections = 0;  // on the I/O thread only
  std::size_t max_connections = 0;

  Impl(const Config& c, Router& r, JobService& s, Metrics& m) : config(c), router(r), service(s), metrics(m) {}

  // Runs blocking work (storage, DNS) on the pool and resumes on the I/O thread. The optional
  // is there because co_spawn wants a default-constructible result.
  template <class F>
  awaitable<std::invoke_result_t<F>> on_pool(F f) {
    using R = std::invoke_result_t<F>;
    auto result = co_await asio::co_spawn(
        pool, [f = std::move(f)]() -> awaitable<std::optional<R>> { co_return std::optional<R>(f()); }, use_awaitable);
    co_return std::move(*result);
  }

  awaitable<void> accept_loop() {
    asio::steady_timer pause(io);
    auto wait = [&](std::chrono::milliseconds d) -> awaitable<void> {
      pause.expires_after(d);
      boost::system::error_code ignored;
      co_await pause.async_wait(asio::redirect_error(use_awaitable, ignored));
    };
    auto last_warning = std::chrono::steady_clock::time_point{};
    auto warn = [&](const std::string& what) {
      // Once a minute at most: a server out of descriptors should not also fill its log.
      if (std::chrono::steady_clock::now() - last_warning < std::chrono::minutes(1)) return;
      last_warning = std::chrono::steady_clock::now();
      spdlog::warn("http: {}", what);
    };
    for (;;) {
      if (stopping) co_return;
      // At the cap, new connections wait in the kernel's backlog until one closes.
      if (open_connections >= max_connections) {
        warn(std::to_string(open_connections) + " connections open, the most allowed (CHRONICLE_MAX_CONNECTIONS)");
        co_await wait(std::chrono::milliseconds(50));
        continue;
      }
      boost::system::error_code ec;
      tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(use_awaitable, ec));
      if (ec) {
        if (ec == asio::error::operation_aborted || stopping) co_return;
        // Out of descriptors (EMFILE/ENFILE) or memory: the pending connection stays queued and
        // accept fails again at once, so back off instead of spinning.
        warn("cannot accept a connection: " + ec.message());
        co_await wait(std::chrono::milliseconds(100));
        continue;
      }
      ++open_connections;
      asio::co_spawn(io, session(std::move(socket)), [this](const std::exception_ptr&) { --open_connections; });
    }
  }

  // Polls the store's change feed and fans changes out to SSE clients. Polling (not an
  // in-process callback) because recorders are other processes writing the same store. On a store
  // with a change token (SQLite: its data_version, read without waiting for a writer) the feed is
  // read only when the token moved, so while a client listens it is looked at every 10 ms, and a
  // change reaches 2,000 clients within 50 ms; with nobody listening, four times a second, which
  // keeps an idle server idle. On DynamoDB each poll is a paid Query: four a second.
  std::chrono::milliseconds feed_poll(bool has_token) const {
    if (has_token && hub.size() > 0) return std::chrono::milliseconds(10);
    return std::chrono::milliseconds(250);
  }
  awaitable<void> change_feed() {
    auto head = co_await on_pool([this] { return service.changes_since(-1, 0); });
    if (head) feed_cursor = head->cursor;
    constexpr std::size_t kBatch = 500;
    std::optional<std::uint64_t> token, read_at;
    while (!stopping) {
      feed_timer.expires_after(feed_poll(token.has_value()));
      boost::system::error_code ec;
      co_await feed_timer.async_wait(asio::redirect_error(use_awaitable, ec));
      if (stopping) co_return;
      token = service.change_token();
      if (token && token == read_at) continue;
      const auto cursor = feed_cursor;
      auto batch = co_await on_pool([this, cursor] { return service.changes_since(cursor, kBatch); });
      if (!batch) continue;
      // Read to the end as of `token` (taken before the read) unless the batch was full.
      read_at = batch->jobs.size() < kBatch ? token : std::nullopt;
      // Deletions come through the feed too, so one made by another process (the Lambda API) is
      // announced as well.
      for (std::size_t i = 0; i < batch->jobs.size(); ++i) {
        if (batch->removed[i])
          hub.publish_deleted(batch->jobs[i].id, batch->seqs[i]);
        else
          hub.publish_job(batch->jobs[i], batch->seqs[i]);
      }
      feed_cursor = batch->cursor;
    }
  }

  std::function<Result<std::vector<Channel>>()> list_channels;
  // Channels are few: the whole list is read and compared by version.
  awaitable<void> channel_feed() {
    asio::steady_timer timer(io);
    std::map<std::string, std::int64_t> seen;
    bool primed = false;
    std::optional<std::uint64_t> read_at;
    while (!stopping) {
      timer.expires_after(std::chrono::seconds(1));
      boost::system::error_code ec;
      co_await timer.async_wait(asio::redirect_error(use_awaitable, ec));
      if (stopping) co_return;
      if (hub.size() == 0 && primed) continue;
      // Nothing written since the last read (the store's change token): nothing to announce.
      const auto token = service.change_token();
      if (token && token == read_at && primed) continue;
      auto channels = co_await on_pool([this] { return list_channels(); });
      if (!channels) continue;
      std::map<std::string, std::int64_t> now_seen;
      for (const auto& c : *channels) {
        now_seen[c.id] = c.version;
        auto it = seen.find(c.id);
        if (primed && (it == seen.end() || it->second != c.version))
          hub.publish_channel("channel", json_text(to_public_json(c)));
      }
      if (primed)
        for (const auto& [id, version] : seen)
          if (!now_seen.contains(id)) hub.publish_channel("channel_deleted", json_text(nlohmann::json{{"id", id}}));
      seen = std::move(now_seen);
      primed = true;
      read_at = token;
    }
  }

  // The response head is written by hand, not by Beast's serializer: for a small reply its
  // generic buffer sequences cost a third of the CPU of the whole request, and these replies are
  // all alike (a status, our own headers, a length).
  awaitable<void> write_simple(beast::tcp_stream& stream, const Request& req, const Reply& reply, bool& keep_alive) {
    std::string head;
    head.reserve(192 + reply.content_type.size());
    head += req.version() == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
    head += std::to_string(reply.status);
    head += ' ';
    const auto reason = bhttp::obsolete_reason(static_cast<bhttp::status>(reply.status));
    head.append(reason.data(), reason.size());
    head += "\r\nServer: chronicle\r\nContent-Type: ";
    head += reply.content_type;
    for (const auto& [name, value] : reply.headers) {
      head += "\r\n";
      head += name;
      head += ": ";
      head += value;
    }
    if (reply.content_type == "application/json") head += "\r\nCache-Control: no-store";
    head += "\r\nContent-Length: ";
    head += std::to_string(reply.body.size());
    // HTTP/1.1 keeps the connection by default, HTTP/1.0 closes it by default.
    if (req.version() == 10 && keep_alive) head += "\r\nConnection: keep-alive";
    if (req.version() != 10 && !keep_alive) head += "\r\nConnection: close";
    head += "\r\n\r\n";
    boost::system::error_code ec;
    if (req.method() == bhttp::verb::head)  // the length of the body, not the body
      co_await asio::async_write(stream, asio::buffer(head), asio::redirect_error(use_awaitable, ec));
    else
      co_await asio::async_write(stream,
                                 std::array<asio::const_buffer, 2>{asio::buffer(head), asio::buffer(reply.body)},
                                 asio::redirect_error(use_awaitable, ec));
    if (ec) keep_alive = false;
  }

  awaitable<unsigned> send_file(beast::tcp_stream& stream, const Request& req, const Reply& reply, bool& keep_alive) {
    // File system calls run on the pool: a slow disk must not hold up the connections (SSE
    // clients among them) that this I/O thread serves.
    struct Opened {
      sys::UniqueFd fd;
      struct stat st {};
      bool ok = false;
    };
    // Only trivially copyable captures in a lambda inside co_await: GCC 12 destroys a captured
    // std::filesystem::path twice there. `reply` outlives the wait.
    const char* path = reply.file->c_str();
    auto opened = co_await on_pool([path] {
      Opened o{sys::UniqueFd(::open(path, O_RDONLY | O_CLOEXEC))};
      o.ok = o.fd.get() >= 0 && ::fstat(o.fd.get(), &o.st) == 0;
      return o;
    });
    const int fd = opened.fd.get();
    const struct stat& st = opened.st;
    if (!opened.ok) {
      Reply missing = error_reply(404, "not_found", "file is gone");
      co_await write_simple(stream, req, missing, keep_alive);
      co_return 404u;
    }
    const auto size = static_cast<std::uint64_t>(st.st_size);
    std::uint64_t first = 0, length = size;
    unsigned status = reply.status;
    bhttp::response<bhttp::empty_body> res{bhttp::status::ok, req.version()};
    apply_headers(res, reply);
    res.set(bhttp::field::accept_ranges, "bytes");
    const std::string range(req[bhttp::field::range]);
    if (!range.empty()) {
      if (auto parsed = parse_range(range, size)) {
        if (!*parsed) {
          Reply unsatisfiable = error_reply(416, "range_not_satisfiable", "range is outside the file");
          unsatisfiable.headers.emplace_back("Content-Range", "bytes */" + std::to_string(size));
          co_await write_simple(stream, req, unsatisfiable, keep_alive);
          co_return 416u;
        }
        first = (*parsed)->first;
        length = (*parsed)->last - first + 1;
        status = 206;
        res.set(bhttp::field::content_range,
                "bytes " + std::to_string(first) + "-" + std::to_string((*parsed)->last) + "/" + std::to_string(size));
      }
    }
    res.result(static_cast<bhttp::status>(status));
    res.content_length(length);
    res.keep_alive(keep_alive);
    boost::system::error_code ec;
    bhttp::response_serializer<bhttp::empty_body> sr(res);
    co_await bhttp::async_write_header(stream, sr, asio::redirect_error(use_awaitable, ec));
    if (ec || req.method() == bhttp::verb::head) {
      if (ec) keep_alive = false;
      co_return status;
    }
    std::vector<char> buf(std::size_t{256} * 1024);
    std::uint64_t offset = first, left = length;
    while (left > 0) {
      const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(left, buf.size()));
      const ssize_t n = co_await on_pool(
          [fd, data = buf.data(), want, offset] { return ::pread(fd, data, want, static_cast<off_t>(offset)); });
      if (n <= 0) {
        keep_alive = false;  // the file shrank: the response is short, so the connection must close
        break;
      }
      stream.expires_after(std::chrono::seconds(60));
      co_await asio::async_write(stream, asio::buffer(buf.data(), static_cast<std::size_t>(n)),
                                 asio::redirect_error(use_awaitable, ec));
      if (ec) {
        keep_alive = false;
        break;
      }
      offset += static_cast<std::uint64_t>(n);
      left -= static_cast<std::uint64_t>(n);
    }
    co_return status;
  }

  awaitable<void> serve_events(beast::tcp_stream& stream, const Request& req, const Reply& reply) {
    bhttp::response<bhttp::empty_body> res{bhttp::status::ok, req.version()};
    res.set(bhttp::field::server, "chronicle");
    res.set(bhttp::field::content_type, "text/event-stream");
    res.set(bhttp::field::cache_control, "no-cache");
    res.set("X-Accel-Buffering", "no");
    res.keep_alive(false);  // the body runs until either side closes
    boost::system::error_code ec;
    stream.expires_never();
    bhttp::response_serializer<bhttp::empty_body> sr(res);
    co_await bhttp::async_write_header(stream, sr, asio::redirect_error(use_awaitable, ec));
    if (ec) co_return;

    auto sub = hub.subscribe(io.get_executor(), reply.event_job_filter);
    ++metrics.sse_clients;
    std::string greeting = "retry: 3000\n: connected\n\n";
    // A reconnecting client names the last event it saw; replay what it missed.
    const std::string last_id(req["Last-Event-ID"]);
    if (!last_id.empty() && last_id.find_first_not_of("0123456789") == std::string::npos && last_id.size() < 19) {
      const std::int64_t since = std::stoll(last_id);
      auto missed = co_await on_pool([this, since] { return service.changes_since(since, 1000); });
      if (missed)
        for (std::size_t i = 0; i < missed->jobs.size(); ++i)
          if (!reply.event_job_filter || *reply.event_job_filter == missed->jobs[i].id)
            greeting += missed->removed[i] ? EventHub::deleted_frame(missed->jobs[i].id, missed->seqs[i])
                                           : hub.job_frame(missed->jobs[i], missed->seqs[i]);
    }
    co_await asio::async_write(stream, asio::buffer(greeting), asio::redirect_error(use_awaitable, ec));
    while (!ec && !sub->closed && !stopping) {
      if (!sub->pending.empty()) {
        std::string out;
        std::size_t n = 0;
        while (!sub->pending.empty()) {
          out += *sub->pending.front();
          sub->pending.pop_front();
          ++n;
        }
        co_await asio::async_write(stream, asio::buffer(out), asio::redirect_error(use_awaitable, ec));
        metrics.events_sent += n;
        continue;
      }
      sub->wake.expires_after(std::chrono::seconds(15));
      boost::system::error_code wait_ec;
      co_await sub->wake.async_wait(asio::redirect_error(use_awaitable, wait_ec));
      if (!wait_ec) {  // quiet for 15 s: a comment keeps proxies from closing the connection
        static const std::string ping = ": ping\n\n";
        co_await asio::async_write(stream, asio::buffer(ping), asio::redirect_error(use_awaitable, ec));
      }
    }
    hub.unsubscribe(sub);
    --metrics.sse_clients;
  }

  awaitable<void> session(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    for (;;) {
      bhttp::request_parser<bhttp::string_body> parser;
      parser.body_limit(config.max_body_bytes);
      parser.header_limit(32 * 1024);
      // A client that connects and sends nothing (or dribbles a header) is cut off in seconds.
      stream.expires_after(std::chrono::milliseconds(static_cast<long long>(config.header_timeout_s * 1000)));
      boost::system::error_code ec;
      co_await bhttp::async_read(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
      if (ec == bhttp::error::end_of_stream || ec == asio::error::operation_aborted || ec == beast::error::timeout ||
          ec == asio::error::connection_reset || ec == asio::error::eof)
        break;
      if (ec) {
        const bool too_big = ec == bhttp::error::body_limit || ec == bhttp::error::header_limit;
        Reply bad = too_big
                        ? error_reply(413, "body_too_large",
                                      "request body is larger than " + std::to_string(config.max_body_bytes) + " bytes")
                        : error_reply(400, "bad_request", "malformed HTTP request: " + ec.message());
        bool keep = false;
        Request dummy{bhttp::verb::get, "/", 11};
        co_await write_simple(stream, dummy, bad, keep);
        metrics.count_request("?", bad.status);
        break;
      }
      Request req = parser.release();
      const auto started = std::chrono::steady_clock::now();
      auto guarded = [&req](auto&& f) -> decltype(f()) {
        try {
          return f();
        } catch (const std::exception& e) {
          spdlog::error("handler error on {}: {}", std::string(req.target()), e.what());
          return error_reply(500, "internal_error", "the server failed to handle this request");
        }
      };
      // What can be answered from memory (/healthz, job reads kept under the store's current
      // change token) is answered here on the I/O thread; the rest may wait for the store, so it
      // runs on the pool and must not hold up the connections this thread serves.
      auto from_memory = guarded([this, &req]() -> std::optional<Reply> { return router.handle_from_memory(req); });
      Reply reply;  // (not a conditional expression: GCC 12 miscompiles co_await inside one)
      if (from_memory)
        reply = std::move(*from_memory);
      else
        reply =
            co_await on_pool([this, &req, guarded] { return guarded([this, &req] { return router.handle(req); }); });
      bool keep_alive = req.keep_alive();
      unsigned status = reply.status;
      if (reply.event_stream) {
        metrics.count_request(std::string(req.method_string()), 200);
        spdlog::info("http method={} path={} status=200 stream=events", std::string(req.method_string()),
                     loggable(req.target()));
        co_await serve_events(stream, req, reply);
        break;
      }
      // A large JSON answer (a page of jobs) goes out gzipped to clients that take it, compressed on
      // the pool rather than on this thread.
      if (!reply.file && reply.body.size() >= kCompressFrom && reply.content_type == "application/json" &&
          preferred_encoding(std::string(req[bhttp::field::accept_encoding]), /*br_offered=*/false) == "gzip") {
        auto packed = co_await on_pool([&reply] { return gzip(reply.body); });
        if (packed) {
          reply.body = std::move(*packed);
          reply.headers.emplace_back("Content-Encoding", "gzip");
          reply.headers.emplace_back("Vary", "Accept-Encoding");
        }
      }
      if (reply.file)
        status = co_await send_file(stream, req, reply, keep_alive);
      else
        co_await write_simple(stream, req, reply, keep_alive);
      metrics.count_request(std::string(req.method_string()), status);
      const auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
      if (req.target() != "/healthz" && req.target() != "/metrics" && spdlog::should_log(spdlog::level::info))
        spdlog::info("http method={} path={} status={} ms={:.1f}", std::string(req.method_string()),
                     loggable(req.target()), status, ms);
      if (!keep_alive) break;
    }
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }
};

HttpServer::HttpServer(const Config& config, Router& router, JobService& service, Metrics& metrics)
    : impl_(std::make_unique<Impl>(config, router, service, metrics)) {
  impl_->hub.set_render([&router](const Job& job) { return router.render(job); });
}

HttpServer::~HttpServer() {
  stop();
  impl_->pool.join();
}

Result<Ok> HttpServer::listen(const std::string& host_port) {
  const auto colon = host_port.rfind(':');
  std::string host = host_port.substr(0, colon);
  if (host.size() > 1 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host.empty() ? "127.0.0.1" : host, ec);
  if (ec) return make_error("invalid_listen", "listen address '" + host + "' is not an IP address");
  int port = 0;
  try {
    port = std::stoi(host_port.substr(colon + 1));
  } catch (const std::exception&) {
    return make_error("invalid_listen", "listen port in '" + host_port + "' is not a number");
  }
  auto& a = impl_->acceptor;
  const tcp::endpoint endpoint(address, static_cast<unsigned short>(port));
  a.open(endpoint.protocol(), ec);
  if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(endpoint, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return make_error("listen_failed", "cannot listen on " + host_port + ": " + ec.message());
  // Descriptors beyond the connections: the store, files being sent, recorders' pipes, logs.
  constexpr std::size_t kReservedDescriptors = 64;
  const std::size_t fd_limit = sys::raise_descriptor_limit();
  impl_->max_connections =
      std::min<std::size_t>(static_cast<std::size_t>(impl_->config.max_connections),
                            fd_limit > 2 * kReservedDescriptors ? fd_limit - kReservedDescriptors : fd_limit / 2);
  spdlog::info("http: up to {} connections (descriptor limit {})", impl_->max_connections, fd_limit);
  return Ok{};
}

std::uint16_t HttpServer::port() const { return impl_->acceptor.local_endpoint().port(); }

void HttpServer::stop_on(std::stop_token token, std::function<void(int)> on_signal) {
  impl_->stop_link.emplace(std::move(token), [this] { stop(); });
  impl_->on_signal = std::move(on_signal);
  impl_->signals.emplace(impl_->io, SIGINT, SIGTERM);
  impl_->signals->async_wait([this](const boost::system::error_code& ec, int sig) {
    if (!ec && impl_->on_signal) impl_->on_signal(sig);
  });
}

void HttpServer::watch_channels(std::function<Result<std::vector<Channel>>()> list) {
  impl_->list_channels = std::move(list);
}

void HttpServer::run() {
  asio::co_spawn(impl_->io, impl_->accept_loop(), asio::detached);
  asio::co_spawn(impl_->io, impl_->change_feed(), asio::detached);
  if (impl_->list_channels) asio::co_spawn(impl_->io, impl_->channel_feed(), asio::detached);
  impl_->io.run();
}

void HttpServer::stop() {
  if (impl_->stopping.exchange(true)) return;
  asio::post(impl_->io, [this] {
    boost::system::error_code ec;
    impl_->acceptor.close(ec);
    impl_->feed_timer.cancel();
    if (impl_->signals) impl_->signals->cancel(ec);
    impl_->hub.close_all();
    impl_->io.stop();
  });
}

}  // namespace chronicle::http
