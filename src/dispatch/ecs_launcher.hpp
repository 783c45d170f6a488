#pragma once
#include <string>
#include <vector>

#include "aws/aws.hpp"
#include "core/ports.hpp"

namespace chronicle::dispatch {

struct EcsOptions {
  std::string cluster = "chronicle";
  std::string task_definition = "chronicle-recorder";
  std::string container = "recorder";
  std::vector<std::string> subnets;
  std::vector<std::string> security_groups;
  bool assign_public_ip = true;
};

// Runs each recorder as an ECS Fargate task (awsvpc, the job id in the container command);
// stopping sends the task SIGTERM, which makes the recorder finalize what it has.
// recorder_ref is "ecs:<task ARN>".
class EcsLauncher final : public Launcher {
 public:
  EcsLauncher(aws::Client client, EcsOptions options) : client_(std::move(client)), options_(std::move(options)) {}

  // A task extracts the URL itself: its container runs where the probe did not (the probe is
  // kept so that a URL that is not a stream never costs a Fargate task).
  Result<std::string> launch(const Job& job, const std::string& extracted = "") override;
  Result<Ok> request_stop(const Job& job) override;
  std::optional<bool> has_exited(const std::string& recorder_ref) override;

  // The RunTask request for a job (exposed for tests).
  nlohmann::json run_task_request(const Job& job) const;

 private:
  Result<nlohmann::json> call(const std::string& action, const nlohmann::json& body) const;
  aws::Client client_;
  EcsOptions options_;
};

}  // namespace chronicle::dispatch
