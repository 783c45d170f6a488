#pragma once
// What `chronicle lambda` does with each event: API Gateway requests go through the same
// Router as `serve`; SQS batches go through the same Dispatcher, one message at a time;
// scheduled events run the reaper's sweep and the watcher's pass (channels, waiting jobs). Independent of the Runtime
// API transport.
#include <nlohmann/json.hpp>

#include <cstddef>
#include <functional>

#include "core/result.hpp"
#include "dispatch/dispatcher.hpp"
#include "http/routes.hpp"

namespace chronicle::lambda {

// An API Gateway proxy event (REST API payload 1.0 or HTTP API payload 2.0) as a request.
Result<http::Request> request_from_api_gateway(const nlohmann::json& event, std::size_t max_body_bytes);
// A Router reply as an API Gateway proxy response; binary bodies are base64-encoded.
nlohmann::json api_gateway_response(const http::Reply& reply);

std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);

class Handler {
 public:
  // `queue`: the queue the SQS events come from, to hold back messages that must wait. `sweep`:
  // what a scheduled event runs; what it returns is added to the response.
  Handler(http::Router& router, dispatch::Dispatcher& dispatcher, JobQueue& queue, std::size_t max_body_bytes,
          int max_receives, std::function<nlohmann::json()> sweep)
      : router_(router),
        dispatcher_(dispatcher),
        queue_(queue),
        max_body_bytes_(max_body_bytes),
        max_receives_(max_receives),
        sweep_(std::move(sweep)) {}

  // The response document for one event; an error for an event of a kind it does not know.
  Result<nlohmann::json> handle(const nlohmann::json& event);

 private:
  nlohmann::json http_event(const nlohmann::json& event);
  // {"batchItemFailures": [{"itemIdentifier": messageId}, ...]}: those stay on the queue.
  nlohmann::json sqs_event(const nlohmann::json& event);

  http::Router& router_;
  dispatch::Dispatcher& dispatcher_;
  JobQueue& queue_;
  std::size_t max_body_bytes_;
  int max_receives_;
  std::function<nlohmann::json()> sweep_;
};

}  // namespace chronicle::lambda
