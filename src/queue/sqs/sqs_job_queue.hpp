#pragma once
#include <memory>
#include <string>

#include "aws/aws.hpp"
#include "core/ports.hpp"

namespace chronicle::sqs {

struct QueueNames {
  std::string queue = "chronicle-jobs.fifo";
  std::string dead_letters = "chronicle-jobs-dlq.fifo";
};

// JobQueue on SQS FIFO: one message group per job, deduplication id from the request, long
// polling, visibility extended while a job is dispatched. Messages delivered more than
// `max_receives` times are moved to the dead-letter queue by chronicle itself, so the
// guarantee does not depend on the redrive policy (which provisioning also sets).
class SqsJobQueue final : public JobQueue {
 public:
  // Looks up both queue URLs (they must exist: see `chronicle provision`).
  static Result<std::unique_ptr<SqsJobQueue>> open(aws::Client client, const QueueNames& names, int max_receives);
  // Creates the FIFO queue and its DLQ with a redrive policy, idempotently.
  static Result<Ok> provision(const aws::Client& client, const QueueNames& names, int max_receives,
                              int visibility_timeout_s);

  Result<Ok> send(const std::string& job_id, const std::string& dedup_id) override;
  Result<std::optional<QueueMessage>> receive(std::chrono::seconds visibility, std::chrono::milliseconds wait) override;
  Result<Ok> ack(const QueueMessage& message) override;
  Result<Ok> extend_visibility(const QueueMessage& message, std::chrono::seconds visibility) override;
  Result<std::vector<QueueMessage>> take_dead_letters() override;

 private:
  SqsJobQueue(aws::Client client, std::string queue_url, std::string dlq_url, int max_receives)
      : client_(std::move(client)),
        queue_url_(std::move(queue_url)),
        dlq_url_(std::move(dlq_url)),
        max_receives_(max_receives) {}
  aws::Client client_;
  std::string queue_url_, dlq_url_;
  int max_receives_;
};

}  // namespace chronicle::sqs
