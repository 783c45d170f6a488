// What only the SQS JobQueue promises, beyond the port contract (aws_contracts_test.cpp): the
// queues must be provisioned before use, and provisioning is idempotent.
#include <gtest/gtest.h>

#include "core/ids.hpp"
#include "integration/moto.hpp"
#include "queue/sqs/sqs_job_queue.hpp"

using namespace chronicle;

namespace {

class MotoSqs : public test_support::MotoTest {
 protected:
  std::unique_ptr<sqs::SqsJobQueue> provisioned_queue(int max_receives) {
    sqs::QueueNames names;
    const std::string tag = new_job_id().substr(18);
    names.queue = "jobs-" + tag + ".fifo";
    names.dead_letters = "jobs-dlq-" + tag + ".fifo";
    aws::Client client(settings());
    EXPECT_EQ(sqs::SqsJobQueue::open(client, names, max_receives).error().code, "not_provisioned");
    EXPECT_TRUE(sqs::SqsJobQueue::provision(client, names, max_receives, 60).ok());
    EXPECT_TRUE(sqs::SqsJobQueue::provision(client, names, max_receives, 60).ok()) << "provisioning is idempotent";
    auto q = sqs::SqsJobQueue::open(client, names, max_receives);
    EXPECT_TRUE(q.ok()) << q.error().message;
    return std::move(*q);
  }
};

}  // namespace

TEST_F(MotoSqs, OpensOnlyProvisionedQueues) {
  auto q = provisioned_queue(3);
  ASSERT_TRUE(q);
  ASSERT_TRUE(q->send("job-p", "job-p").ok());
  auto m = q->receive(std::chrono::seconds(30), std::chrono::milliseconds(1000));
  ASSERT_TRUE(m.ok() && m->has_value());
}
