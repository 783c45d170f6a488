#pragma once
// Chooses the adapters for the configured backend. Choosing is configuration, never code.
#include <memory>

#include "core/channel.hpp"
#include "core/config.hpp"
#include "core/cookies.hpp"
#include "core/ports.hpp"
#include "core/webhook.hpp"

namespace chronicle {

struct Backend {
  std::unique_ptr<JobStore> store;
  std::unique_ptr<JobQueue> queue;
  std::unique_ptr<ObjectStore> objects;
  std::unique_ptr<ChannelStore> channels;
  std::unique_ptr<WebhookStore> webhooks;
  std::unique_ptr<CookieStore> cookies;
};

Result<Backend> open_backend(const Config& config);

}  // namespace chronicle
