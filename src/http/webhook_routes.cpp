#include <algorithm>

#include "core/ids.hpp"
#include "http/routes.hpp"

namespace chronicle::http {
namespace bhttp = boost::beast::http;

namespace {

constexpr std::size_t kMaxSecret = 256;
constexpr std::size_t kShownDeliveries = 20;

}  // namespace

Reply Router::webhooks_api(const Request& req, const std::string& path) {
  const auto m = req.method();
  const bool read = m == bhttp::verb::get || m == bhttp::verb::head;
  if (!webhooks_)
    return error_reply(501, "not_implemented",
                       "webhooks are not available on the " + std::string(to_string(config_.backend)) + " backend");
  constexpr std::string_view kRoot = "/api/v1/webhooks";
  std::string rest = path.substr(kRoot.size());
  if (rest.empty() || rest == "/") {
    if (read) {
      auto all = webhooks_->list();
      if (!all) return error_reply(all.error());
      nlohmann::json list = nlohmann::json::array();
      for (const auto& w : *all) list.push_back(to_public_json(w));
      return json_reply(200, {{"webhooks", list}});
    }
    if (m != bhttp::verb::post) return method_not_allowed("GET, POST");
    auto parsed = json_body(req);
    if (auto* refused = std::get_if<Reply>(&parsed)) return std::move(*refused);
    const auto& body = std::get<nlohmann::json>(parsed);
    if (auto refused = unknown_field(body, {"url", "events", "secret", "format"}, "a webhook")) return *refused;
    if (!body.contains("url") || !body["url"].is_string())
      return error_reply(400, "invalid_body", "field 'url' is required: where the deliveries are POSTed");
    Webhook hook;
    hook.url = body["url"].get<std::string>();
    auto address = service_.check_address(hook.url);
    if (!address) return error_reply(address.error());
    if (address->scheme != "http" && address->scheme != "https")
      return error_reply(400, "invalid_url", "a webhook receives HTTP(S) POSTs; '" + address->scheme + "' is not one");
    if (body.contains("events") && !body["events"].is_null()) {
      if (!body["events"].is_array() || body["events"].empty())
        return error_reply(400, "invalid_body", "field 'events' must be a non-empty list of event names");
      for (const auto& e : body["events"]) {
        const std::string name = e.is_string() ? e.get<std::string>() : std::string();
        if (std::find(std::begin(kWebhookEvents), std::end(kWebhookEvents), name) == std::end(kWebhookEvents))
          return error_reply(400, "invalid_body",
                             "unknown event '" + name.substr(0, 40) +
                                 "' (events: job.recording, job.completed, job.failed, channel.live)");
        if (std::find(hook.events.begin(), hook.events.end(), name) == hook.events.end()) hook.events.push_back(name);
      }
    } else {
      hook.events.assign(std::begin(kWebhookEvents), std::end(kWebhookEvents));
    }
    if (body.contains("secret") && !body["secret"].is_null()) {
      if (!body["secret"].is_string() || body["secret"].get<std::string>().size() > kMaxSecret)
        return error_reply(400, "invalid_body", "field 'secret' must be a string of at most 256 characters");
      hook.secret = body["secret"].get<std::string>();
    }
    if (body.contains("format") && !body["format"].is_null()) {
      auto f = body["format"].is_string() ? parse_webhook_format(body["format"].get<std::string>()) : std::nullopt;
      if (!f) return error_reply(400, "invalid_body", "field 'format' is json, discord or ntfy");
      hook.format = *f;
    }
    if (auto all = webhooks_->list(); !all) {
      return error_reply(all.error());
    } else if (all->size() >= static_cast<std::size_t>(config_.max_webhooks)) {
      return error_reply(409, "limit_reached",
                         "there are already " + std::to_string(all->size()) +
                             " webhooks, the most max_webhooks (CHRONICLE_MAX_WEBHOOKS) allows; remove one or raise "
                             "the setting");
    }
    hook.id = new_job_id();
    hook.created_at = now();
    auto created = webhooks_->create(hook);
    if (!created) return error_reply(created.error());
    // The full URL this once, to whoever created it; masked in every answer after.
    auto shown = to_public_json(*created);
    shown["url"] = created->url;
    Reply r = json_reply(201, shown);
    r.headers.emplace_back("Location", std::string(kRoot) + "/" + created->id);
    return r;
  }

  const auto [given, action] = split_resource(std::string_view(rest).substr(1));
  std::string id = given;
  if (!looks_like_job_id(given)) {
    auto all = webhooks_->list();
    if (!all) return error_reply(all.error());
    auto resolved = resolve_id_in(given, *all, "webhook");
    if (!resolved) return error_reply(resolved.error());
    id = *resolved;
  }
  auto hook = webhooks_->get(id);
  if (!hook) return error_reply(hook.error());
  if (!*hook) return error_reply(404, "not_found", "no webhook with id '" + id + "'");
  if (action.empty()) {
    if (read) {
      auto j = to_public_json(**hook);
      auto recent = webhooks_->recent(id, kShownDeliveries);
      if (!recent) return error_reply(recent.error());
      j["deliveries"] = nlohmann::json::array();
      for (const auto& d : *recent) j["deliveries"].push_back(to_public_json(d));
      return json_reply(200, j);
    }
    if (m == bhttp::verb::delete_) {
      auto removed = webhooks_->remove(id);
      if (!removed) return error_reply(removed.error());
      return json_reply(200, {{"deleted", id}});
    }
    return method_not_allowed("GET, DELETE");
  }
  if (action == "test") {
    if (m != bhttp::verb::post) return method_not_allowed("POST");
    // Test pings wait behind each other for a receiver that is down: a few, not an unbounded pile.
    const auto cap = static_cast<std::size_t>(config_.max_pending_tests);
    auto recent = webhooks_->recent(id, 200);
    if (!recent) return error_reply(recent.error());
    const auto waiting = std::count_if(recent->begin(), recent->end(), [](const Delivery& d) {
      return d.event == webhook_event::ping && d.state == DeliveryState::pending;
    });
    if (static_cast<std::size_t>(waiting) >= cap) {
      Reply r = error_reply(429, "too_many_tests",
                            std::to_string(waiting) +
                                " test deliveries to this webhook are still waiting, the most max_pending_tests "
                                "(CHRONICLE_MAX_PENDING_TESTS) allows; see its deliveries for why");
      r.headers.emplace_back("Retry-After", "30");
      return r;
    }
    auto queued = queue_delivery(*webhooks_, **hook, webhook_event::ping, new_job_id(),
                                 nlohmann::json{{"url", masked_url((*hook)->url)}});
    if (!queued) return error_reply(queued.error());
    return json_reply(202, to_public_json(*queued));
  }
  return error_reply(404, "not_found", "no such endpoint: " + path);
}

}  // namespace chronicle::http
