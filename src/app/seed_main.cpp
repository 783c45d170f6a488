#include <signal.h>

#include <spdlog/spdlog.h>

#include "app/app.hpp"
#include "backend/backend.hpp"
#include "sys/access.hpp"
#include "torrent/seeder.hpp"

namespace chronicle::app {

int run_seed(Config config) {
  if (auto closed = sys::keep_data_dir_private(config.data_dir); !closed) {
    spdlog::error("{}", closed.error().message);
    return 1;
  }
  setup_logging(config);
  // A seeder of its own exists to serve the network, whatever address an API would have.
  if (config.seed_listen.empty()) config.seed_listen = "0.0.0.0:6881";
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  auto backend = open_backend(config);
  if (!backend) {
    spdlog::error("{}", backend.error().message);
    return 1;
  }
  torrent::Seeder seeder(config, *backend->store, *backend->objects);
  if (auto started = seeder.start(); !started) {
    spdlog::error("{}", started.error().message);
    return 1;
  }
  int sig = 0;
  sigwait(&stop_signals, &sig);
  spdlog::info("received {}, saving resume data and stopping", strsignal(sig));
  seeder.stop();
  return 0;
}

}  // namespace chronicle::app
