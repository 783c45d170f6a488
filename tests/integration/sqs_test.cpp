// The SQS JobQueue against a real moto_server. chronicle's own guarantees are tested
// (receive/ack/visibility, dead-lettering after the receive limit), not moto's FIFO details.
#include <gtest/gtest.h>

#include "core/ids.hpp"
#include "integration/moto.hpp"
#include "queue/sqs/sqs_job_queue.hpp"

using namespace chronicle;

namespace {

class MotoSqs : public test_support::MotoTest {
 protected:
  std::unique_ptr<sqs::SqsJobQueue> queue(int max_receives) {
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

TEST_F(MotoSqs, DeliversHidesAndAcks) {
  auto q = queue(5);
  ASSERT_TRUE(q->send("job-a", "job-a").ok());
  auto m = q->receive(std::chrono::seconds(30), std::chrono::milliseconds(1000));
  ASSERT_TRUE(m.ok()) << m.error().message;
  ASSERT_TRUE(m->has_value());
  EXPECT_EQ((*m)->job_id, "job-a");
  EXPECT_EQ((*m)->receive_count, 1);
  ASSERT_TRUE(q->extend_visibility(**m, std::chrono::seconds(60)).ok());
  auto hidden = q->receive(std::chrono::seconds(30), std::chrono::milliseconds(0));
  ASSERT_TRUE(hidden.ok());
  EXPECT_FALSE(hidden->has_value()) << "in flight: invisible to other dispatchers";
  ASSERT_TRUE(q->ack(**m).ok());
  EXPECT_TRUE(q->take_dead_letters()->empty());
}

TEST_F(MotoSqs, PoisonMessagesEndInTheDeadLetterQueue) {
  auto q = queue(2);
  ASSERT_TRUE(q->send("job-b", "job-b").ok());
  for (int i = 1; i <= 2; ++i) {
    auto m = q->receive(std::chrono::seconds(0), std::chrono::milliseconds(1000));
    ASSERT_TRUE(m.ok() && m->has_value()) << "delivery " << i;
    EXPECT_EQ((*m)->receive_count, i);
  }
  auto third = q->receive(std::chrono::seconds(0), std::chrono::milliseconds(0));
  ASSERT_TRUE(third.ok());
  EXPECT_FALSE(third->has_value()) << "a third delivery exceeds the limit of 2";
  auto dead = q->take_dead_letters();
  ASSERT_TRUE(dead.ok()) << dead.error().message;
  ASSERT_EQ(dead->size(), 1u);
  EXPECT_EQ((*dead)[0].job_id, "job-b");
  EXPECT_GT((*dead)[0].receive_count, 2);
  EXPECT_TRUE(q->take_dead_letters()->empty());
}
