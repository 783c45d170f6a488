#include "dispatch/lambda_clip_cutter.hpp"

#include <nlohmann/json.hpp>

namespace chronicle::dispatch {

std::string LambdaClipCutter::invoke_url() const {
  const auto& s = client_.settings();
  std::string base = !endpoint_.empty()    ? endpoint_
                     : !s.endpoint.empty() ? s.endpoint
                                           : "https://lambda." + s.region + ".amazonaws.com";
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/2015-03-31/functions/" + aws::uri_encode(function_, false) + "/invocations";
}

std::string LambdaClipCutter::event(const std::string& job_id, const std::string& clip_id) {
  return nlohmann::json{{"chronicle", kCutClipEvent}, {"job_id", job_id}, {"clip_id", clip_id}}.dump();
}

Result<Ok> LambdaClipCutter::request(const std::string& job_id, const std::string& clip_id) {
  const std::string body = event(job_id, clip_id);
  // An asynchronous invocation: Lambda answers 202 once it has queued the event, and retries a
  // failed run twice by itself.
  const aws::Request request{"lambda",     "POST",
                             invoke_url(), {{"X-Amz-Invocation-Type", "Event"}, {"Content-Type", "application/json"}},
                             body,         30};
  auto answer = aws::send_with_retry(client_, request, aws::retryable_status);
  if (!answer) return answer.error();
  if (answer->status != 202) return aws::parse_error(*answer, "lambda Invoke " + function_);
  return Ok{};
}

}  // namespace chronicle::dispatch
