#include "aws/lambda_runtime.hpp"

#include <nlohmann/json.hpp>

namespace chronicle::aws {

LambdaRuntime::LambdaRuntime(std::string api)
    : base_("http://" + std::move(api) + "/2018-06-01/runtime"), client_(Settings{}) {}

Result<Invocation> LambdaRuntime::next() const {
  Request request;
  request.method = "GET";
  request.url = base_ + "/invocation/next";
  request.sign = false;
  request.timeout_s = 0;  // the call returns when there is work, however long that takes
  auto response = client_.send(request);
  if (!response) return response.error();
  if (!response->ok())
    return make_error("lambda_runtime", "the Runtime API answered " + std::to_string(response->status) +
                                            " to next: " + response->body.substr(0, 200));
  Invocation invocation;
  invocation.request_id = response->headers["lambda-runtime-aws-request-id"];
  if (invocation.request_id.empty())
    return make_error("lambda_runtime", "the Runtime API sent an event without Lambda-Runtime-Aws-Request-Id");
  invocation.body = std::move(response->body);
  return invocation;
}

Result<Ok> LambdaRuntime::post(const std::string& path, const std::string& body, const std::string& error_type) const {
  Request request;
  request.method = "POST";
  request.url = base_ + path;
  request.sign = false;
  request.timeout_s = 30;
  request.body = body;
  request.headers.emplace_back("Content-Type", "application/json");
  if (!error_type.empty()) request.headers.emplace_back("Lambda-Runtime-Function-Error-Type", error_type);
  auto response = client_.send(request);
  if (!response) return response.error();
  if (!response->ok())
    return make_error("lambda_runtime", "the Runtime API answered " + std::to_string(response->status) + " to " + path +
                                            ": " + response->body.substr(0, 200));
  return Ok{};
}

Result<Ok> LambdaRuntime::respond(const std::string& request_id, const std::string& body) const {
  return post("/invocation/" + request_id + "/response", body, {});
}

Result<Ok> LambdaRuntime::fail(const std::string& request_id, const std::string& type,
                               const std::string& message) const {
  return post("/invocation/" + request_id + "/error",
              nlohmann::json{{"errorType", type}, {"errorMessage", message}}.dump(), type);
}

Result<Ok> LambdaRuntime::fail_init(const std::string& type, const std::string& message) const {
  return post("/init/error", nlohmann::json{{"errorType", type}, {"errorMessage", message}}.dump(), type);
}

}  // namespace chronicle::aws
