#pragma once
#include "aws/aws.hpp"
#include "core/webhook.hpp"
#include "store/dynamodb/dynamodb_job_store.hpp"

namespace chronicle::dynamodb {

// Webhooks and their outbox in the jobs' table, on the table's existing indexes (so an older
// table needs nothing new):
// - "webhook#<id>": the webhook (its secret included: the table is encrypted at rest), listed by
//   the `list` index under list_pk "webhook".
// - "delivery#<delivery id>": one delivery. Under list_pk "delivery#<webhook id>" with the `list`
//   index's sort key `id` = "<created ms>#<delivery id>", so a webhook's newest deliveries are one
//   Query; while pending, feed_pk "outbox" with `seq` = its next attempt (ms), so the due ones are
//   one Query of the `feed` index (sparse: an ended delivery leaves it, and expires after 30 days).
// - "webhook_cursor#jobs": how far the job feed has been turned into deliveries; it only moves on.
class DynamoWebhookStore final : public WebhookStore {
 public:
  DynamoWebhookStore(aws::Client client, TableOptions options)
      : client_(std::move(client)), options_(std::move(options)) {}

  Result<Webhook> create(const Webhook& webhook) override;
  Result<std::vector<Webhook>> list() override;
  Result<std::optional<Webhook>> get(const std::string& id) override;
  Result<bool> remove(const std::string& id) override;
  Result<bool> enqueue(const Delivery& delivery) override;
  Result<std::vector<Delivery>> due(TimePoint at, std::size_t limit) override;
  Result<bool> claim(Delivery& delivery, TimePoint lease_until) override;
  Result<Ok> update(const Delivery& delivery) override;
  Result<std::vector<Delivery>> recent(const std::string& webhook_id, std::size_t limit) override;
  // DynamoDB's TTL removes ended deliveries (expires_at, kEndedDeliveryKept after they ended).
  Result<std::size_t> prune(TimePoint) override { return std::size_t{0}; }
  Result<std::optional<std::int64_t>> feed_cursor() override;
  Result<Ok> set_feed_cursor(std::int64_t cursor) override;

 private:
  Result<std::vector<Delivery>> query_deliveries(nlohmann::json request, std::size_t limit);
  aws::Client client_;
  TableOptions options_;
};

}  // namespace chronicle::dynamodb
