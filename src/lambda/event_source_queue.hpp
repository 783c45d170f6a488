#pragma once
// The queue as the Dispatcher sees it inside Lambda: the SQS event source mapping receives
// the messages and deletes those the function does not report as failed, so acknowledging is
// left to it. Sending, visibility and the dead-letter queue go to the real queue.
#include "core/ports.hpp"

namespace chronicle::lambda {

class EventSourceQueue final : public JobQueue {
 public:
  explicit EventSourceQueue(JobQueue& queue) : queue_(queue) {}
  Result<Ok> send(const std::string& job_id, const std::string& dedup_id) override {
    return queue_.send(job_id, dedup_id);
  }
  Result<std::optional<QueueMessage>> receive(std::chrono::seconds, std::chrono::milliseconds) override {
    return make_error("not_supported", "inside Lambda, messages arrive as events");
  }
  Result<Ok> ack(const QueueMessage&) override { return Ok{}; }
  Result<Ok> extend_visibility(const QueueMessage& message, std::chrono::seconds visibility) override {
    return queue_.extend_visibility(message, visibility);
  }
  Result<std::vector<QueueMessage>> take_dead_letters() override { return queue_.take_dead_letters(); }

 private:
  JobQueue& queue_;
};

}  // namespace chronicle::lambda
