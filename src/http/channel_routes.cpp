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
          body, {"url", "name", "prefix", "name_format", "format", "enabled", "poll_interval_s", "chat"}, "a channel"))
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
  if (present("chat")) {
    if (!body["chat"].is_boolean()) return wrong("chat", "true or false");
    r.chat = body["chat"].get<bool>();
  }
  return r;
}

}  // namespace

Reply Router::name_preview(const Request& req) {
  if (req.method() != bhttp::verb::post) return method_not_allowed("POST");
  auto body = json_body(req);
  if (auto* refused = std::get_if<Reply>(&body)) return std::move(*refused);
  const auto& j = std::get<nlohmann::json>(body);
  if (auto refused = unknown_field(j, {"name_format", "name", "title"}, "a name preview")) return *refused;
  for (const char* key : {"name_format", "name", "title"})
    if (j.contains(key) && !j[key].is_string())
      return error_reply(400, "invalid_body", std::string("field '") + key + "' must be a string");
  Channel sample;
  sample.name = j.value("name", "");
  sample.id = "channel";
  sample.name_format = j.value("name_format", std::string(kDefaultNameFormat));
  if (auto valid = validate_name_format(sample.name_format); !valid) return error_reply(valid.error());
  // The name a recording starting now would get: the server's own rendering, so the preview is
  // what the recording will be called (UTC dates, unsafe characters replaced).
  return json_reply(200, {{"name", render_job_name(sample, j.value("title", "Title of the stream"), now())}});
}

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

  const auto [given, action] = split_resource(std::string_view(rest).substr(1));
  if (given == "name_preview") return name_preview(req);
  // The start of an id is enough, as long as no other channel's id starts the same way. Channels
  // are few (max_channels): the list is the index.
  std::string id = given;
  if (!looks_like_job_id(given)) {
    auto all = channels_->list();
    if (!all) return error_reply(all.error());
    auto resolved = resolve_id_in(given, *all, "channel");
    if (!resolved) return error_reply(resolved.error());
    id = *resolved;
  }
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
