#pragma once
// Webhook signing secrets sealed at rest with the same key as the cookies
// (CHRONICLE_COOKIES_KEY): a copy of the database or the table then holds no usable secret.
// Without a key, secrets are stored as given (in a 0600 database). A secret stored before a key
// was set is still read, and sealed when the webhook is next written.
#include <memory>
#include <string>

#include "core/webhook.hpp"

namespace chronicle {

class SealedWebhookStore final : public WebhookStore {
 public:
  SealedWebhookStore(std::unique_ptr<WebhookStore> inner, std::string key)
      : inner_(std::move(inner)), key_(std::move(key)) {}

  Result<Webhook> create(const Webhook& webhook) override;
  Result<std::vector<Webhook>> list() override;
  Result<std::optional<Webhook>> get(const std::string& id) override;
  Result<bool> remove(const std::string& id) override { return inner_->remove(id); }
  Result<bool> enqueue(const Delivery& delivery) override { return inner_->enqueue(delivery); }
  Result<std::vector<Delivery>> due(TimePoint at, std::size_t limit) override { return inner_->due(at, limit); }
  Result<bool> claim(Delivery& delivery, TimePoint lease_until) override {
    return inner_->claim(delivery, lease_until);
  }
  Result<Ok> update(const Delivery& delivery) override { return inner_->update(delivery); }
  Result<std::vector<Delivery>> recent(const std::string& webhook_id, std::size_t limit) override {
    return inner_->recent(webhook_id, limit);
  }
  Result<std::size_t> prune(TimePoint ended_before) override { return inner_->prune(ended_before); }
  Result<std::optional<std::int64_t>> feed_cursor() override { return inner_->feed_cursor(); }
  Result<Ok> set_feed_cursor(std::int64_t cursor) override { return inner_->set_feed_cursor(cursor); }

 private:
  Result<Webhook> opened(Webhook w) const;

  std::unique_ptr<WebhookStore> inner_;
  std::string key_;  // raw bytes; empty: no sealing
};

}  // namespace chronicle
