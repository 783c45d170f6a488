#pragma once
// Chooses the adapters for the configured backend. Choosing is configuration, never code.
#include <memory>

#include "core/channel.hpp"
#include "core/config.hpp"
#include "core/ports.hpp"

namespace chronicle {

struct Backend {
  std::unique_ptr<JobStore> store;
  std::unique_ptr<JobQueue> queue;
  std::unique_ptr<ObjectStore> objects;
  std::unique_ptr<ChannelStore> channels;
};

Result<Backend> open_backend(const Config& config);

}  // namespace chronicle
