#include "core/ids.hpp"
#include "http/routes.hpp"

namespace chronicle::http {
namespace bhttp = boost::beast::http;

namespace {

// The fields a client may send for a channel, each of its type; the reply refusing a wrong one.
std::variant<ChannelRequest, Reply> channel_request(const nlohmann::json& body) {
  ChannelRequest r;
  auto wrong = [](const char* key, const char* type) {
    return error_reply(400, "invalid_body", std::string("field '") + key + "' must be " + type);
  };
  auto present = [&](const char* key) { return body.contains(key) && !body[key].is_null(); };
  if (auto refused = unknown_field(
          body, {"url", "name", "prefix", "name_format", "format", "enabled", "poll_interval_s"}, "a channel"))
    return *refused;
  for (auto [key, field] : {std::pair{"url", &r.url}, std::pair{"name", &r.name}, std::pair{"prefix", &r.prefix},
                            std::pair{"name_format", &r.name_format}, std::pair{"format", &r.format}}) {
    if (!present(key)) continue;
    if (!body[key].is_string()) return wrong(key, "a string");
    *field = body[key].get<std::string>();
  }
  if (r.url) r.url = with_default_scheme(*r.url);
  // Before quality existed a channel's name template was its "format": say where it went.
  if (r.format && r.format->find('{') != std::string::npos)
    return error_reply(400, "invalid_format",
                       "field 'format' is the recordings' quality (best, 1080p, 720p, 480p, audio or a yt-dlp "
                       "selector); a name template such as '{channel} {date}' goes in 'name_format'");
  if (present("poll_interval_s")) {
    if (!body["poll_interval_s"].is_number()) return wrong("poll_interval_s", "a number of seconds");
    r.poll_interval_s = body["poll_interval_s"].get<double>();
  }
  if (present("enabled")) {
    if (!body["enabled"].is_boolean()) return wrong("enabled", "true or false");
    r.enabled = body["enabled"].get<bool>();
  }
  return r;
}

}  // namespace

Reply Router::channels_api(const Request& req, const std::string& path) {
  const auto m = req.method();
  const bool read = m == bhttp::verb::get || m == bhttp::verb::head;
  if (!channels_)
    return error_reply(501, "not_implemented",
                       "channels are not available on the " + std::string(to_string(config_.backend)) + " backend");
  auto parsed_request = [&]() -> std::variant<ChannelRequest, Reply> {
    auto body = json_body(req);
    if (auto* refused = std::get_if<Reply>(&body)) return std::move(*refused);
    return channel_request(std::get<nlohmann::json>(body));
  };

  constexpr std::string_view kRoot = "/api/v1/channels";
  std::string rest = path.substr(kRoot.size());
  if (rest.empty() || rest == "/") {
    if (read) {
      auto all = channels_->list();
      if (!all) return error_reply(all.error());
      nlohmann::json list = nlohmann::json::array();
      for (const auto& c : *all) list.push_back(to_public_json(c));
      return json_reply(200, {{"channels", list}});
    }
    if (m != bhttp::verb::post) return method_not_allowed("GET, POST");
    auto request = parsed_request();
    if (auto* refused = std::get_if<Reply>(&request)) return std::move(*refused);
    auto added = channels_->add(std::get<ChannelRequest>(request));
    if (!added) return error_reply(added.error());
    Reply r = json_reply(201, to_public_json(*added));
    r.headers.emplace_back("Location", std::string(kRoot) + "/" + added->id);
    return r;
  }

  const auto [id, action] = split_resource(std::string_view(rest).substr(1));
  if (!looks_like_job_id(id)) return error_reply(404, "not_found", "no channel with id '" + id.substr(0, 64) + "'");
  if (action.empty()) {
    if (read) {
      auto c = channels_->get(id);
      if (!c) return error_reply(c.error());
      return json_reply(200, to_public_json(*c));
    }
    if (m == bhttp::verb::patch) {
      auto request = parsed_request();
      if (auto* refused = std::get_if<Reply>(&request)) return std::move(*refused);
      auto updated = channels_->update(id, std::get<ChannelRequest>(request));
      if (!updated) return error_reply(updated.error());
      return json_reply(200, to_public_json(*updated));
    }
    if (m == bhttp::verb::delete_) {
      auto removed = channels_->remove(id);
      if (!removed) return error_reply(removed.error());
      return json_reply(200, {{"deleted", id}});
    }
    return method_not_allowed("GET, PATCH, DELETE");
  }
  if (action == "check") {
    if (m != bhttp::verb::post) return method_not_allowed("POST");
    auto checked = channels_->check(id);
    if (!checked) return error_reply(checked.error());
    return json_reply(200, to_public_json(*checked));
  }
  return error_reply(404, "not_found", "no such endpoint: " + path);
}

}  // namespace chronicle::http
