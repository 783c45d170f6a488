#include "queue/sqs/sqs_job_queue.hpp"

#include <nlohmann/json.hpp>

namespace chronicle::sqs {
namespace {

Result<nlohmann::json> call(const aws::Client& c, const std::string& action, const nlohmann::json& body) {
  return aws::json_call(c, "sqs", "AmazonSQS", action, body);
}

Result<std::string> queue_url(const aws::Client& c, const std::string& name) {
  auto r = call(c, "GetQueueUrl", {{"QueueName", name}});
  if (!r) {
    if (r.error().code.find("NonExistentQueue") != std::string::npos || r.error().code == "QueueDoesNotExist")
      return make_error("not_provisioned", "SQS queue " + name + " does not exist; run `chronicle provision`");
    return r.error();
  }
  return r->value("QueueUrl", "");
}

std::optional<QueueMessage> first_message(const nlohmann::json& r) {
  if (!r.contains("Messages") || r["Messages"].empty()) return std::nullopt;
  const auto& m = r["Messages"][0];
  QueueMessage out;
  out.receipt = m.value("ReceiptHandle", "");
  auto body = nlohmann::json::parse(m.value("Body", "{}"), nullptr, false);
  out.job_id = body.is_object() ? body.value("job_id", "") : "";
  const auto attrs = m.value("Attributes", nlohmann::json::object());
  out.receive_count = std::stoi(attrs.value("ApproximateReceiveCount", "1"));
  return out;
}

}  // namespace

Result<Ok> SqsJobQueue::provision(const aws::Client& c, const QueueNames& names, int max_receives,
                                  int visibility_timeout_s) {
  auto dlq = call(c, "CreateQueue",
                  {{"QueueName", names.dead_letters},
                   {"Attributes", {{"FifoQueue", "true"}, {"MessageRetentionPeriod", "1209600"}}}});
  if (!dlq) return dlq.error();
  auto arn =
      call(c, "GetQueueAttributes", {{"QueueUrl", dlq->value("QueueUrl", "")}, {"AttributeNames", {"QueueArn"}}});
  if (!arn) return arn.error();
  const std::string dlq_arn = (*arn)["Attributes"].value("QueueArn", "");
  const nlohmann::json redrive = {{"deadLetterTargetArn", dlq_arn}, {"maxReceiveCount", std::to_string(max_receives)}};
  auto q = call(c, "CreateQueue",
                {{"QueueName", names.queue},
                 {"Attributes",
                  {{"FifoQueue", "true"},
                   {"ContentBasedDeduplication", "false"},
                   {"VisibilityTimeout", std::to_string(visibility_timeout_s)},
                   {"RedrivePolicy", redrive.dump()}}}});
  if (!q) return q.error();
  return Ok{};
}

Result<std::unique_ptr<SqsJobQueue>> SqsJobQueue::open(aws::Client client, const QueueNames& names, int max_receives) {
  auto q = queue_url(client, names.queue);
  if (!q) return q.error();
  auto d = queue_url(client, names.dead_letters);
  if (!d) return d.error();
  return std::unique_ptr<SqsJobQueue>(new SqsJobQueue(std::move(client), *q, *d, max_receives));
}

Result<Ok> SqsJobQueue::send(const std::string& job_id, const std::string& dedup_id) {
  auto r = call(client_, "SendMessage",
                {{"QueueUrl", queue_url_},
                 {"MessageBody", nlohmann::json{{"job_id", job_id}}.dump()},
                 {"MessageGroupId", job_id},
                 {"MessageDeduplicationId", dedup_id}});
  if (!r) return r.error();
  return Ok{};
}

Result<std::optional<QueueMessage>> SqsJobQueue::receive(std::chrono::seconds visibility,
                                                         std::chrono::milliseconds wait) {
  for (;;) {
    auto r = call(client_, "ReceiveMessage",
                  {{"QueueUrl", queue_url_},
                   {"MaxNumberOfMessages", 1},
                   {"VisibilityTimeout", visibility.count()},
                   // Long polling in whole seconds, rounded up: a short wait must not become a busy loop.
                   {"WaitTimeSeconds", std::min<long long>(20, (wait.count() + 999) / 1000)},
                   {"AttributeNames", {"ApproximateReceiveCount"}}});
    if (!r) return r.error();
    auto m = first_message(*r);
    if (!m || m->receive_count <= max_receives_) return m;
    // Poison message: to the dead-letter queue, where take_dead_letters() finds it.
    auto moved =
        call(client_, "SendMessage",
             {{"QueueUrl", dlq_url_},
              {"MessageBody", nlohmann::json{{"job_id", m->job_id}, {"receive_count", m->receive_count}}.dump()},
              {"MessageGroupId", m->job_id.empty() ? "unknown" : m->job_id},
              {"MessageDeduplicationId", m->job_id + "-dead-" + std::to_string(m->receive_count)}});
    if (!moved) return moved.error();
    if (auto acked = ack(*m); !acked) return acked.error();
  }
}

Result<Ok> SqsJobQueue::ack(const QueueMessage& message) {
  auto r = call(client_, "DeleteMessage", {{"QueueUrl", queue_url_}, {"ReceiptHandle", message.receipt}});
  if (!r) return r.error();
  return Ok{};
}

Result<Ok> SqsJobQueue::extend_visibility(const QueueMessage& message, std::chrono::seconds visibility) {
  auto r =
      call(client_, "ChangeMessageVisibility",
           {{"QueueUrl", queue_url_}, {"ReceiptHandle", message.receipt}, {"VisibilityTimeout", visibility.count()}});
  if (!r) return r.error();
  return Ok{};
}

Result<std::vector<QueueMessage>> SqsJobQueue::take_dead_letters() {
  std::vector<QueueMessage> out;
  for (;;) {
    auto r =
        call(client_, "ReceiveMessage",
             {{"QueueUrl", dlq_url_}, {"MaxNumberOfMessages", 10}, {"VisibilityTimeout", 30}, {"WaitTimeSeconds", 0}});
    if (!r) return r.error();
    if (!r->contains("Messages") || (*r)["Messages"].empty()) return out;
    for (const auto& m : (*r)["Messages"]) {
      auto body = nlohmann::json::parse(m.value("Body", "{}"), nullptr, false);
      QueueMessage q;
      q.job_id = body.is_object() ? body.value("job_id", "") : "";
      q.receive_count = body.is_object() ? body.value("receive_count", max_receives_ + 1) : max_receives_ + 1;
      q.receipt = m.value("ReceiptHandle", "");
      // A dead letter left undeleted is taken again next time; failing its job twice is harmless
      // (the second write finds it failed already).
      (void)call(client_, "DeleteMessage", {{"QueueUrl", dlq_url_}, {"ReceiptHandle", q.receipt}});
      out.push_back(q);
    }
  }
}

}  // namespace chronicle::sqs
