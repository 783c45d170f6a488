#include <spdlog/spdlog.h>

#include "app/app.hpp"
#include "backend/backend.hpp"
#include "record/recorder.hpp"
#include "sys/access.hpp"

namespace chronicle::app {

int run_record(const Config& config, const std::string& job_id) {
  if (auto closed = sys::keep_data_dir_private(config.data_dir); !closed) {
    spdlog::error("{}", closed.error().message);
    return 1;
  }
  setup_logging(config);
  auto backend = open_backend(config);
  if (!backend) {
    spdlog::error("{}", backend.error().message);
    return 1;
  }
  return record::run_recorder(config, *backend->store, *backend->objects, job_id, backend->cookies.get());
}

}  // namespace chronicle::app
