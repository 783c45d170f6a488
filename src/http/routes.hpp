#pragma once
// Request -> reply, independent of the transport: parse, call the service, render.
#include <boost/beast/http.hpp>

#include <filesystem>
#include <functional>
#include <initializer_list>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/channel_service.hpp"
#include "core/config.hpp"
#include "core/cookies.hpp"
#include "core/service.hpp"
#include "core/webhook.hpp"
#include "http/metrics.hpp"
#include "http/read_cache.hpp"
#include "sys/access.hpp"

namespace chronicle::http {

using Request = boost::beast::http::request<boost::beast::http::string_body>;

struct Reply {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<std::filesystem::path> file;  // stream this file instead of body (Range honoured)
  bool event_stream = false;                  // hand the connection to the event stream
  std::optional<std::string> event_job_filter;
};

Reply error_reply(unsigned status, const std::string& code, const std::string& message);
Reply json_reply(unsigned status, const nlohmann::json& body);
// 405 with the Allow header.
Reply method_not_allowed(const char* allowed);
// A request's JSON object body, or the reply refusing it (415 for another type, 400 for bad JSON
// or not an object). Only JSON: a form or text/plain body is what a page on another site can send
// without asking.
std::variant<nlohmann::json, Reply> json_body(const Request& request);
// The reply refusing the first field of `body` that is not one of `fields` (a misspelt field is
// refused, not ignored: the client would think it set something); nullopt when all are known.
// `what` names the resource in the message ("a job").
std::optional<Reply> unknown_field(const nlohmann::json& body, std::initializer_list<std::string_view> fields,
                                   std::string_view what);
// The reply for an adapter's or the service's error: the status its kind maps to (400, 404, 409,
// 503 with Retry-After, 500), the code and the message.
Reply error_reply(const Error& e);
unsigned status_for(const Error& e);

class Router {
 public:
  Router(const Config& config, JobService& service, Metrics& metrics,
         std::function<std::map<std::string, std::uint64_t>()> counters)
      : config_(config), service_(service), metrics_(metrics), counters_(std::move(counters)), signer_(config.token) {}

  Reply handle(const Request& request);
  // The reply when it can be made from memory without waiting for the store: /healthz, and job
  // reads kept under the store's current change token. nullopt: call handle(), on a thread that
  // may block.
  std::optional<Reply> handle_from_memory(const Request& request);
  // Live seeding state merged into a job's torrent JSON (from the seeder, when one runs).
  void set_seeding_info(std::function<std::optional<SeedingStats>(const std::string&)> f) { seeding_ = std::move(f); }
  // Channels, when the backend keeps them.
  void set_channels(ChannelService* channels) { channels_ = channels; }
  // Webhooks, when the backend keeps them.
  void set_webhooks(WebhookStore* webhooks) { webhooks_ = webhooks; }
  // Cookies per site (never shown, only summarized).
  void set_cookies(CookieStore* cookies) { cookies_ = cookies; }
  // What /api/v1/settings shows: every setting with its value (secrets masked) and source.
  void set_settings(nlohmann::json settings) { settings_ = std::move(settings); }
  // What /api/v1/info reports beside the settings (tool versions, free space); also in /healthz.
  void set_info(std::function<nlohmann::json()> f) { info_ = std::move(f); }
  // For a server browsers reach directly (serve, not API Gateway): answer only to known host
  // names (421 otherwise, against DNS rebinding), and refuse changes from other sites' pages
  // (a foreign Origin gets 403).
  void guard_browsers() { guard_browsers_ = true; }
  // A job's JSON text as the API shows it: live seeding state, and download links signed when
  // there is a token (the same rendering the job reads keep).
  std::string render(const Job& job);

 private:
  struct Target {
    std::string path;
    std::map<std::string, std::string> query;
  };
  // The checks every request passes (path, host, origin, token): the target, or the refusal.
  std::variant<Target, Reply> admit(const Request& request) const;
  Reply route(const Request& request, const Target& target);
  // A list query from the request's parameters, or the 400 reply for a bad one.
  std::variant<ListQuery, Reply> list_query(const std::map<std::string, std::string>& query) const;
  Reply list_reply(const CachedPage& page) const;
  Reply job_reply(const RenderedJob& job) const;
  // A job's JSON text as sent now: the kept rendering with live parts (links, seeding) added.
  void append_job(std::string& out, const RenderedJob& job) const;
  nlohmann::json with_live_parts(nlohmann::json j, const std::string& id, std::int64_t link_epoch,
                                 const std::optional<SeedingStats>& seeding) const;
  // Signed links are made as of the start of a short period (a tenth of their lifetime, at most a
  // minute), so a job's JSON stays the same, and can be kept, for that long.
  std::int64_t link_epoch() const;
  Reply api(const Request& request, const std::string& path, const std::map<std::string, std::string>& query);
  Reply submit(const Request& request);
  // /api/v1/channels[/<id>[/check]] (channel_routes.cpp).
  Reply channels_api(const Request& request, const std::string& path);
  // POST /api/v1/channels/name_preview: the name a channel's format gives a recording now.
  Reply name_preview(const Request& request);
  // /api/v1/webhooks[/<id>[/test]] (webhook_routes.cpp).
  Reply webhooks_api(const Request& request, const std::string& path);
  // /api/v1/cookies[/<domain>] (cookie_routes.cpp).
  Reply cookies_api(const Request& request, const std::string& path);
  Reply list(const std::map<std::string, std::string>& query);
  Reply recording(const std::string& id);
  // GET /api/v1/jobs/{id}/live.m3u8[?rendition=] and .../live/<run file>: the recording so far, as
  // HLS over the recorder's journal; the stored recording once there is one.
  Reply live(const std::string& id, const std::string& action, const std::map<std::string, std::string>& query);
  Reply thumbnail(const std::string& id);
  // /api/v1/jobs/{id}/clips[/<clip>[/file]] (clip_routes.cpp).
  Reply clips_api(const Request& request, const std::string& id, const std::string& action);
  // GET /api/v1/jobs/{id}/chat[?from_s=&to_s=]: the recording's chat as NDJSON (chat_routes.cpp).
  Reply chat(const std::string& id, const std::map<std::string, std::string>& query);
  // A clip's JSON with its download link signed (when links are).
  nlohmann::json clip_json(const Clip& clip, const std::string& id, std::int64_t link_epoch) const;
  Reply patch_job(const Request& req, const std::string& id);
  // A stored object: streamed from local storage, or a redirect to the store's download URL.
  Reply stored_object(const std::string& key, const std::string& content_type, const std::string& filename,
                      const std::string& what);
  Reply static_file(const std::string& path, const std::string& accept_encoding);
  // With a token set: the bearer token, the event stream's access_token, or a signed link.
  bool authorized(const Request& req, const std::string& path, const std::map<std::string, std::string>& query) const;
  Reply unauthorized() const;

  const Config& config_;
  JobService& service_;
  Metrics& metrics_;
  std::function<std::map<std::string, std::uint64_t>()> counters_;
  std::function<std::optional<SeedingStats>(const std::string&)> seeding_;
  std::function<nlohmann::json()> info_;
  nlohmann::json settings_;
  ChannelService* channels_ = nullptr;
  WebhookStore* webhooks_ = nullptr;
  CookieStore* cookies_ = nullptr;
  bool guard_browsers_ = false;
  sys::LinkSigner signer_;
  ReadCache cache_;
  std::once_flag health_once_;
  std::string health_;
  bool host_allowed(const std::string& host) const;
};

// What follows a collection's path ("/api/v1/jobs/"): "{id}" or "{id}/{action}".
struct ResourcePath {
  std::string id;
  std::string action;  // empty: the resource itself
};
ResourcePath split_resource(std::string_view rest);

// The host of an authority ("[::1]:8080" -> "::1", "Example.com:80" -> "example.com").
std::string host_of(std::string_view authority);

// Percent-decoding and query parsing, exposed for tests.
std::optional<std::string> percent_decode(const std::string& s);
// `attachment` with an ASCII fallback name and the UTF-8 name as `filename*` (RFC 6266 / 5987),
// with bidirectional-override characters removed so a name cannot disguise its extension.
std::string content_disposition(const std::string& filename);
// The query's parameters; an error naming the first one whose name or value is not valid
// percent-encoding (a request is refused for it, not answered as if it had no such parameter).
Result<std::map<std::string, std::string>> parse_query(const std::string& query);

struct ByteRange {
  std::uint64_t first = 0;
  std::uint64_t last = 0;  // inclusive
};
// Parses a single "bytes=" range against a file size. nullopt: no/unsupported range (send
// everything); an empty optional inside means unsatisfiable (416).
std::optional<std::optional<ByteRange>> parse_range(const std::string& header, std::uint64_t size);

}  // namespace chronicle::http
