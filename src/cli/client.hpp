#pragma once
// The REST client behind the CLI (libcurl).
#include <cstdio>
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/result.hpp"

namespace chronicle::cli {

struct HttpResult {
  long status = 0;
  std::string body;
};

struct ServerEvent {
  std::string event = "message";
  std::string data;
  std::string id;
};

class Client {
 public:
  Client(std::string base_url, std::string token);
  const std::string& base_url() const { return base_; }

  // Any HTTP answer is a value; only transport failures are errors.
  Result<HttpResult> request(const std::string& method, const std::string& path,
                             const std::optional<nlohmann::json>& body = std::nullopt);
  // JSON of a 2xx answer, or the server's error message.
  Result<nlohmann::json> call(const std::string& method, const std::string& path,
                              const std::optional<nlohmann::json>& body = std::nullopt);
  // Follows an SSE stream until `on_event` returns false or the connection ends.
  Result<Ok> follow_events(const std::string& path, const std::string& last_event_id,
                           const std::function<bool(const ServerEvent&)>& on_event);
  // Streams a response body into `out`; `progress(received, total)` is called as bytes arrive.
  Result<long> download(const std::string& path, std::FILE* out,
                        const std::function<void(std::uint64_t, std::uint64_t)>& progress);

 private:
  std::string base_;
  std::string token_;
};

}  // namespace chronicle::cli
