#pragma once
#include <memory>

#include "core/webhook.hpp"
#include "store/sqlite/db.hpp"

namespace chronicle::sqlite {

// Webhooks and their outbox in the jobs' database: a delivery is written in the same file as the
// job change it reports, and survives a restart.
class SqliteWebhookStore final : public WebhookStore {
 public:
  static Result<std::unique_ptr<SqliteWebhookStore>> open(std::shared_ptr<Db> db);

  Result<Webhook> create(const Webhook& webhook) override;
  Result<std::vector<Webhook>> list() override;
  Result<std::optional<Webhook>> get(const std::string& id) override;
  Result<bool> remove(const std::string& id) override;
  Result<bool> enqueue(const Delivery& delivery) override;
  Result<std::vector<Delivery>> due(TimePoint at, std::size_t limit) override;
  Result<bool> claim(Delivery& delivery, TimePoint lease_until) override;
  Result<Ok> update(const Delivery& delivery) override;
  Result<std::vector<Delivery>> recent(const std::string& webhook_id, std::size_t limit) override;
  Result<std::size_t> prune(TimePoint ended_before) override;
  Result<std::optional<std::int64_t>> feed_cursor() override;
  Result<Ok> set_feed_cursor(std::int64_t cursor) override;

 private:
  explicit SqliteWebhookStore(std::shared_ptr<Db> db) : db_(std::move(db)) {}
  std::shared_ptr<Db> db_;
};

}  // namespace chronicle::sqlite
