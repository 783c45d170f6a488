#include "http/routes.hpp"

#include "hls/journal.hpp"
#include "http/compress.hpp"
#include "http/openapi_json.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/ids.hpp"

namespace chronicle::http {
namespace bhttp = boost::beast::http;
unsigned status_for(const Error& e) { return report_for(e).http_status; }

Reply json_reply(unsigned status, const nlohmann::json& body) {
  Reply r;
  r.status = status;
  r.body = json_text(body);
  return r;
}

Reply method_not_allowed(const char* allowed) {
  Reply r = error_reply(405, "method_not_allowed", std::string("use ") + allowed);
  r.headers.emplace_back("Allow", allowed);
  return r;
}

std::variant<nlohmann::json, Reply> json_body(const Request& req) {
  const std::string type(req[bhttp::field::content_type]);
  if (!type.starts_with("application/json"))
    return error_reply(415, "unsupported_media_type",
                       "send JSON with 'Content-Type: application/json' (got '" + type.substr(0, 100) + "')");
  nlohmann::json body;
  try {
    body = nlohmann::json::parse(req.body());
  } catch (const nlohmann::json::parse_error& e) {
    return error_reply(400, "invalid_json", std::string("request body is not valid JSON: ") + e.what());
  }
  if (!body.is_object()) return error_reply(400, "invalid_body", "request body must be a JSON object");
  return body;
}

std::optional<Reply> unknown_field(const nlohmann::json& body, std::initializer_list<std::string_view> fields,
                                   std::string_view what) {
  for (const auto& [key, value] : body.items()) {
    if (std::find(fields.begin(), fields.end(), key) != fields.end()) continue;
    std::string known;
    for (const auto f : fields) known.append(known.empty() ? "" : ", ").append(f);
    return error_reply(400, "invalid_body",
                       "unknown field '" + key.substr(0, 40) + "' (" + std::string(what) + " takes " + known + ")");
  }
  return std::nullopt;
}

namespace {

bool is_mutating(bhttp::verb v) {
  return v == bhttp::verb::post || v == bhttp::verb::put || v == bhttp::verb::patch || v == bhttp::verb::delete_;
}

std::string content_type_for(const std::filesystem::path& p) {
  const auto ext = p.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json" || ext == ".map") return "application/json";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".woff2") return "font/woff2";
  if (ext == ".webmanifest") return "application/manifest+json";
  if (ext == ".txt") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

constexpr const char* kFallbackPage = R"html(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>chronicle</title>
<style>body{background:#000;color:#e5e5e5;font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:48rem;padding:0 1rem}
code{background:#111;padding:.1rem .3rem;border-radius:4px}a{color:#a3b55a}</style></head>
<body><h1>chronicle</h1>
<p>The server is running. The dashboard has not been built into this installation
(build <code>web/</code> or set <code>CHRONICLE_WEB_ROOT</code>).</p>
<p>API: <a href="/api/v1/jobs">/api/v1/jobs</a> · events: <a href="/api/v1/events">/api/v1/events</a> ·
<a href="/healthz">/healthz</a> · <a href="/metrics">/metrics</a></p>
<p>Record a stream: <code>chronicle submit URL --wait</code></p></body></html>
)html";

std::string page_key(const ListQuery& q) {
  return std::string(q.status ? to_string(*q.status) : "") + "|" + std::to_string(q.limit) + "|" +
         q.cursor.value_or("") + "|" + q.channel_id.value_or("") + "|" + q.search;
}

}  // namespace

Reply error_reply(unsigned status, const std::string& code, const std::string& message) {
  return json_reply(status, {{"error", {{"code", code}, {"message", message}}}});
}

Reply error_reply(const Error& e) {
  Reply r = error_reply(status_for(e), e.code, e.message);
  // A store or queue that is down or busy: the request can be repeated as it is.
  if (retryable(e)) r.headers.emplace_back("Retry-After", kind_of(e) == ErrorKind::throttled ? "2" : "5");
  return r;
}

std::optional<std::string> percent_decode(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i + 1])) ||
          !std::isxdigit(static_cast<unsigned char>(s[i + 2])))
        return std::nullopt;
      out.push_back(static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else if (s[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string content_disposition(const std::string& filename) {
  // U+200E/F, U+202A..E and U+2066..9 in UTF-8: E2 80 8E/8F, E2 80 AA..AE, E2 81 A6..A9.
  std::string name;
  for (std::size_t i = 0; i < filename.size(); ++i) {
    const auto b = [&](std::size_t k) { return static_cast<unsigned char>(filename[i + k]); };
    if (i + 2 < filename.size() && b(0) == 0xE2 &&
        ((b(1) == 0x80 && (b(2) == 0x8E || b(2) == 0x8F || (b(2) >= 0xAA && b(2) <= 0xAE))) ||
         (b(1) == 0x81 && b(2) >= 0xA6 && b(2) <= 0xA9))) {
      i += 2;
      continue;
    }
    name.push_back(filename[i]);
  }
  std::string ascii, encoded;
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (unsigned char c : name) {
    // (strchr also "finds" the terminating NUL, so a NUL byte must be ruled out first.)
    const bool plain = std::isalnum(c) || (c != 0 && std::strchr("!#$&+-.^_`|~ ", c));
    ascii.push_back(c < 0x80 && c >= 0x20 && c != '"' && c != '\\' && c != 0x7F ? static_cast<char>(c) : '_');
    if (plain && c != ' ') {
      encoded.push_back(static_cast<char>(c));
    } else {
      encoded += '%';
      encoded += kHex[c >> 4];
      encoded += kHex[c & 15];
    }
  }
  return "attachment; filename=\"" + ascii + "\"; filename*=UTF-8''" + encoded;
}

ResourcePath split_resource(std::string_view rest) {
  const auto slash = rest.find('/');
  if (slash == std::string_view::npos) return {std::string(rest), {}};
  return {std::string(rest.substr(0, slash)), std::string(rest.substr(slash + 1))};
}

Result<std::map<std::string, std::string>> parse_query(const std::string& query) {
  std::map<std::string, std::string> out;
  std::stringstream ss(query);
  std::string pair;
  while (std::getline(ss, pair, '&')) {
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    auto k = percent_decode(pair.substr(0, eq));
    auto v = percent_decode(eq == std::string::npos ? "" : pair.substr(eq + 1));
    if (!k || !v) {
      const std::string name = k ? *k : pair.substr(0, std::min<std::size_t>(eq, 40));
      return make_error("bad_request", "the query parameter '" + name + "' is not valid percent-encoding");
    }
    out[*k] = *v;
  }
  return out;
}

std::optional<std::optional<ByteRange>> parse_range(const std::string& header, std::uint64_t size) {
  if (!header.starts_with("bytes=")) return std::nullopt;
  const std::string spec = header.substr(6);
  if (spec.find(',') != std::string::npos) return std::nullopt;  // multiple ranges: send it all
  const auto dash = spec.find('-');
  if (dash == std::string::npos) return std::nullopt;
  const std::string a = spec.substr(0, dash), b = spec.substr(dash + 1);
  auto number = [](const std::string& t) -> std::optional<std::uint64_t> {
    if (t.empty() || t.size() > 19 || t.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    return std::stoull(t);
  };
  ByteRange r;
  if (a.empty()) {  // suffix: the last N bytes
    auto n = number(b);
    if (!n) return std::nullopt;
    if (*n == 0 || size == 0) return std::optional<ByteRange>();
    r.first = *n >= size ? 0 : size - *n;
    r.last = size - 1;
    return std::optional<ByteRange>(r);
  }
  auto first = number(a);
  if (!first) return std::nullopt;
  if (*first >= size) return std::optional<ByteRange>();
  r.first = *first;
  r.last = size - 1;
  if (!b.empty()) {
    auto last = number(b);
    if (!last || *last < *first) return std::nullopt;
    r.last = std::min(*last, size - 1);
  }
  return std::optional<ByteRange>(r);
}

std::string host_of(std::string_view authority) {
  std::string host(authority);
  if (!host.empty() && host.front() == '[') {
    host = host.substr(1, host.find(']') == std::string::npos ? std::string::npos : host.find(']') - 1);
  } else if (const auto colon = host.find(':'); colon != std::string::npos) {
    host = host.substr(0, colon);
  }
  for (auto& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  while (!host.empty() && host.back() == '.') host.pop_back();
  return host;
}

bool Router::host_allowed(const std::string& host) const {
  if (host.empty()) return false;
  // An IP address cannot be rebound; names can, so only the ones chronicle knows are served.
  if (host == "localhost" || parse_ip_literal(host)) return true;
  if (host == host_of(config_.public_host())) return true;
  for (const auto& allowed : config_.allowed_hosts)
    if (host == host_of(allowed)) return true;
  return false;
}

bool Router::authorized(const Request& req, const std::string& path,
                        const std::map<std::string, std::string>& query) const {
  if (config_.token.empty()) return true;
  auto matches = [this](const std::string& presented) {
    return presented.size() == config_.token.size() &&
           CRYPTO_memcmp(presented.data(), config_.token.data(), presented.size()) == 0;
  };
  const std::string auth(req[bhttp::field::authorization]);
  if (auth.starts_with("Bearer ") && matches(auth.substr(7))) return true;
  auto param = [&](const char* name) {
    const auto it = query.find(name);
    return it == query.end() ? std::string() : it->second;
  };
  // EventSource cannot send headers: the event stream also takes the token as a query parameter
  // (RFC 6750 section 2.3); the request log leaves queries out.
  if (path == "/api/v1/events" && !param("access_token").empty()) return matches(param("access_token"));
  // A signed download link stands for the token, for that one file of that one job.
  constexpr std::string_view kJobs = "/api/v1/jobs/";
  const bool read = req.method() == bhttp::verb::get || req.method() == bhttp::verb::head;
  if (read && path.starts_with(kJobs) && !param("sig").empty()) {
    const std::string rest = path.substr(kJobs.size());
    const auto slash = rest.find('/');
    if (slash == std::string::npos) return false;
    const std::string what = rest.substr(slash + 1);
    // One signature covers what a player of a recording in progress fetches: the playlists and
    // the journal's files.
    if (what == "live.m3u8" || what.starts_with("live/"))
      return signer_.valid(rest.substr(0, slash), "live", param("exp"), param("sig"));
    // A clip's file and its chat: "clips/<clip>/file", "clips/<clip>/chat", signed for that clip.
    if (what.starts_with("clips/") && (what.ends_with("/file") || what.ends_with("/chat")) && what.size() > 11)
      return signer_.valid(rest.substr(0, slash), "clip:" + what.substr(6, what.size() - 11), param("exp"),
                           param("sig"));
    if (what != "recording" && what != "torrent" && what != "thumbnail" && what != "chat") return false;
    return signer_.valid(rest.substr(0, slash), what, param("exp"), param("sig"));
  }
  return false;
}

Reply Router::unauthorized() const {
  Reply r = error_reply(401, "unauthorized",
                        "this server needs 'Authorization: Bearer <token>' (or a signed link that has not expired; "
                        "`chronicle token` on the server shows the token)");
  r.headers.emplace_back("WWW-Authenticate", "Bearer");
  return r;
}

std::int64_t Router::link_epoch() const {
  if (!signer_.enabled()) return 0;
  const auto step = std::clamp<std::int64_t>(static_cast<std::int64_t>(config_.link_ttl_s / 10), 1, 60);
  const auto now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
  return now.count() / step * step;
}

nlohmann::json Router::with_live_parts(nlohmann::json j, const std::string& id, std::int64_t epoch,
                                       const std::optional<SeedingStats>& seeding) const {
  if (signer_.enabled()) {
    // Links that work without the token, for a while: players, download managers, shared links.
    const auto ttl = std::chrono::seconds(static_cast<long long>(config_.link_ttl_s));
    const auto as_of = std::chrono::system_clock::time_point(std::chrono::seconds(epoch));
    const std::string base = config_.effective_public_url() + "/api/v1/jobs/" + id + "/";
    if (j["recording"].is_object())
      j["recording"]["url"] = base + "recording" + signer_.query(id, "recording", ttl, as_of);
    if (j["torrent"].is_object() && j["torrent"].contains("url"))
      j["torrent"]["url"] = base + "torrent" + signer_.query(id, "torrent", ttl, as_of);
    if (j["thumbnail"].is_object())
      j["thumbnail"]["url"] = base + "thumbnail" + signer_.query(id, "thumbnail", ttl, as_of);
    if (j["live_url"].is_string())
      j["live_url"] = j["live_url"].get<std::string>() + signer_.query(id, "live", ttl, as_of);
    if (j["chat"].is_object() && j["chat"]["url"].is_string())
      j["chat"]["url"] = base + "chat" + signer_.query(id, "chat", ttl, as_of);
    if (j["clips"].is_array())
      for (auto& clip : j["clips"])
        if (clip["url"].is_string()) {
          const std::string clip_id = clip["id"].get<std::string>();
          const std::string signature = signer_.query(id, "clip:" + clip_id, ttl, as_of);
          std::string url = base;
          url.append("clips/").append(clip_id).append("/file").append(signature);
          clip["url"] = url;
          if (clip["chat"].is_object() && clip["chat"]["url"].is_string()) {
            url.replace(url.size() - signature.size() - 5, 5, "/chat");
            clip["chat"]["url"] = url;
          }
        }
  }
  if (seeding && j["torrent"].is_object()) j["torrent"]["seeding"] = to_json(*seeding);
  return j;
}

std::string Router::render(const Job& job) {
  std::string out;
  append_job(out, *cache_.rendering(job));
  return out;
}

void Router::append_job(std::string& out, const RenderedJob& job) const {
  const bool has_torrent = job.public_json.contains("torrent") && job.public_json["torrent"].is_object();
  auto seeding = seeding_ && has_torrent ? seeding_(job.id) : std::nullopt;
  if (!signer_.enabled() && !seeding) {
    out += job.text;
    return;
  }
  const auto epoch = link_epoch();
  std::lock_guard lock(job.live_mutex);
  if (job.live.link_epoch != epoch || job.live.seeding != seeding) {
    job.live.text = json_text(with_live_parts(job.public_json, job.id, epoch, seeding));
    job.live.link_epoch = epoch;
    job.live.seeding = std::move(seeding);
  }
  out += job.live.text;
}

Reply Router::job_reply(const RenderedJob& job) const {
  Reply r;
  append_job(r.body, job);
  return r;
}

Reply Router::list_reply(const CachedPage& page) const {
  Reply r;
  std::size_t size = 64;
  for (const auto& j : page.jobs) size += j->text.size() + 256;
  r.body.reserve(size);
  r.body += "{\"jobs\":[";
  for (std::size_t i = 0; i < page.jobs.size(); ++i) {
    if (i) r.body += ',';
    append_job(r.body, *page.jobs[i]);
  }
  r.body += "],\"next_cursor\":";
  r.body += page.next_cursor ? json_text(*page.next_cursor) : "null";
  r.body += '}';
  return r;
}

std::optional<Reply> Router::handle_from_memory(const Request& req) {
  auto admitted = admit(req);
  if (auto* refused = std::get_if<Reply>(&admitted)) return std::move(*refused);
  const auto& [path, query] = std::get<Target>(admitted);
  if (path == "/healthz") return route(req, std::get<Target>(admitted));
  if (req.method() != bhttp::verb::get && req.method() != bhttp::verb::head) return std::nullopt;
  constexpr std::string_view kJobs = "/api/v1/jobs/";
  if (path == "/api/v1/jobs" || path == "/api/v1/jobs/") {
    auto q = list_query(query);
    if (!std::holds_alternative<ListQuery>(q)) return std::nullopt;
    const auto token = service_.change_token();
    if (!token) return std::nullopt;
    auto page = cache_.page(page_key(std::get<ListQuery>(q)), *token);
    if (!page) return std::nullopt;
    return list_reply(*page);
  }
  if (path.starts_with(kJobs) && path.find('/', kJobs.size()) == std::string::npos) {
    const auto token = service_.change_token();
    if (!token) return std::nullopt;
    auto job = cache_.job(path.substr(kJobs.size()), *token);
    if (!job) return std::nullopt;
    return job_reply(*job);
  }
  return std::nullopt;
}

std::variant<Router::Target, Reply> Router::admit(const Request& req) const {
  const std::string target(req.target());
  const auto qpos = target.find('?');
  auto path = percent_decode(target.substr(0, qpos));
  if (!path || path->empty() || path->front() != '/') return error_reply(400, "bad_request", "malformed request path");
  auto parsed_query = qpos == std::string::npos
                          ? Result<std::map<std::string, std::string>>(std::map<std::string, std::string>{})
                          : parse_query(target.substr(qpos + 1));
  if (!parsed_query) return error_reply(400, "bad_request", parsed_query.error().message);
  const auto query = std::move(*parsed_query);
  // Two Host headers leave which site was meant to whoever reads them: refused, not guessed.
  if (req.count(bhttp::field::host) > 1) return error_reply(400, "bad_request", "more than one Host header");

  if (guard_browsers_) {
    const std::string host = host_of(std::string(req[bhttp::field::host]));
    if (!host_allowed(host)) {
      Reply r = error_reply(421, "misdirected_request",
                            "this server does not answer to the host name '" + host +
                                "'; add it to CHRONICLE_ALLOWED_HOSTS (or set CHRONICLE_PUBLIC_URL) to use it");
      return r;
    }
    if (is_mutating(req.method()) && path->starts_with("/api/")) {
      const std::string origin(req[bhttp::field::origin]);
      const auto scheme_end = origin.find("://");
      const std::string origin_authority = scheme_end == std::string::npos ? "" : origin.substr(scheme_end + 3);
      // The dashboard's own origin, exactly: the Host it was served from, or the configured public
      // URL (behind a reverse proxy that rewrites Host). Another port on this machine is another
      // origin: any local program can serve a page there.
      const std::string public_url = config_.public_url;
      const auto public_scheme_end = public_url.find("://");
      const std::string public_authority =
          public_url.empty() || public_scheme_end == std::string::npos
              ? ""
              : public_url.substr(public_scheme_end + 3,
                                  public_url.find('/', public_scheme_end + 3) - (public_scheme_end + 3));
      const bool same_site = origin_authority == std::string(req[bhttp::field::host]) ||
                             (!public_authority.empty() && origin.find("://") != std::string::npos &&
                              origin == public_url.substr(0, public_scheme_end + 3) + public_authority);
      if (!origin.empty() && !same_site)
        return error_reply(403, "cross_origin",
                           "pages of other sites cannot change jobs here (Origin: " + origin.substr(0, 200) + ")");
    }
  }
  if ((*path == "/metrics" || path->starts_with("/api/")) && !authorized(req, *path, query)) return unauthorized();
  return Target{std::move(*path), query};
}

Reply Router::handle(const Request& req) {
  auto admitted = admit(req);
  if (auto* refused = std::get_if<Reply>(&admitted)) return std::move(*refused);
  return route(req, std::get<Target>(admitted));
}

Reply Router::route(const Request& req, const Target& target) {
  const std::string& path = target.path;
  const auto& query = target.query;
  if (path == "/healthz") {
    // The tools' versions are read once at start: the body never changes.
    std::call_once(health_once_, [this] {
      nlohmann::json health = {{"status", "ok"}};
      if (info_) {
        const auto info = info_();
        health["tools"] = info.value("tools", nlohmann::json::object());
        health["warnings"] = info.value("warnings", nlohmann::json::array());
      }
      health_ = json_text(health);
    });
    Reply r;
    r.body = health_;
    // The storage warning comes and goes with the retention passes: added to the fixed part.
    if (auto report = service_.storage_report(); report && !report->over_budget.empty()) {
      auto health = nlohmann::json::parse(health_);
      health["warnings"].push_back(report->over_budget);
      r.body = json_text(health);
    }
    return r;
  }
  if (path == "/metrics") {
    Reply r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    auto totals = service_.totals();
    r.body = metrics_.render(totals ? std::optional<JobTotals>(std::move(*totals)) : std::nullopt,
                             counters_ ? counters_() : std::map<std::string, std::uint64_t>{});
    return r;
  }
  if (path.starts_with("/api/")) return api(req, path, query);
  if (req.method() != bhttp::verb::get && req.method() != bhttp::verb::head)
    return error_reply(405, "method_not_allowed", "only GET is allowed here");
  Reply page = static_file(path, std::string(req[bhttp::field::accept_encoding]));
  // The dashboard runs only its own code, is never framed, and leaks no URLs to other sites.
  page.headers.emplace_back("Content-Security-Policy",
                            "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
                            "style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; "
                            "form-action 'self'; frame-ancestors 'none'");
  page.headers.emplace_back("X-Frame-Options", "DENY");
  page.headers.emplace_back("X-Content-Type-Options", "nosniff");
  page.headers.emplace_back("Referrer-Policy", "no-referrer");
  return page;
}

Reply Router::api(const Request& req, const std::string& path, const std::map<std::string, std::string>& query) {
  const auto m = req.method();
  const bool read = m == bhttp::verb::get || m == bhttp::verb::head;

  if (path == "/api/v1/jobs" || path == "/api/v1/jobs/") {
    if (m == bhttp::verb::post) return submit(req);
    if (read) return list(query);
    return method_not_allowed("GET, POST");
  }
  if (path == "/api/v1/stats") {
    if (!read) return method_not_allowed("GET");
    auto totals = service_.totals();
    if (!totals) return error_reply(totals.error());
    nlohmann::json by_status = nlohmann::json::object();
    std::int64_t total = 0;
    for (const auto& [status, n] : totals->by_status) {
      by_status[std::string(to_string(status))] = n;
      total += n;
    }
    return json_reply(200, {{"jobs", {{"total", total}, {"by_status", by_status}}}});
  }
  if (path == "/api/v1/openapi.json") {
    if (!read) return method_not_allowed("GET");
    Reply r;
    r.content_type = "application/json";
    static const std::string document = [] {
      std::string joined;
      for (const char* part : kOpenApiJsonParts) joined += part;
      return joined;
    }();
    r.body = document;
    return r;
  }
  if (path == "/api/v1/info") {
    if (!read) return method_not_allowed("GET");
    nlohmann::json info = info_ ? info_() : nlohmann::json::object();
    info["backend"] = to_string(config_.backend);
    info["stall_timeout_s"] = config_.stall_timeout_s;
    info["reconnect_window_s"] = config_.reconnect_window_s;
    info["auth_required"] = !config_.token.empty();
    nlohmann::json storage = {{"retention_days", config_.retention_days},
                              {"budget", config_.storage_budget_bytes},
                              {"recordings_bytes", nullptr}};
    if (auto report = service_.storage_report()) {
      storage["recordings_bytes"] = report->recordings_bytes;
      storage["pinned_bytes"] = report->pinned_bytes;
      storage["recordings"] = report->recordings;
      storage["measured_at"] = to_rfc3339(report->at);
      if (!report->over_budget.empty()) storage["warning"] = report->over_budget;
    }
    info["storage"] = storage;
    return json_reply(200, info);
  }
  if (path == "/api/v1/retention") {
    if (!read) return method_not_allowed("GET");
    // As of the pass after next: what is listed here has at least one interval to be pinned or
    // downloaded, and nothing is deleted that was not listed.
    const auto policy = config_.retention_policy();
    const TimePoint at =
        now() + std::chrono::milliseconds(static_cast<std::int64_t>(config_.retention_interval_s * 1000));
    nlohmann::json body = {{"active", policy.active()},
                           {"retention_days", policy.max_age_days},
                           {"budget", policy.budget_bytes},
                           {"min_age_s", policy.min_age_s},
                           {"interval_s", config_.retention_interval_s},
                           {"as_of", to_rfc3339(at)},
                           {"deletions", nlohmann::json::array()}};
    if (!policy.active()) return json_reply(200, body);
    auto plan = service_.preview_retention(policy, at);
    if (!plan) return error_reply(plan.error());
    for (const auto& d : plan->deletions)
      body["deletions"].push_back({{"id", d.job_id}, {"name", d.name}, {"bytes", d.bytes}, {"reason", d.reason}});
    body["stored_bytes"] = plan->stored_bytes;
    body["recordings"] = plan->recordings;
    if (!plan->over_budget.empty()) body["warning"] = plan->over_budget;
    return json_reply(200, body);
  }
  if (path == "/api/v1/settings") {
    if (!read) return method_not_allowed("GET");
    return json_reply(200, settings_.is_null() ? nlohmann::json{{"settings", nlohmann::json::array()}} : settings_);
  }
  if (path == "/api/v1/events") {
    if (!read) return method_not_allowed("GET");
    Reply r;
    r.event_stream = true;
    if (auto it = query.find("job"); it != query.end() && !it->second.empty()) r.event_job_filter = it->second;
    return r;
  }
  if (path == "/api/v1/channels" || path.starts_with("/api/v1/channels/")) return channels_api(req, path);
  if (path == "/api/v1/webhooks" || path.starts_with("/api/v1/webhooks/")) return webhooks_api(req, path);
  if (path == "/api/v1/cookies" || path.starts_with("/api/v1/cookies/")) return cookies_api(req, path);
  constexpr std::string_view kJobs = "/api/v1/jobs/";
  if (path.starts_with(kJobs)) {
    const auto [given, action] = split_resource(std::string_view(path).substr(kJobs.size()));
    // The start of an id is enough, as long as no other job's id starts the same way.
    const auto resolved = service_.resolve_id(given);
    if (!resolved) return error_reply(resolved.error());
    const std::string& id = *resolved;
    if (action.empty()) {
      if (read) {
        const auto token = service_.change_token();
        auto job = service_.get(id);
        if (!job) return error_reply(job.error());
        auto rendered = cache_.rendering(*job);
        if (token) cache_.keep_job(rendered, *token);
        return job_reply(*rendered);
      }
      if (m == bhttp::verb::delete_) {
        auto removed = service_.remove(id);
        if (!removed) return error_reply(removed.error());
        // The copy of its chat the chat route keeps when the store is not local (S3) goes too.
        std::error_code ec;
        std::filesystem::remove(config_.work_dir() / "chat-cache" / (removed->id + ".ndjson"), ec);
        return json_reply(200, {{"deleted", id}});
      }
      if (m == bhttp::verb::patch) return patch_job(req, id);
      return method_not_allowed("GET, PATCH, DELETE");
    }
    if (action == "stop") {
      if (m != bhttp::verb::post) return method_not_allowed("POST");
      auto stopped = service_.stop(id);
      if (!stopped) return error_reply(stopped.error());
      Reply r = job_reply(*cache_.rendering(*stopped));
      r.status = 202;
      return r;
    }
    if (action == "recording") {
      if (!read) return method_not_allowed("GET");
      return recording(id);
    }
    if (action == "live.m3u8" || action.starts_with("live/")) {
      if (!read) return method_not_allowed("GET");
      return live(id, action, query);
    }
    if (action == "thumbnail") {
      if (!read) return method_not_allowed("GET");
      return thumbnail(id);
    }
    if (action == "clips" || action.starts_with("clips/")) return clips_api(req, id, action);
    if (action == "chat") {
      if (!read) return method_not_allowed("GET");
      return chat(id, query);
    }
    if (action == "torrent") {
      if (!read) return method_not_allowed("GET");
      auto job = service_.get(id);
      if (!job) return error_reply(job.error());
      if (!job->torrent) return error_reply(404, "not_found", "job " + id + " has no torrent");
      return stored_object(job->torrent->key, "application/x-bittorrent", id + ".torrent", "the torrent of job " + id);
    }
  }
  return error_reply(404, "not_found", "no such endpoint: " + path);
}

Reply Router::submit(const Request& req) {
  auto parsed = json_body(req);
  if (auto* refused = std::get_if<Reply>(&parsed)) return std::move(*refused);
  auto& body = std::get<nlohmann::json>(parsed);
  auto text_field = [&](const char* key, bool required) -> std::optional<Reply> {
    if (!body.contains(key) || body[key].is_null()) {
      if (required) return error_reply(400, "invalid_body", std::string("field '") + key + "' is required");
      return std::nullopt;
    }
    if (!body[key].is_string())
      return error_reply(400, "invalid_body", std::string("field '") + key + "' must be a string");
    return std::nullopt;
  };
  if (auto refused = unknown_field(
          body,
          {"url", "name", "prefix", "format", "reconnect_window_s", "wait_for_live_s", "keep_ads", "start", "chat"},
          "a job"))
    return *refused;
  for (auto [key, required] :
       {std::pair{"url", true}, std::pair{"name", false}, std::pair{"prefix", false}, std::pair{"format", false}})
    if (auto bad = text_field(key, required)) return *bad;

  SubmitRequest s;
  s.url = with_default_scheme(body["url"].get<std::string>());
  if (body.contains("name") && body["name"].is_string()) s.name = body["name"].get<std::string>();
  if (body.contains("prefix") && body["prefix"].is_string()) s.prefix = body["prefix"].get<std::string>();
  if (body.contains("format") && body["format"].is_string()) s.format = body["format"].get<std::string>();
  if (body.contains("reconnect_window_s") && !body["reconnect_window_s"].is_null()) {
    if (!body["reconnect_window_s"].is_number())
      return error_reply(400, "invalid_body", "field 'reconnect_window_s' must be a number of seconds");
    s.reconnect_window_s = body["reconnect_window_s"].get<double>();
  }
  if (body.contains("wait_for_live_s") && !body["wait_for_live_s"].is_null()) {
    if (!body["wait_for_live_s"].is_number())
      return error_reply(400, "invalid_body", "field 'wait_for_live_s' must be a number of seconds");
    s.wait_for_live_s = body["wait_for_live_s"].get<double>();
  }
  if (body.contains("chat") && !body["chat"].is_null()) {
    if (!body["chat"].is_boolean()) return error_reply(400, "invalid_body", "field 'chat' must be true or false");
    s.chat = body["chat"].get<bool>();
  }
  if (body.contains("keep_ads") && !body["keep_ads"].is_null()) {
    if (!body["keep_ads"].is_boolean())
      return error_reply(400, "invalid_body", "field 'keep_ads' must be true or false");
    s.keep_ads = body["keep_ads"].get<bool>();
  }
  if (auto bad = text_field("start", false)) return *bad;
  if (body.contains("start") && body["start"].is_string()) s.start = body["start"].get<std::string>();
  auto outcome = service_.submit(s);
  if (!outcome) return error_reply(outcome.error());
  Reply r = json_reply(outcome->created ? 201 : 200, to_public_json(outcome->job));
  r.headers.emplace_back("Location", "/api/v1/jobs/" + outcome->job.id);
  return r;
}

std::variant<ListQuery, Reply> Router::list_query(const std::map<std::string, std::string>& query) const {
  ListQuery q;
  if (auto it = query.find("status"); it != query.end() && !it->second.empty()) {
    auto s = parse_status(it->second);
    if (!s) return error_reply(400, "invalid_status", "unknown status '" + it->second + "'");
    q.status = s;
  }
  if (auto it = query.find("limit"); it != query.end()) {
    const auto& t = it->second;
    if (t.empty() || t.size() > 4 || t.find_first_not_of("0123456789") != std::string::npos || std::stoi(t) < 1 ||
        std::stoi(t) > 500)
      return error_reply(400, "invalid_limit", "limit must be a number from 1 to 500");
    q.limit = static_cast<std::size_t>(std::stoi(t));
  }
  if (auto it = query.find("cursor"); it != query.end() && !it->second.empty()) {
    if (!looks_like_job_id(it->second)) return error_reply(400, "invalid_cursor", "cursor is not a job id");
    q.cursor = it->second;
  }
  if (auto it = query.find("q"); it != query.end() && !it->second.empty()) {
    if (it->second.size() > 100) return error_reply(400, "invalid_query", "q (a search) is at most 100 characters");
    q.search = it->second;
    for (auto& c : q.search) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (auto it = query.find("channel"); it != query.end() && !it->second.empty()) {
    if (!looks_like_job_id(it->second)) return error_reply(400, "invalid_channel", "channel is not a channel id");
    if (q.status)
      return error_reply(400, "invalid_query", "list by status or by channel, not both (filter one page yourself)");
    q.channel_id = it->second;
  }
  return q;
}

Reply Router::list(const std::map<std::string, std::string>& query) {
  auto parsed = list_query(query);
  if (auto* bad = std::get_if<Reply>(&parsed)) return std::move(*bad);
  const auto& q = std::get<ListQuery>(parsed);
  const auto token = service_.change_token();  // before the read: a write after it makes the page stale
  auto page = service_.list(q);
  if (!page) return error_reply(page.error());
  CachedPage rendered;
  rendered.next_cursor = page->next_cursor;
  rendered.jobs.reserve(page->jobs.size());
  for (const auto& j : page->jobs) rendered.jobs.push_back(cache_.rendering(j));
  Reply r = list_reply(rendered);
  if (token) cache_.keep_page(page_key(q), std::move(rendered), *token);
  return r;
}

Reply Router::recording(const std::string& id) {
  auto job = service_.get(id);
  if (!job) return error_reply(job.error());
  if (!job->recording)
    return error_reply(404, "not_found",
                       "job " + id + " has no stored recording (status: " + std::string(to_string(job->status)) + ")");
  const auto& key = job->recording->key;
  Reply r = stored_object(key, key.ends_with(".mkv") ? "video/x-matroska" : "video/mp2t",
                          std::filesystem::path(key).filename().string(), "the recording of job " + id);
  if (r.file) r.headers.emplace_back("ETag", "\"" + job->recording->sha256 + "\"");
  return r;
}

Reply Router::live(const std::string& id, const std::string& action, const std::map<std::string, std::string>& query) {
  auto job = service_.get(id);
  if (!job) return error_reply(job.error());
  const std::string base = "/api/v1/jobs/" + id + "/";
  // A stored recording is the whole of it: players that asked for the playlist get the file.
  if (job->recording && action == "live.m3u8") {
    Reply r;
    r.status = 302;
    const auto ttl = std::chrono::seconds(static_cast<long long>(config_.link_ttl_s));
    r.headers.emplace_back("Location",
                           base + "recording" + (signer_.enabled() ? signer_.query(id, "recording", ttl) : ""));
    return r;
  }
  if (config_.backend != BackendKind::embedded)
    return error_reply(501, "not_implemented",
                       "on the aws backend a recording can be watched once it is stored: while it records, its "
                       "segments are on the recorder's own disk");
  // The journal of an HLS recording (streams yt-dlp records have none: they play once stored).
  auto journal = hls::read_journal(config_.work_dir() / id / "journal");
  if (!journal || journal->segments.empty())
    return error_reply(404, "not_found",
                       "job " + id + " has nothing to play yet (status: " + std::string(to_string(job->status)) +
                           (is_terminal(job->status) ? ")" : "; it plays once its first segments are recorded)"));
  if (action == "live.m3u8") {
    // The links inside carry the signature the playlist was fetched with, or a new one for a
    // client that sent the token (a player cannot send it with each segment).
    std::string signature;
    if (signer_.enabled()) {
      const auto exp = query.find("exp"), sig = query.find("sig");
      signature = exp != query.end() && sig != query.end()
                      ? "?exp=" + exp->second + "&sig=" + sig->second
                      : signer_.query(id, "live", std::chrono::seconds(static_cast<long long>(config_.link_ttl_s)));
    }
    std::string body;
    if (auto rendition = query.find("rendition"); rendition != query.end()) {
      if (std::ranges::none_of(journal->runs, [&](const auto& run) { return run.rendition == rendition->second; }))
        return error_reply(404, "not_found",
                           "job " + id + " has no rendition '" + rendition->second.substr(0, 40) + "'");
      body = hls::journal_media_playlist(*journal, rendition->second, base, signature, is_terminal(job->status));
    } else {
      body = hls::journal_master_playlist(*journal, base, signature);
      if (body.empty())
        body = hls::journal_media_playlist(*journal, journal->runs.front().rendition, base, signature,
                                           is_terminal(job->status));
    }
    Reply r;
    r.content_type = "application/vnd.apple.mpegurl";
    r.body = std::move(body);
    r.headers.emplace_back("Cache-Control", "no-cache");
    return r;
  }
  // One of the journal's run files, as the playlist names it (never any other path).
  const std::string name = action.substr(5);
  const auto run = std::ranges::find_if(journal->runs, [&](const auto& r) { return r.file.filename() == name; });
  if (run == journal->runs.end())
    return error_reply(404, "not_found", "job " + id + " has no segment file '" + name.substr(0, 64) + "'");
  Reply r;
  r.file = run->file;
  r.content_type = name.ends_with(".ts") ? "video/mp2t" : name.ends_with(".aac") ? "audio/aac" : "video/mp4";
  // Indexed bytes never change; the file only grows past them.
  r.headers.emplace_back("Cache-Control", "private, max-age=3600");
  return r;
}

Reply Router::patch_job(const Request& req, const std::string& id) {
  auto parsed = json_body(req);
  if (auto* refused = std::get_if<Reply>(&parsed)) return std::move(*refused);
  const auto& body = std::get<nlohmann::json>(parsed);
  for (const auto& [key, value] : body.items())
    if (key != "pinned")
      return error_reply(400, "invalid_body", "field '" + key.substr(0, 40) + "' cannot change; a job takes 'pinned'");
  if (!body.contains("pinned") || !body["pinned"].is_boolean())
    return error_reply(400, "invalid_body", "field 'pinned' must be true or false");
  auto updated = service_.set_pinned(id, body["pinned"].get<bool>());
  if (!updated) return error_reply(updated.error());
  return job_reply(*cache_.rendering(*updated));
}

Reply Router::thumbnail(const std::string& id) {
  auto job = service_.get(id);
  if (!job) return error_reply(job.error());
  if (!job->thumbnail)
    return error_reply(404, "not_found",
                       "job " + id + " has no thumbnail (status: " + std::string(to_string(job->status)) +
                           "; a recording shows one a few seconds in, a stored recording keeps its poster frame)");
  Reply r = stored_object(job->thumbnail->key, "image/jpeg", id + ".jpg", "the thumbnail of job " + id);
  if (job->thumbnail->live) service_.preview_viewed(*job);
  // A live preview is renewed while someone looks (every half minute at most); a poster never changes.
  r.headers.emplace_back("Cache-Control", job->thumbnail->live ? "no-cache" : "private, max-age=86400");
  return r;
}

Reply Router::stored_object(const std::string& key, const std::string& content_type, const std::string& filename,
                            const std::string& what) {
  auto p = service_.local_file(key);
  if (!p) {
    // Stores that are not local (S3) hand out a presigned URL instead of streaming through us.
    if (auto url = service_.download_url(key)) {
      Reply r;
      r.status = 302;
      r.headers.emplace_back("Location", *url);
      return r;
    }
    return error_reply(404, "not_found", what + " is not stored locally");
  }
  Reply r;
  r.content_type = content_type;
  r.file = *p;
  r.headers.emplace_back("Content-Disposition", content_disposition(filename));
  return r;
}

Reply Router::static_file(const std::string& path, const std::string& accept_encoding) {
  const auto& root = config_.web_root;
  std::error_code ec;
  if (root.empty() || !std::filesystem::is_regular_file(root / "index.html", ec)) {
    if (path == "/" || path == "/index.html") {
      Reply r;
      r.content_type = "text/html; charset=utf-8";
      r.body = kFallbackPage;
      return r;
    }
    return error_reply(404, "not_found", "no such page: " + path);
  }
  // Reject traversal before touching the filesystem; then confirm the canonical path.
  if (path.find("..") != std::string::npos || path.find('\0') != std::string::npos)
    return error_reply(400, "bad_request", "invalid path");
  auto candidate = root / path.substr(1);
  const auto canonical_root = std::filesystem::weakly_canonical(root, ec);
  const auto canonical = std::filesystem::weakly_canonical(candidate, ec);
  const bool inside = canonical.string().starts_with(canonical_root.string());
  Reply r;
  // The build leaves brotli and gzip copies beside each text asset (web/scripts/compress.mjs).
  const auto compressed = [&](const std::filesystem::path& file) {
    r.headers.emplace_back("Vary", "Accept-Encoding");
    const std::string encoding = preferred_encoding(accept_encoding);
    if (encoding.empty()) return;
    auto alternative = file;
    alternative += encoding == "br" ? ".br" : ".gz";
    std::error_code missing;
    if (!std::filesystem::is_regular_file(alternative, missing)) return;
    r.file = alternative;
    r.headers.emplace_back("Content-Encoding", encoding);
  };
  if (inside && path != "/" && std::filesystem::is_regular_file(canonical, ec)) {
    r.file = canonical;
    r.content_type = content_type_for(canonical);
    compressed(canonical);
    // Vite puts a content hash in asset names, so they can be cached for good.
    if (path.starts_with("/assets/")) r.headers.emplace_back("Cache-Control", "public, max-age=31536000, immutable");
    return r;
  }
  if (path.starts_with("/assets/")) return error_reply(404, "not_found", "no such asset: " + path);
  r.file = root / "index.html";  // SPA fallback: the client router handles the path
  r.content_type = "text/html; charset=utf-8";
  compressed(root / "index.html");
  r.headers.emplace_back("Cache-Control", "no-cache");
  return r;
}

}  // namespace chronicle::http
