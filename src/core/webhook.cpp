#include "core/webhook.hpp"

#include "core/json_fields.hpp"

#include <algorithm>
#include <cctype>
#include <string>

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

namespace {

std::string lower_ascii(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool host_is(const std::string& host, const std::string& domain) {
  return host == domain || (host.size() > domain.size() && host.ends_with("." + domain));
}

bool secret_parameter(const std::string& name) {
  const std::string n = lower_ascii(name);
  for (const char* word :
       {"token", "key", "auth", "secret", "password", "passwd", "pass", "sig", "signature", "credential", "session"})
    if (n.find(word) != std::string::npos) return true;
  return false;
}

// The path with every segment from `first` on (0-based, after the leading "/") masked.
std::string mask_segments_from(const std::string& path, std::size_t first) {
  std::string out;
  std::size_t index = 0, at = 0;
  while (at < path.size()) {
    const std::size_t slash = path.find('/', at + 1);
    const std::string segment = path.substr(at + 1, slash == std::string::npos ? std::string::npos : slash - at - 1);
    out += "/" + (index >= first && !segment.empty() ? std::string("***") : segment);
    ++index;
    if (slash == std::string::npos) break;
    at = slash;
  }
  return out;
}

}  // namespace

// A hand-written split, not the URL policy's parser: this must mask whatever was stored, also a
// URL the policy would refuse today, and keep everything it does not mask byte for byte.
std::string masked_url(const std::string& url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return url;
  const std::size_t authority_at = scheme_end + 3;
  std::size_t authority_end = url.find_first_of("/?#", authority_at);
  if (authority_end == std::string::npos) authority_end = url.size();
  std::string authority = url.substr(authority_at, authority_end - authority_at);
  if (const auto at = authority.rfind('@'); at != std::string::npos) authority = "***@" + authority.substr(at + 1);
  std::string host = authority.substr(authority.rfind('@') == std::string::npos ? 0 : authority.rfind('@') + 1);
  if (!host.empty() && host.front() != '[') host = host.substr(0, host.find(':'));
  host = lower_ascii(host);

  const std::string rest = url.substr(authority_end);
  const auto fragment_at = rest.find('#');
  const std::string before_fragment = rest.substr(0, fragment_at);
  const std::string fragment = fragment_at == std::string::npos ? "" : rest.substr(fragment_at);
  const auto query_at = before_fragment.find('?');
  std::string path = before_fragment.substr(0, query_at);
  std::string query = query_at == std::string::npos ? "" : before_fragment.substr(query_at + 1);

  // Discord: /api/webhooks/<id>/<token>; Slack: /services/<team>/<bot>/<token>; Telegram: /bot<token>/...
  const bool discord =
      (host_is(host, "discord.com") || host_is(host, "discordapp.com")) && path.starts_with("/api/webhooks/");
  const bool slack = host_is(host, "slack.com") && path.starts_with("/services/");
  if (discord || slack)
    path = mask_segments_from(path, 3);
  else if (host == "api.telegram.org" && path.starts_with("/bot"))
    path = "/bot***" + path.substr(std::min(path.size(), path.find('/', 1)));

  std::string masked_query;
  std::size_t at = 0;
  while (query_at != std::string::npos && at <= query.size()) {
    std::size_t amp = query.find('&', at);
    if (amp == std::string::npos) amp = query.size();
    const std::string pair = query.substr(at, amp - at);
    const auto eq = pair.find('=');
    if (!masked_query.empty()) masked_query += "&";
    masked_query +=
        eq != std::string::npos && secret_parameter(pair.substr(0, eq)) ? pair.substr(0, eq) + "=***" : pair;
    at = amp + 1;
  }
  return url.substr(0, authority_at) + authority + path + (query_at == std::string::npos ? "" : "?" + masked_query) +
         fragment;
}

nlohmann::json to_public_json(const Webhook& w) {
  return {{"id", w.id},
          {"url", masked_url(w.url)},
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
