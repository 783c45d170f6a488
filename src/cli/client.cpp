#include "cli/client.hpp"

#include <curl/curl.h>

#include <memory>

namespace chronicle::cli {
namespace {

struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
  ~CurlGlobal() { curl_global_cleanup(); }
};

using CurlPtr = std::unique_ptr<CURL, decltype(&curl_easy_cleanup)>;
using HeaderList = std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)>;

CurlPtr make_handle() {
  static CurlGlobal global;
  return CurlPtr(curl_easy_init(), &curl_easy_cleanup);
}

size_t append_to_string(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

ErrorKind kind_for_status(long status) {
  if (status == 404) return ErrorKind::not_found;
  if (status == 409) return ErrorKind::conflict;
  if (status == 503 || status == 502 || status == 504) return ErrorKind::unavailable;
  if (status == 429) return ErrorKind::throttled;
  if (status >= 500) return ErrorKind::internal;
  return ErrorKind::invalid;
}

Error transport_error(const std::string& base, CURLcode code) {
  std::string hint;
  if (code == CURLE_COULDNT_CONNECT) hint = " (is `chronicle serve` running there?)";
  return make_error(ErrorKind::unavailable, "unreachable",
                    "cannot reach chronicle at " + base + ": " + curl_easy_strerror(code) + hint);
}

}  // namespace

Client::Client(std::string base_url, std::string token) : base_(std::move(base_url)), token_(std::move(token)) {
  while (!base_.empty() && base_.back() == '/') base_.pop_back();
}

Result<HttpResult> Client::request(const std::string& method, const std::string& path,
                                   const std::optional<nlohmann::json>& body) {
  auto curl = make_handle();
  HttpResult result;
  const std::string url = base_ + path;
  std::string payload = body ? body->dump() : std::string();
  HeaderList headers(nullptr, &curl_slist_free_all);
  curl_slist* h = nullptr;
  h = curl_slist_append(h, "Accept: application/json");
  if (body) h = curl_slist_append(h, "Content-Type: application/json");
  const std::string auth = "Authorization: Bearer " + token_;
  if (!token_.empty()) h = curl_slist_append(h, auth.c_str());
  headers.reset(h);
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, append_to_string);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &result.body);
  curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, 120L);
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  if (body || method == "POST") {
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, payload.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE, static_cast<long>(payload.size()));
  }
  const CURLcode rc = curl_easy_perform(curl.get());
  if (rc != CURLE_OK) return transport_error(base_, rc);
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &result.status);
  return result;
}

Result<nlohmann::json> Client::call(const std::string& method, const std::string& path,
                                    const std::optional<nlohmann::json>& body) {
  auto r = request(method, path, body);
  if (!r) return r.error();
  nlohmann::json parsed = nlohmann::json::parse(r->body, nullptr, false);
  // chronicle answers JSON, its errors as {"error": {...}}: anything else came from another
  // server, which --server (or $CHRONICLE_SERVER) points at by mistake.
  const auto not_chronicle = [&] {
    return make_error(ErrorKind::invalid, "not_chronicle",
                      base_ + " answered HTTP " + std::to_string(r->status) +
                          ", and not as chronicle answers: is --server (or $CHRONICLE_SERVER) a chronicle server?");
  };
  if (r->status >= 200 && r->status < 300) {
    if (parsed.is_discarded()) return not_chronicle();
    return parsed;
  }
  if (!parsed.is_discarded() && parsed.contains("error") && parsed["error"].is_object())
    return make_error(kind_for_status(r->status), parsed["error"].value("code", "error"),
                      parsed["error"].value("message", "request failed"));
  // A proxy in front of chronicle says these when chronicle is down or slow: try again later.
  if (r->status == 502 || r->status == 503 || r->status == 504)
    return make_error(ErrorKind::unavailable, "http_" + std::to_string(r->status),
                      base_ + " answered HTTP " + std::to_string(r->status) + ": chronicle behind it is unreachable");
  return not_chronicle();
}

Result<Ok> Client::follow_events(const std::string& path, const std::string& last_event_id,
                                 const std::function<bool(const ServerEvent&)>& on_event) {
  struct State {
    std::string line;
    ServerEvent current;
    const std::function<bool(const ServerEvent&)>* callback;
    bool stop = false;
  } state{{}, {}, &on_event, false};
  auto write = +[](char* data, size_t size, size_t n, void* user) -> size_t {
    auto* s = static_cast<State*>(user);
    for (size_t i = 0; i < size * n; ++i) {
      const char c = data[i];
      if (c == '\r') continue;
      if (c != '\n') {
        s->line.push_back(c);
        continue;
      }
      if (s->line.empty()) {
        if (!s->current.data.empty() && !(*s->callback)(s->current)) {
          s->stop = true;
          return 0;  // abort the transfer
        }
        s->current = ServerEvent{};
      } else if (s->line.front() != ':') {
        const auto colon = s->line.find(':');
        const std::string field = s->line.substr(0, colon);
        std::string value = colon == std::string::npos ? "" : s->line.substr(colon + 1);
        if (!value.empty() && value.front() == ' ') value.erase(0, 1);
        if (field == "event")
          s->current.event = value;
        else if (field == "data")
          s->current.data += (s->current.data.empty() ? "" : "\n") + value;
        else if (field == "id")
          s->current.id = value;
      }
      s->line.clear();
    }
    return size * n;
  };
  auto curl = make_handle();
  const std::string url = base_ + path;
  HeaderList headers(nullptr, &curl_slist_free_all);
  curl_slist* h = curl_slist_append(nullptr, "Accept: text/event-stream");
  const std::string last = "Last-Event-ID: " + last_event_id;
  if (!last_event_id.empty()) h = curl_slist_append(h, last.c_str());
  headers.reset(h);
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, write);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &state);
  curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  // The server pings every 15 s; a minute of silence means the connection is dead.
  curl_easy_setopt(curl.get(), CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_LOW_SPEED_TIME, 60L);
  const CURLcode rc = curl_easy_perform(curl.get());
  if (state.stop) return Ok{};
  if (rc != CURLE_OK) return transport_error(base_, rc);
  return Ok{};
}

Result<long> Client::download(const std::string& path, std::FILE* out,
                              const std::function<void(std::uint64_t, std::uint64_t)>& progress) {
  struct State {
    std::FILE* out;
    const std::function<void(std::uint64_t, std::uint64_t)>* progress;
    CURL* curl;
    std::uint64_t received = 0;
    std::string error_body;
  };
  auto curl = make_handle();
  State state{out, &progress, curl.get(), 0, {}};
  auto write = +[](char* data, size_t size, size_t n, void* user) -> size_t {
    auto* s = static_cast<State*>(user);
    long status = 0;
    curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 300) {
      s->error_body.append(data, size * n);
      return size * n;
    }
    const size_t wrote = std::fwrite(data, 1, size * n, s->out);
    s->received += wrote;
    curl_off_t total = 0;
    curl_easy_getinfo(s->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &total);
    if (*s->progress) (*s->progress)(s->received, total > 0 ? static_cast<std::uint64_t>(total) : 0);
    return wrote;
  };
  const std::string url = base_ + path;
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, write);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &state);
  curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  const CURLcode rc = curl_easy_perform(curl.get());
  if (rc != CURLE_OK) return transport_error(base_, rc);
  long status = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  if (status >= 300) {
    auto parsed = nlohmann::json::parse(state.error_body, nullptr, false);
    if (!parsed.is_discarded() && parsed.contains("error") && parsed["error"].is_object())
      return make_error(kind_for_status(status), parsed["error"].value("code", "error"),
                        parsed["error"].value("message", "download failed"));
    return make_error(kind_for_status(status), "http_" + std::to_string(status),
                      "the server answered HTTP " + std::to_string(status));
  }
  return status;
}

}  // namespace chronicle::cli
