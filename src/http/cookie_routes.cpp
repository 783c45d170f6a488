#include "http/routes.hpp"

namespace chronicle::http {
namespace bhttp = boost::beast::http;

namespace {

// What the API shows of a stored cookies file: never its content.
nlohmann::json summary_json(const std::string& domain, const std::string& text) {
  auto parsed = parse_cookies(text);
  nlohmann::json j = {{"domain", domain}, {"count", parsed ? parsed->count : 0}, {"expires_at", nullptr}};
  if (parsed && parsed->expires_at) j["expires_at"] = to_rfc3339(*parsed->expires_at);
  if (parsed)
    if (auto mismatch = cookie_domain_mismatch(domain, *parsed); !mismatch.empty()) j["warning"] = mismatch;
  return j;
}

}  // namespace

Reply Router::cookies_api(const Request& req, const std::string& path) {
  const auto m = req.method();
  const bool read = m == bhttp::verb::get || m == bhttp::verb::head;
  if (!cookies_)
    return error_reply(501, "not_implemented",
                       "cookies are not available on the " + std::string(to_string(config_.backend)) + " backend");
  constexpr std::string_view kRoot = "/api/v1/cookies";
  std::string rest = path.substr(kRoot.size());
  if (rest.empty() || rest == "/") {
    if (!read) return method_not_allowed("GET");
    auto domains = cookies_->domains();
    if (!domains) return error_reply(domains.error());
    nlohmann::json list = nlohmann::json::array();
    for (const auto& d : *domains) {
      auto text = cookies_->get(d);
      if (!text) return error_reply(text.error());
      if (*text) list.push_back(summary_json(d, **text));
    }
    return json_reply(200, {{"cookies", list}});
  }
  auto domain = normalize_cookie_domain(rest.substr(1));
  if (!domain) return error_reply(domain.error());
  if (read) {
    auto text = cookies_->get(*domain);
    if (!text) return error_reply(text.error());
    if (!*text) return error_reply(404, "not_found", "no cookies for " + *domain);
    return json_reply(200, summary_json(*domain, **text));
  }
  if (m == bhttp::verb::put) {
    auto parsed = json_body(req);
    if (auto* refused = std::get_if<Reply>(&parsed)) return std::move(*refused);
    const auto& body = std::get<nlohmann::json>(parsed);
    if (auto refused = unknown_field(body, {"cookies"}, "a domain's cookies")) return *refused;
    if (!body.contains("cookies") || !body["cookies"].is_string())
      return error_reply(400, "invalid_body",
                         "field 'cookies' is required: the text of a Netscape cookies file for " + *domain);
    const std::string text = body["cookies"].get<std::string>();
    auto summary = parse_cookies(text);
    if (!summary) return error_reply(summary.error());
    if (auto stored = cookies_->put(*domain, text); !stored) return error_reply(stored.error());
    return json_reply(200, summary_json(*domain, text));
  }
  if (m == bhttp::verb::delete_) {
    auto removed = cookies_->remove(*domain);
    if (!removed) return error_reply(removed.error());
    if (!*removed) return error_reply(404, "not_found", "no cookies for " + *domain);
    return json_reply(200, {{"deleted", *domain}});
  }
  return method_not_allowed("GET, PUT, DELETE");
}

}  // namespace chronicle::http
