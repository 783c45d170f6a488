#pragma once
// Turns what happens into webhook deliveries and sends them. Job events come from the store's
// change feed, read from a cursor kept in the outbox's database, so events of changes made while
// serve was down are still sent; each delivery is queued once (its id names the webhook, event and
// subject) and retried with backoff until the receiver accepts it.
// Deliveries go out side by side, one at a time per webhook: a receiver that is slow or gone holds
// one sender for at most an attempt's timeout and delays only its own deliveries; after a failed
// attempt its webhook rests until that delivery's next attempt, so its queue does not pay the
// timeout once per delivery.
#include <nlohmann/json.hpp>

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <stop_token>
#include <string>
#include <thread>
#include <utility>
#include <vector>

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
  // Deliveries in flight at once (each to a different webhook).
  static constexpr std::size_t kSenders = 32;

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
  // until none can be started or `deadline` has passed, and waits for those in flight; returns how
  // many were accepted. (The background loop of start() does the same without waiting.)
  std::size_t send_due(TimePoint deadline = TimePoint::max());

 private:
  struct Task {
    Delivery delivery;
    Webhook hook;
  };
  Result<bool> queue_for(const Webhook& hook, const std::string& event, const std::string& key,
                         const nlohmann::json& subject);
  // Claims what is due and hands it to the senders; returns how many were handed over.
  std::size_t dispatch_due();
  void sender(const std::stop_token& stop);
  bool deliver(Delivery d, const Webhook& hook, const std::stop_token& stop);
  void give_up(Delivery d, const std::string& why);

  WebhookStore& hooks_;
  JobStore& jobs_;
  UrlPolicy policy_;

  std::mutex mu_;
  std::condition_variable_any changed_;  // a task was queued, a sender finished, or stop
  std::deque<Task> tasks_;
  std::set<std::string> busy_;                // webhooks with a delivery queued or in flight
  std::map<std::string, TimePoint> resting_;  // webhooks whose last attempt failed: not before
  std::size_t accepted_ = 0;
  std::size_t finished_ = 0;           // attempts ended, to wake the loop for the next of a webhook
  std::vector<std::jthread> senders_;  // started with the first delivery
  std::jthread thread_;
};

}  // namespace chronicle::notify
