#pragma once
// The HTTP front: Boost.Beast on one I/O thread with C++20 coroutines, so long-lived SSE
// connections cost a coroutine each, not a thread. Handlers that touch storage run on a small
// pool and resume on the I/O thread.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <stop_token>

#include "core/channel.hpp"
#include "core/config.hpp"
#include "core/service.hpp"
#include "http/event_hub.hpp"
#include "http/metrics.hpp"
#include "http/routes.hpp"

namespace chronicle::http {

class HttpServer {
 public:
  HttpServer(const Config& config, Router& router, JobService& service, Metrics& metrics);
  ~HttpServer();
  // Binds the listening socket; errors here mean the port is taken or the address is wrong.
  Result<Ok> listen(const std::string& host_port);
  std::uint16_t port() const;
  // The one way serve stops: `token` (serve's shutdown) stops the server when requested, and
  // SIGINT/SIGTERM are taken here, on the I/O thread, and handed to `on_signal` (which requests it).
  void stop_on(std::stop_token token, std::function<void(int)> on_signal);
  // Channels are polled for the event stream (once a second while anyone listens), so changes
  // made by other processes (the CLI, the Lambda) are announced too.
  void watch_channels(std::function<Result<std::vector<Channel>>()> list);
  void run();   // serves until stop()
  void stop();  // thread-safe

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace chronicle::http
