#pragma once
// Recorders run as local child processes, or as ECS Fargate tasks (CHRONICLE_LAUNCHER).
#include <optional>

#include "aws/aws.hpp"
#include "core/config.hpp"
#include "dispatch/ecs_launcher.hpp"
#include "dispatch/process_launcher.hpp"

namespace chronicle::app {

struct Launchers {
  Launchers(const Config& config, const std::optional<std::filesystem::path>& config_file)
      : process(config, config_file) {
    if (config.launcher == LauncherKind::ecs)
      ecs.emplace(aws::Client(aws::Settings::from_environment()),
                  dispatch::EcsOptions{config.ecs_cluster, config.ecs_task_definition, config.ecs_container,
                                       config.ecs_subnets, config.ecs_security_groups, true});
  }
  Launcher& chosen() { return ecs ? static_cast<Launcher&>(*ecs) : process; }

  dispatch::ProcessLauncher process;
  std::optional<dispatch::EcsLauncher> ecs;
};

}  // namespace chronicle::app
