#include "lambda/handler.hpp"

#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "aws/aws.hpp"

namespace chronicle::lambda {
namespace bhttp = boost::beast::http;
using nlohmann::json;

namespace {

std::string string_at(const json& object, const char* key) {
  if (!object.is_object()) return {};
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

bool is_text(const std::string& content_type) {
  return content_type.starts_with("text/") || content_type.find("json") != std::string::npos ||
         content_type.find("javascript") != std::string::npos || content_type.find("xml") != std::string::npos;
}

json proxy_error(unsigned status, const std::string& code, const std::string& message) {
  return api_gateway_response(http::error_reply(status, code, message));
}

// How long a message waits before it is offered again when all recording slots are busy.
constexpr std::chrono::seconds kCapacityRetry{60};

}  // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out(3 * text.size() / 4, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock counts the padding as zero bytes.
  std::size_t size = static_cast<std::size_t>(n);
  for (auto it = text.rbegin(); it != text.rend() && *it == '=' && size > 0; ++it) --size;
  out.resize(size);
  return out;
}

Result<http::Request> request_from_api_gateway(const json& event, std::size_t max_body_bytes) {
  std::string method, target;
  if (event.contains("rawPath")) {  // HTTP API, payload format 2.0: the path arrives as sent
    method = string_at(event.value("requestContext", json::object()).value("http", json::object()), "method");
    target = string_at(event, "rawPath");
    if (const std::string q = string_at(event, "rawQueryString"); !q.empty()) target += "?" + q;
  } else {  // REST API, payload format 1.0: the path and the parameters arrive decoded
    method = string_at(event, "httpMethod");
    target = aws::uri_encode(string_at(event, "path"), true);
    std::string query;
    auto add = [&](const std::string& k, const std::string& v) {
      query += (query.empty() ? "" : "&") + aws::uri_encode(k, false) + "=" + aws::uri_encode(v, false);
    };
    if (const auto& multi = event.value("multiValueQueryStringParameters", json()); multi.is_object()) {
      for (const auto& [k, values] : multi.items())
        if (values.is_array())
          for (const auto& v : values)
            if (v.is_string()) add(k, v.get<std::string>());
    } else if (const auto& single = event.value("queryStringParameters", json()); single.is_object()) {
      for (const auto& [k, v] : single.items())
        if (v.is_string()) add(k, v.get<std::string>());
    }
    if (!query.empty()) target += "?" + query;
  }
  const auto verb = bhttp::string_to_verb(method);
  if (verb == bhttp::verb::unknown) return make_error("bad_request", "unknown HTTP method '" + method + "'");
  if (target.empty() || target.front() != '/') return make_error("bad_request", "the event has no request path");

  http::Request request{verb, target, 11};
  if (const auto& headers = event.value("headers", json()); headers.is_object())
    for (const auto& [k, v] : headers.items())
      if (v.is_string()) request.set(k, v.get<std::string>());
  if (const auto& cookies = event.value("cookies", json()); cookies.is_array()) {
    std::string joined;
    for (const auto& c : cookies)
      if (c.is_string()) joined += (joined.empty() ? "" : "; ") + c.get<std::string>();
    if (!joined.empty()) request.set(bhttp::field::cookie, joined);
  }
  std::string body = string_at(event, "body");
  if (event.value("isBase64Encoded", false)) {
    auto decoded = base64_decode(body);
    if (!decoded) return make_error("bad_request", "the request body is not valid base64");
    body = std::move(*decoded);
  }
  if (body.size() > max_body_bytes)
    return make_error("payload_too_large", "request body is larger than " + std::to_string(max_body_bytes) + " bytes");
  request.body() = std::move(body);
  request.prepare_payload();
  return request;
}

json api_gateway_response(const http::Reply& reply) {
  if (reply.event_stream)
    return proxy_error(501, "not_available",
                       "the event stream needs a long-lived connection, which API Gateway does not keep; poll GET "
                       "/api/v1/jobs instead");
  if (reply.file)
    return proxy_error(501, "not_available", "this deployment stores recordings locally, which Lambda cannot serve");
  json headers = json::object();
  headers["content-type"] = reply.content_type;
  for (const auto& [k, v] : reply.headers) {
    std::string name = k;
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    headers[name] = headers.contains(name) ? headers[name].get<std::string>() + ", " + v : v;
  }
  const bool text = is_text(reply.content_type);
  return {{"statusCode", reply.status},
          {"headers", headers},
          {"body", text ? reply.body : base64_encode(reply.body)},
          {"isBase64Encoded", !text}};
}

Result<json> Handler::handle(const json& event) {
  if (!event.is_object()) return make_error("UnsupportedEvent", "the event is not a JSON object");
  if (const auto& records = event.value("Records", json());
      records.is_array() && !records.empty() && string_at(records.front(), "eventSource") == "aws:sqs")
    return sqs_event(event);
  if (event.contains("requestContext") && (event.contains("rawPath") || event.contains("httpMethod")))
    return http_event(event);
  if (string_at(event, "source") == "aws.events" || string_at(event, "detail-type") == "Scheduled Event") {
    json done = {{"swept", true}};
    if (sweep_) done.update(sweep_());
    dispatcher_.fail_dead_letters();
    return done;
  }
  return make_error(
      "UnsupportedEvent",
      "chronicle handles API Gateway proxy events, SQS batches and scheduled events; this is none of them");
}

json Handler::http_event(const json& event) {
  auto request = request_from_api_gateway(event, max_body_bytes_);
  if (!request)
    return proxy_error(request.error().code == "payload_too_large" ? 413 : 400, request.error().code,
                       request.error().message);
  const http::Reply reply = router_.handle(*request);
  spdlog::info("lambda http {} {} -> {}", std::string(request->method_string()), std::string(request->target()),
               reply.status);
  return api_gateway_response(reply);
}

json Handler::sqs_event(const json& event) {
  json failures = json::array();
  std::set<std::string> failed_groups;
  for (const auto& record : event["Records"]) {
    const std::string message_id = string_at(record, "messageId");
    const json attributes = record.value("attributes", json::object());
    const std::string group = string_at(attributes, "MessageGroupId");
    auto keep = [&] {
      failures.push_back({{"itemIdentifier", message_id}});
      if (!group.empty()) failed_groups.insert(group);
    };
    // FIFO order within a group: nothing may overtake a message of its group that stays.
    if (!group.empty() && failed_groups.count(group)) {
      keep();
      continue;
    }
    const auto body = json::parse(string_at(record, "body"), nullptr, false);
    QueueMessage message;
    message.job_id = string_at(body, "job_id");
    message.receipt = string_at(record, "receiptHandle");
    const std::string count = string_at(attributes, "ApproximateReceiveCount");
    message.receive_count = count.empty() ? 1 : std::atoi(count.c_str());
    if (message.job_id.empty()) {
      // Not ours to interpret: kept, so the redrive policy parks it in the dead-letter queue.
      spdlog::error("lambda sqs: message {} has no job id; leaving it for the dead-letter queue", message_id);
      keep();
      continue;
    }
    if (message.receive_count > max_receives_) {
      dispatcher_.fail_dead_letter(message);
      continue;
    }
    if (!dispatcher_.has_capacity()) {
      spdlog::info("lambda sqs: job {} waits for a free recording slot", message.job_id);
      // If the delay cannot be set, the message comes back after its usual visibility instead.
      (void)queue_.extend_visibility(message, kCapacityRetry);
      keep();
      continue;
    }
    if (dispatcher_.handle(message) == dispatch::Dispatcher::Handled::retry) keep();
  }
  dispatcher_.fail_dead_letters();
  spdlog::info("lambda sqs: {} messages, {} kept for retry", event["Records"].size(), failures.size());
  return {{"batchItemFailures", failures}};
}

}  // namespace chronicle::lambda
