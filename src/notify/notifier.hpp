#pragma once
// Turns what happens into webhook deliveries and sends them. Job events come from the store's
// change feed, read from a cursor kept in the outbox's database, so events of changes made while
// serve was down are still sent; each delivery is queued once (its id names the webhook, event and
// subject) and retried with backoff until the receiver accepts it.
#include <nlohmann/json.hpp>

#include <cstddef>
#include <stop_token>
#include <string>
#include <thread>
#include <utility>

#include "core/channel_service.hpp"
#include "core/ports.hpp"
#include "core/url_policy.hpp"
#include "core/webhook.hpp"

namespace chronicle::notify {

// The headers a receiver checks a delivery with: the signature is HMAC-SHA256 over
// "<timestamp>.<body>" with the webhook's secret, hex, as "sha256=<hex>".
inline constexpr const char* kSignatureHeader = "X-Chronicle-Signature";
inline constexpr const char* kTimestampHeader = "X-Chronicle-Timestamp";
std::string signature(const std::string& secret, const std::string& timestamp, const std::string& body);

class Notifier {
 public:
  Notifier(WebhookStore& hooks, JobStore& jobs, UrlPolicy policy)
      : hooks_(hooks), jobs_(jobs), policy_(std::move(policy)) {}
  ~Notifier() { stop(); }
  void start(const std::stop_token& shutdown);
  void stop();

  // Queues `event` about `subject` for every webhook that asks for it; `key` tells this event
  // apart from others of its kind (a job id). Returns how many were queued.
  Result<std::size_t> notify(const std::string& event, const std::string& key, const nlohmann::json& subject);
  // Reads the job feed from the stored cursor and queues the events it shows.
  Result<std::size_t> follow_jobs();
  // Queues channel.live for every session a check of `channels` finds live.
  void watch_channels(ChannelService& channels);
  // Sends the deliveries that are due, taking each with a lease first (see WebhookStore::claim),
  // until none is due or `deadline` has passed; returns how many were accepted.
  std::size_t send_due(TimePoint deadline = TimePoint::max());

 private:
  Result<bool> queue_for(const Webhook& hook, const std::string& event, const std::string& key,
                         const nlohmann::json& subject);
  bool deliver(Delivery d, const Webhook& hook);
  void give_up(Delivery d, const std::string& why);

  WebhookStore& hooks_;
  JobStore& jobs_;
  UrlPolicy policy_;
  std::jthread thread_;
};

}  // namespace chronicle::notify
