#include "core/names.hpp"
#include "http/routes.hpp"

namespace chronicle::http {
namespace bhttp = boost::beast::http;

nlohmann::json Router::clip_json(const Clip& clip, const std::string& id, std::int64_t link_epoch) const {
  nlohmann::json j = to_json(clip);
  if (signer_.enabled() && j["url"].is_string()) {
    const auto ttl = std::chrono::seconds(static_cast<long long>(config_.link_ttl_s));
    const auto as_of = std::chrono::system_clock::time_point(std::chrono::seconds(link_epoch));
    const std::string base = config_.effective_public_url() + "/api/v1/jobs/" + id + "/clips/" + clip.id;
    const std::string signature = signer_.query(id, "clip:" + clip.id, ttl, as_of);
    j["url"] = base + "/file" + signature;
    if (j["chat"].is_object() && j["chat"]["url"].is_string()) j["chat"]["url"] = base + "/chat" + signature;
  }
  return j;
}

Reply Router::clips_api(const Request& req, const std::string& id, const std::string& action) {
  const auto m = req.method();
  const bool read = m == bhttp::verb::get || m == bhttp::verb::head;
  if (action == "clips") {
    if (read) {
      auto job = service_.get(id);
      if (!job) return error_reply(job.error());
      nlohmann::json clips = nlohmann::json::array();
      const auto epoch = link_epoch();
      for (const auto& c : job->clips) clips.push_back(clip_json(c, id, epoch));
      return json_reply(200, {{"clips", clips}});
    }
    if (m != bhttp::verb::post) return method_not_allowed("GET, POST");
    auto parsed = json_body(req);
    if (auto* refused = std::get_if<Reply>(&parsed)) return std::move(*refused);
    const auto& body = std::get<nlohmann::json>(parsed);
    if (auto refused = unknown_field(body, {"start_s", "end_s", "name"}, "a clip")) return *refused;
    ClipRequest request;
    for (const auto& [key, into] : {std::pair{"start_s", &request.start_s}, std::pair{"end_s", &request.end_s}}) {
      if (!body.contains(key) || !body[key].is_number())
        return error_reply(400, "invalid_body",
                           std::string("field '") + key + "' is required: a number of seconds into the recording");
      *into = body[key].get<double>();
    }
    if (body.contains("name") && !body["name"].is_null()) {
      if (!body["name"].is_string()) return error_reply(400, "invalid_body", "field 'name' must be a string");
      request.name = body["name"].get<std::string>();
    }
    auto made = service_.create_clip(id, request);
    if (!made) return error_reply(made.error());
    Reply r = json_reply(202, clip_json(*made, id, link_epoch()));
    r.headers.emplace_back("Location", "/api/v1/jobs/" + id + "/clips/" + made->id);
    return r;
  }
  std::string rest = action.substr(6);
  const bool file = rest.ends_with("/file"), chat = rest.ends_with("/chat");
  if (file || chat) rest.resize(rest.size() - 5);
  if (rest.empty() || rest.find('/') != std::string::npos)
    return error_reply(404, "not_found", "no such endpoint: /api/v1/jobs/" + id + "/" + action.substr(0, 80));
  if (chat) {
    if (!read) return method_not_allowed("GET");
    auto clip = service_.get_clip(id, rest);
    if (!clip) return error_reply(clip.error());
    if (clip->chat_key.empty())
      return error_reply(
          404, "not_found",
          "clip " + rest +
              (clip->status == clip_status::ready ? " has no chat: its recording has none"
                                                  : " is " + clip->status + ": its chat comes with its file"));
    Reply r =
        stored_object(clip->chat_key, "application/x-ndjson; charset=utf-8",
                      sanitize_component(clip->name) + ".chat.ndjson", "the chat of clip " + rest + " of job " + id);
    return r;
  }
  if (file) {
    if (!read) return method_not_allowed("GET");
    auto clip = service_.get_clip(id, rest);
    if (!clip) return error_reply(clip.error());
    if (clip->status != clip_status::ready)
      return error_reply(clip->status == clip_status::failed ? 404 : 409,
                         clip->status == clip_status::failed ? "not_found" : "conflict",
                         "clip " + rest + " is " + clip->status +
                             (clip->error ? ": " + clip->error->message : std::string(": try again in a moment")));
    Reply r = stored_object(clip->key, "video/x-matroska", sanitize_component(clip->name) + ".mkv",
                            "clip " + rest + " of job " + id);
    if (r.file) r.headers.emplace_back("ETag", "\"" + clip->sha256 + "\"");
    return r;
  }
  if (read) {
    auto clip = service_.get_clip(id, rest);
    if (!clip) return error_reply(clip.error());
    return json_reply(200, clip_json(*clip, id, link_epoch()));
  }
  if (m == bhttp::verb::delete_) {
    auto removed = service_.remove_clip(id, rest);
    if (!removed) return error_reply(removed.error());
    return json_reply(200, {{"deleted", rest}});
  }
  return method_not_allowed("GET, DELETE");
}

}  // namespace chronicle::http
