#pragma once
// What every JobQueue must do, written once and instantiated for each adapter (SQLite, SQS FIFO on
// moto, the in-memory fake):
//   struct Backend { std::unique_ptr<JobQueue> open(int max_receives); };   // a fresh queue
#include <gtest/gtest.h>

#include "core/ports.hpp"

namespace chronicle::contract {

inline constexpr std::chrono::milliseconds kQueueWait{1000};

template <class Backend>
class JobQueueContract : public ::testing::Test {
 protected:
  Backend backend;
};
TYPED_TEST_SUITE_P(JobQueueContract);

TYPED_TEST_P(JobQueueContract, DeliversHidesAndAcks) {
  auto q = this->backend.open(5);
  ASSERT_TRUE(q->send("job-a", "job-a").ok());
  auto m = q->receive(std::chrono::seconds(30), kQueueWait);
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

TYPED_TEST_P(JobQueueContract, ADuplicateSendWhileQueuedIsDropped) {
  auto q = this->backend.open(5);
  ASSERT_TRUE(q->send("job-d", "job-d").ok());
  ASSERT_TRUE(q->send("job-d", "job-d").ok());
  auto m = q->receive(std::chrono::seconds(30), kQueueWait);
  ASSERT_TRUE(m.ok() && m->has_value());
  ASSERT_TRUE(q->ack(**m).ok());
  auto again = q->receive(std::chrono::seconds(30), std::chrono::milliseconds(0));
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->has_value()) << "the second send was the same message";
}

TYPED_TEST_P(JobQueueContract, RedeliversAfterVisibilityThenDeadLetters) {
  auto q = this->backend.open(2);
  ASSERT_TRUE(q->send("job-b", "job-b").ok());
  for (int i = 1; i <= 2; ++i) {
    auto m = q->receive(std::chrono::seconds(0), kQueueWait);
    ASSERT_TRUE(m.ok() && m->has_value()) << "delivery " << i;
    EXPECT_EQ((*m)->job_id, "job-b");
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
  EXPECT_TRUE(q->take_dead_letters()->empty()) << "taken once";
}

TYPED_TEST_P(JobQueueContract, DeliversInTheOrderSent) {
  auto q = this->backend.open(5);
  for (const char* id : {"job-1", "job-2", "job-3"}) ASSERT_TRUE(q->send(id, id).ok());
  for (const char* id : {"job-1", "job-2", "job-3"}) {
    auto m = q->receive(std::chrono::seconds(30), kQueueWait);
    ASSERT_TRUE(m.ok() && m->has_value());
    EXPECT_EQ((*m)->job_id, id);
    ASSERT_TRUE(q->ack(**m).ok());
  }
}

REGISTER_TYPED_TEST_SUITE_P(JobQueueContract, DeliversHidesAndAcks, ADuplicateSendWhileQueuedIsDropped,
                            RedeliversAfterVisibilityThenDeadLetters, DeliversInTheOrderSent);

}  // namespace chronicle::contract
