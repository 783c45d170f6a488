#pragma once
// Webhooks: HTTP deliveries of what happens to jobs and channels. Every delivery goes through a
// durable outbox first (WebhookStore), so one survives a receiver that is down and a restart of
// chronicle; the sender retries with backoff.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "core/time.hpp"

namespace chronicle {

namespace webhook_event {
inline constexpr const char* recording = "job.recording";
inline constexpr const char* completed = "job.completed";
inline constexpr const char* failed = "job.failed";
inline constexpr const char* channel_live = "channel.live";
inline constexpr const char* ping = "ping";  // sent by POST /api/v1/webhooks/{id}/test
}  // namespace webhook_event
inline constexpr std::string_view kWebhookEvents[] = {"job.recording", "job.completed", "job.failed", "channel.live"};

// `json`: chronicle's own body, signed. `discord`: a Discord webhook's {"content"}. `ntfy`: a
// plain-text message with a Title header, for an ntfy topic URL.
enum class WebhookFormat { json, discord, ntfy };
std::string_view to_string(WebhookFormat f);
std::optional<WebhookFormat> parse_webhook_format(std::string_view s);

struct Webhook {
  std::string id;
  std::string url;
  std::vector<std::string> events;
  WebhookFormat format = WebhookFormat::json;
  std::string secret;  // HMAC-SHA256 key; never shown after creation
  TimePoint created_at{};
};

enum class DeliveryState { pending, delivered, failed };
std::string_view to_string(DeliveryState s);

struct Delivery {
  std::string id;  // unique per (webhook, event, subject): the same event is never queued twice
  std::string webhook_id;
  std::string event;
  std::string body;  // as it will be sent
  DeliveryState state = DeliveryState::pending;
  int attempts = 0;
  TimePoint created_at{};
  TimePoint next_attempt_at{};
  std::optional<TimePoint> delivered_at;
  int last_status = 0;  // HTTP status of the last attempt; 0: no answer
  std::string last_error;
};

// A webhook's URL as it is shown after its creation: credentials masked as "***" wherever URLs
// carry them: the userinfo, query parameters named like secrets (token, key, auth, sig, ...), and
// the path where known receivers put their token (Discord's and Slack's webhook paths, Telegram's
// /bot<token>). Only its creator sees the full URL, once, in the answer to the creation.
std::string masked_url(const std::string& url);

nlohmann::json to_public_json(const Webhook& w);  // without the secret, the URL masked
nlohmann::json to_public_json(const Delivery& d);

// What a webhook's receiver gets for an event about `subject` (a job or channel, as public JSON).
struct OutgoingMessage {
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // besides the signature headers
};
OutgoingMessage render_event(WebhookFormat format, const std::string& event, const std::string& delivery_id,
                             const nlohmann::json& subject, TimePoint at);

// When a delivery that failed `attempts` times is tried again: 5 s, 10 s, 20 s ... up to an hour.
TimePoint next_attempt(int attempts, TimePoint at);
inline constexpr int kMaxDeliveryAttempts = 15;  // about half a day of retries
// How long an ended delivery stays listed (GET /api/v1/webhooks/{id}) before it is forgotten.
inline constexpr std::chrono::hours kEndedDeliveryKept{24 * 30};

// The outbox and the webhooks.
class WebhookStore {
 public:
  virtual ~WebhookStore() = default;
  virtual Result<Webhook> create(const Webhook& webhook) = 0;
  virtual Result<std::vector<Webhook>> list() = 0;
  virtual Result<std::optional<Webhook>> get(const std::string& id) = 0;
  virtual Result<bool> remove(const std::string& id) = 0;  // its deliveries go too
  // Queues a delivery unless one with its id exists; true when queued.
  virtual Result<bool> enqueue(const Delivery& delivery) = 0;
  // Pending deliveries whose next attempt is at or before `at`, soonest first.
  virtual Result<std::vector<Delivery>> due(TimePoint at, std::size_t limit) = 0;
  // Takes a due delivery for one attempt, so that two senders (serve and a scheduled pass, two
  // Lambda invocations) never send it at once: its next attempt moves to `lease_until` only if it is
  // still pending with the attempts and next attempt read. False: another sender took it. A sender
  // that dies mid-attempt leaves it to be tried again once the lease is over.
  virtual Result<bool> claim(Delivery& delivery, TimePoint lease_until) = 0;
  virtual Result<Ok> update(const Delivery& delivery) = 0;
  virtual Result<std::vector<Delivery>> recent(const std::string& webhook_id, std::size_t limit) = 0;
  // Forgets deliveries that ended (delivered or given up) before `ended_before`; returns how many.
  // Stores that expire them by themselves (DynamoDB's TTL) may do nothing.
  virtual Result<std::size_t> prune(TimePoint ended_before) = 0;
  // Where the job feed was read up to (the events of later changes are not queued yet).
  virtual Result<std::optional<std::int64_t>> feed_cursor() = 0;
  virtual Result<Ok> set_feed_cursor(std::int64_t cursor) = 0;
};

// Queues `event` about `subject` for `hook` (rendered now), unless already queued: the delivery's
// id names the webhook, the event and `key`. `queued`: whether this call queued it.
Result<Delivery> queue_delivery(WebhookStore& store, const Webhook& hook, const std::string& event,
                                const std::string& key, const nlohmann::json& subject, bool* queued = nullptr);

}  // namespace chronicle
