#include "dispatch/ecs_launcher.hpp"

namespace chronicle::dispatch {
namespace {
constexpr std::string_view kPrefix = "ecs:";
}

Result<nlohmann::json> EcsLauncher::call(const std::string& action, const nlohmann::json& body) const {
  return aws::json_call(client_, "ecs", "AmazonEC2ContainerServiceV20141113", action, body);
}

nlohmann::json EcsLauncher::run_task_request(const Job& job) const {
  return {{"cluster", options_.cluster},
          {"taskDefinition", options_.task_definition},
          {"launchType", "FARGATE"},
          {"count", 1},
          {"startedBy", "chronicle"},
          {"networkConfiguration",
           {{"awsvpcConfiguration",
             {{"subnets", options_.subnets},
              {"securityGroups", options_.security_groups},
              {"assignPublicIp", options_.assign_public_ip ? "ENABLED" : "DISABLED"}}}}},
          {"overrides",
           {{"containerOverrides",
             {{{"name", options_.container},
               {"command", {"record", "--job", job.id}},
               {"environment", {{{"name", "CHRONICLE_JOB_ID"}, {"value", job.id}}}}}}}}},
          {"tags", {{{"key", "chronicle-job"}, {"value", job.id}}}}};
}

Result<std::string> EcsLauncher::launch(const Job& job, const std::string& /*extracted*/) {
  auto r = call("RunTask", run_task_request(job));
  if (!r) return r.error();
  if (r->contains("failures") && !(*r)["failures"].empty()) {
    const auto& f = (*r)["failures"][0];
    return make_error("launch_failed", "ECS could not run the recorder task: " + f.value("reason", "unknown reason") +
                                           " " + f.value("detail", ""));
  }
  if (!r->contains("tasks") || (*r)["tasks"].empty()) return make_error("launch_failed", "ECS started no task");
  return std::string(kPrefix) + (*r)["tasks"][0].value("taskArn", "");
}

Result<Ok> EcsLauncher::request_stop(const Job& job) {
  if (!job.recorder_ref.starts_with(kPrefix)) return make_error("not_running", "job " + job.id + " has no ECS task");
  auto r = call("StopTask", {{"cluster", options_.cluster},
                             {"task", job.recorder_ref.substr(kPrefix.size())},
                             {"reason", "stopped by chronicle for job " + job.id}});
  if (!r) return r.error();
  return Ok{};
}

std::optional<bool> EcsLauncher::has_exited(const std::string& ref) {
  if (!ref.starts_with(kPrefix)) return std::nullopt;
  auto r = call("DescribeTasks", {{"cluster", options_.cluster}, {"tasks", {ref.substr(kPrefix.size())}}});
  if (!r || !r->contains("tasks") || (*r)["tasks"].empty()) return std::nullopt;
  return (*r)["tasks"][0].value("lastStatus", "") == "STOPPED";
}

}  // namespace chronicle::dispatch
