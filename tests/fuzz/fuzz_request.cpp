// HTTP requests, as bytes off the wire, through Beast's parser and the router with a real
// embedded backend (SQLite in a temporary directory, channels and webhooks included; a channel check's probe
// answers "offline" without a network), and again from memory. Every reply must be
// well-formed: a status below 500 for any input, and a JSON body that parses whenever the reply
// says it is JSON.
#include <unistd.h>

#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <memory>

#include "backend/backend.hpp"
#include "core/channel_service.hpp"
#include "core/service.hpp"
#include "http/metrics.hpp"
#include "http/routes.hpp"

using namespace chronicle;
namespace bhttp = boost::beast::http;

namespace {

struct World {
  Config config;
  Backend backend;
  std::unique_ptr<JobService> service;
  std::unique_ptr<ChannelService> channels;
  http::Metrics metrics;
  std::unique_ptr<http::Router> router;
  std::unique_ptr<http::Router> guarded;  // with a token and the browser guards
  Config token_config;
};

World* world = nullptr;

Result<std::vector<IpAddress>> public_address(const std::string&) {
  return std::vector{*parse_ip_literal("93.184.216.34")};
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  world = new World;
  const auto dir = std::filesystem::temp_directory_path() / ("chronicle-fuzz-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  world->config.data_dir = dir;
  world->config.torrent_enabled = false;
  auto backend = open_backend(world->config);
  if (!backend) std::abort();
  world->backend = std::move(*backend);
  world->service = std::make_unique<JobService>(*world->backend.store, *world->backend.queue, *world->backend.objects,
                                                nullptr, UrlPolicy{}, public_address);
  world->channels = std::make_unique<ChannelService>(
      *world->backend.channels, *world->backend.store, *world->service, UrlPolicy{}, public_address, ChannelSettings{},
      [](const std::string&) -> Result<LiveCheck> { return LiveCheck{}; });
  world->router = std::make_unique<http::Router>(world->config, *world->service, world->metrics, nullptr);
  world->router->set_channels(world->channels.get());
  world->router->set_webhooks(world->backend.webhooks.get());
  world->router->set_cookies(world->backend.cookies.get());
  world->token_config = world->config;
  world->token_config.token = "fuzz-token";
  world->guarded = std::make_unique<http::Router>(world->token_config, *world->service, world->metrics, nullptr);
  world->guarded->guard_browsers();
  world->guarded->set_channels(world->channels.get());
  world->guarded->set_webhooks(world->backend.webhooks.get());
  world->guarded->set_cookies(world->backend.cookies.get());
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  bhttp::request_parser<bhttp::string_body> parser;
  parser.eager(true);
  parser.header_limit(32 * 1024);
  parser.body_limit(64 * 1024);
  boost::system::error_code ec;
  parser.put(boost::asio::buffer(data, size), ec);
  if (ec || !parser.is_header_done()) return 0;
  const auto request = parser.release();
  auto check = [](const http::Reply& reply) {
    if (reply.status >= 500 && reply.status != 503 && reply.status != 507) std::abort();
    if (reply.content_type == "application/json" && !reply.event_stream &&
        nlohmann::json::parse(reply.body, nullptr, false).is_discarded())
      std::abort();
  };
  for (auto* router : {world->router.get(), world->guarded.get()}) {
    check(router->handle(request));
    // The same request again may be answered from what the first one kept.
    if (auto kept = router->handle_from_memory(request)) check(*kept);
  }
  return 0;
}
