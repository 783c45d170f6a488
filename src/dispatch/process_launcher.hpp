#pragma once
#include <filesystem>
#include <mutex>
#include <optional>
#include <set>

#include "core/config.hpp"
#include "core/ports.hpp"

namespace chronicle::dispatch {

// Runs `chronicle record --job ID` as a child in its own session, so a recording goes on
// when `serve` stops or restarts. Its output goes to <data>/logs/<id>.log.
class ProcessLauncher final : public Launcher {
 public:
  ProcessLauncher(Config config, std::optional<std::filesystem::path> config_file)
      : config_(std::move(config)), config_file_(std::move(config_file)) {}

  Result<std::string> launch(const Job& job, const std::string& extracted = "") override;
  Result<Ok> request_stop(const Job& job) override;
  std::optional<bool> has_exited(const std::string& recorder_ref) override;
  // Collects exited children so they do not linger as zombies.
  void reap();

 private:
  Config config_;
  std::optional<std::filesystem::path> config_file_;
  std::mutex mutex_;
  std::set<pid_t> children_;
  std::set<pid_t> exited_;
};

std::optional<pid_t> pid_from_ref(const std::string& recorder_ref);

}  // namespace chronicle::dispatch
