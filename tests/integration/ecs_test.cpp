// The ECS launcher against a real moto_server: RunTask on Fargate with the job's overrides is
// accepted, DescribeTasks reports it running, StopTask stops it.
#include <gtest/gtest.h>

#include <pugixml.hpp>

#include "dispatch/ecs_launcher.hpp"
#include "integration/moto.hpp"

using namespace chronicle;

namespace {

class MotoEcs : public test_support::MotoTest {
 protected:
  // The first id of moto's default network (EC2 speaks the query protocol, answering XML).
  std::string ec2_first(const std::string& action, const std::string& set, const std::string& field) {
    aws::Client client(settings());
    const std::string body = "Action=" + action + "&Version=2016-11-15";
    auto r = client.send(
        {"ec2", "POST", settings().endpoint + "/", {{"Content-Type", "application/x-www-form-urlencoded"}}, body});
    EXPECT_TRUE(r.ok() && r->ok());
    pugi::xml_document doc;
    doc.load_buffer(r->body.data(), r->body.size());
    return doc.first_child().child(set.c_str()).child("item").child_value(field.c_str());
  }
  dispatch::EcsOptions setup() {
    aws::Client client(settings());
    auto call = [&](const std::string& service, const std::string& prefix, const std::string& action,
                    const nlohmann::json& body) {
      auto r = aws::json_call(client, service, prefix, action, body);
      EXPECT_TRUE(r.ok()) << action << ": " << (r.ok() ? "" : r.error().message);
      return r.ok() ? *r : nlohmann::json();
    };
    const std::string ecs = "AmazonEC2ContainerServiceV20141113";
    call("ecs", ecs, "CreateCluster", {{"clusterName", "recorders"}});
    // moto needs cpu and memory on the container to place a Fargate task.
    nlohmann::json container = {
        {"name", "recorder"}, {"image", "chronicle:latest"}, {"essential", true}, {"cpu", 1024}, {"memory", 2048}};
    nlohmann::json task_definition = {{"family", "chronicle-recorder"},
                                      {"networkMode", "awsvpc"},
                                      {"requiresCompatibilities", {"FARGATE"}},
                                      {"cpu", "1024"},
                                      {"memory", "2048"}};
    task_definition["containerDefinitions"] = nlohmann::json::array({container});
    call("ecs", ecs, "RegisterTaskDefinition", task_definition);
    dispatch::EcsOptions o;
    o.cluster = "recorders";
    o.subnets = {ec2_first("DescribeSubnets", "subnetSet", "subnetId")};
    o.security_groups = {ec2_first("DescribeSecurityGroups", "securityGroupInfo", "groupId")};
    return o;
  }
};

}  // namespace

TEST_F(MotoEcs, RunsDescribesAndStopsTheRecorderTask) {
  dispatch::EcsLauncher launcher(aws::Client(settings()), setup());
  Job job;
  job.id = "01M86QCMCMDAPS2PSKRTE6AYQS";
  const auto request = launcher.run_task_request(job);
  EXPECT_EQ(request["launchType"], "FARGATE");
  EXPECT_EQ(request["overrides"]["containerOverrides"][0]["command"],
            nlohmann::json({"record", "--job", "01M86QCMCMDAPS2PSKRTE6AYQS"}));
  auto ref = launcher.launch(job);
  ASSERT_TRUE(ref.ok()) << ref.error().message;
  EXPECT_TRUE(ref->starts_with("ecs:arn:aws:ecs:"));
  EXPECT_EQ(launcher.has_exited(*ref), std::optional<bool>(false));
  job.recorder_ref = *ref;
  ASSERT_TRUE(launcher.request_stop(job).ok());
  EXPECT_EQ(launcher.has_exited(*ref), std::optional<bool>(true));
  EXPECT_FALSE(launcher.has_exited("pid:42").has_value()) << "not an ECS task";
}
