#include "backend/sealed_webhooks.hpp"

#include "core/hex.hpp"
#include "sys/sealed.hpp"

namespace chronicle {
namespace {

// The sealed bytes are binary; stores keep text (SQLite TEXT, DynamoDB strings), so they are kept
// as hex after a prefix that says what they are.
constexpr std::string_view kPrefix = "sealed:";

std::string context_of(const Webhook& w) { return "webhook:" + w.id; }

}  // namespace

Result<Webhook> SealedWebhookStore::create(const Webhook& webhook) {
  if (key_.empty() || webhook.secret.empty()) return inner_->create(webhook);
  Webhook stored = webhook;
  auto sealed = sys::seal(key_, webhook.secret, context_of(webhook));
  if (!sealed) return sealed.error();
  stored.secret = std::string(kPrefix) + to_hex(sealed->data(), sealed->size());
  auto created = inner_->create(stored);
  if (!created) return created.error();
  created->secret = webhook.secret;
  return created;
}

Result<Webhook> SealedWebhookStore::opened(Webhook w) const {
  if (!w.secret.starts_with(kPrefix)) return w;  // stored without a key
  if (key_.empty())
    return make_error("cookies_key_missing",
                      "webhook " + w.id + "'s signing secret is sealed, and CHRONICLE_COOKIES_KEY is not set");
  auto bytes = from_hex(std::string_view(w.secret).substr(kPrefix.size()));
  if (!bytes) return make_error("unseal_failed", "webhook " + w.id + "'s sealed secret is damaged");
  auto secret = sys::unseal(key_, *bytes, context_of(w));
  if (!secret) return secret.error();
  w.secret = std::move(*secret);
  return w;
}

Result<std::vector<Webhook>> SealedWebhookStore::list() {
  auto all = inner_->list();
  if (!all) return all.error();
  for (auto& w : *all) {
    auto o = opened(std::move(w));
    if (!o) return o.error();
    w = std::move(*o);
  }
  return all;
}

Result<std::optional<Webhook>> SealedWebhookStore::get(const std::string& id) {
  auto w = inner_->get(id);
  if (!w || !*w) return w;
  auto o = opened(std::move(**w));
  if (!o) return o.error();
  return std::optional<Webhook>(std::move(*o));
}

}  // namespace chronicle
