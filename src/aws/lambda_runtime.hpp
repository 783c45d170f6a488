#pragma once
// The Lambda Runtime API (what a provided.al2023 function's `bootstrap` speaks): long-poll
// the next event, then post its response or its error. It is plain HTTP to a local endpoint
// given in AWS_LAMBDA_RUNTIME_API; there is no library for it in Debian.
#include <string>

#include "aws/aws.hpp"
#include "core/result.hpp"

namespace chronicle::aws {

struct Invocation {
  std::string request_id;
  std::string body;
};

class LambdaRuntime {
 public:
  // `api`: host:port, as in AWS_LAMBDA_RUNTIME_API.
  explicit LambdaRuntime(std::string api);

  // Blocks until Lambda hands over the next event.
  Result<Invocation> next() const;
  Result<Ok> respond(const std::string& request_id, const std::string& body) const;
  // The invocation failed: Lambda reports {errorType, errorMessage} to the caller.
  Result<Ok> fail(const std::string& request_id, const std::string& type, const std::string& message) const;
  // The function could not start at all (bad settings, unreachable services).
  Result<Ok> fail_init(const std::string& type, const std::string& message) const;

 private:
  Result<Ok> post(const std::string& path, const std::string& body, const std::string& error_type) const;
  std::string base_;
  Client client_;
};

}  // namespace chronicle::aws
