#pragma once
// What the DynamoDB stores share: attribute values, the call, and telling a lost condition from a
// failure.
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "aws/aws.hpp"

namespace chronicle::dynamodb {

inline nlohmann::json S(const std::string& v) { return {{"S", v}}; }
inline nlohmann::json N(std::int64_t v) { return {{"N", std::to_string(v)}}; }

inline std::int64_t epoch_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

inline Result<nlohmann::json> dynamo(const aws::Client& c, const std::string& action, const nlohmann::json& body) {
  return aws::json_call(c, "dynamodb", "DynamoDB_20120810", action, body);
}

// A conditional write (or a transaction with one) that did not apply because its condition failed.
inline bool condition_failed(const Error& e) {
  return e.code == "ConditionalCheckFailedException" || e.code == "TransactionCanceledException";
}

// Runs a Query page by page, handing each item to `each`; stops at the first error either gives.
inline Result<Ok> query_all(const aws::Client& c, nlohmann::json request,
                            const std::function<Result<Ok>(const nlohmann::json& item)>& each) {
  for (;;) {
    auto page = dynamo(c, "Query", request);
    if (!page) return page.error();
    for (const auto& item : page->value("Items", nlohmann::json::array()))
      if (auto r = each(item); !r) return r.error();
    if (!page->contains("LastEvaluatedKey")) return Ok{};
    request["ExclusiveStartKey"] = (*page)["LastEvaluatedKey"];
  }
}

}  // namespace chronicle::dynamodb
