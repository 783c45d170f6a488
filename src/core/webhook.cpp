#include "core/webhook.hpp"

#include "core/json_fields.hpp"

#include <algorithm>

namespace chronicle {

std::string_view to_string(WebhookFormat f) {
  switch (f) {
    case WebhookFormat::discord:
      return "discord";
    case WebhookFormat::ntfy:
      return "ntfy";
    default:
      return "json";
  }
}

std::optional<WebhookFormat> parse_webhook_format(std::string_view s) {
  if (s == "json") return WebhookFormat::json;
  if (s == "discord") return WebhookFormat::discord;
  if (s == "ntfy") return WebhookFormat::ntfy;
  return std::nullopt;
}

std::string_view to_string(DeliveryState s) {
  switch (s) {
    case DeliveryState::delivered:
      return "delivered";
    case DeliveryState::failed:
      return "failed";
    default:
      return "pending";
  }
}

nlohmann::json to_public_json(const Webhook& w) {
  return {{"id", w.id},
          {"url", w.url},
          {"events", w.events},
          {"format", to_string(w.format)},
          {"signed", !w.secret.empty()},
          {"created_at", to_rfc3339(w.created_at)}};
}

nlohmann::json to_public_json(const Delivery& d) {
  return {{"id", d.id},
          {"event", d.event},
          {"state", to_string(d.state)},
          {"attempts", d.attempts},
          {"created_at", to_rfc3339(d.created_at)},
          {"next_attempt_at",
           d.state == DeliveryState::pending ? nlohmann::json(to_rfc3339(d.next_attempt_at)) : nlohmann::json(nullptr)},
          {"delivered_at", time_or_null(d.delivered_at)},
          {"last_status", d.last_status ? nlohmann::json(d.last_status) : nlohmann::json(nullptr)},
          {"last_error", d.last_error.empty() ? nlohmann::json(nullptr) : nlohmann::json(d.last_error)}};
}

namespace {

std::string text(const nlohmann::json& j, const char* key) {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

// One line a person reads: "Recording started: evening news (https://...)".
std::string headline(const std::string& event, const nlohmann::json& subject) {
  std::string label = text(subject, "name");
  if (label.empty()) label = text(subject, "title");
  const std::string url = text(subject, "url");
  if (label.empty()) label = url;
  const std::string where = label == url ? label : label + " (" + url + ")";
  if (event == webhook_event::recording) return "Recording started: " + where;
  if (event == webhook_event::completed) return "Recording completed: " + where;
  if (event == webhook_event::failed) {
    std::string why;
    if (subject.contains("error") && subject["error"].is_object()) why = ": " + text(subject["error"], "message");
    return "Recording failed: " + where + why;
  }
  if (event == webhook_event::channel_live) return "Channel live: " + where;
  return "chronicle test delivery";
}

}  // namespace

OutgoingMessage render_event(WebhookFormat format, const std::string& event, const std::string& delivery_id,
                             const nlohmann::json& subject, TimePoint at) {
  OutgoingMessage m;
  const std::string line = headline(event, subject);
  switch (format) {
    case WebhookFormat::discord:
      m.content_type = "application/json";
      // Discord refuses content over 2,000 characters.
      m.body =
          nlohmann::json{{"content", line.substr(0, 1900)}, {"allowed_mentions", {{"parse", nlohmann::json::array()}}}}
              .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      break;
    case WebhookFormat::ntfy:
      m.content_type = "text/plain; charset=utf-8";
      m.body = line;
      m.headers = {{"Title", "chronicle: " + event},
                   {"Tags", event == webhook_event::failed ? "warning" : "movie_camera"}};
      break;
    default: {
      nlohmann::json body = {{"event", event}, {"delivery_id", delivery_id}, {"at", to_rfc3339(at)}, {"text", line}};
      body[event.starts_with("channel.") ? "channel" : "job"] = subject;
      m.content_type = "application/json";
      m.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
  }
  return m;
}

TimePoint next_attempt(int attempts, TimePoint at) {
  const int doublings = std::clamp(attempts - 1, 0, 10);
  const auto wait = std::min<std::int64_t>(5LL << doublings, 3600);
  return at + std::chrono::seconds(wait);
}

Result<Delivery> queue_delivery(WebhookStore& store, const Webhook& hook, const std::string& event,
                                const std::string& key, const nlohmann::json& subject, bool* queued) {
  Delivery d;
  d.id = hook.id + ":" + event + ":" + key;
  d.webhook_id = hook.id;
  d.event = event;
  d.created_at = now();
  d.next_attempt_at = d.created_at;
  d.body = render_event(hook.format, event, d.id, subject, d.created_at).body;
  auto q = store.enqueue(d);
  if (!q) return q.error();
  if (queued) *queued = *q;
  return d;
}

}  // namespace chronicle
