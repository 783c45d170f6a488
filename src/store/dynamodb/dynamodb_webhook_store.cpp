#include "store/dynamodb/dynamodb_webhook_store.hpp"

#include <cstdio>

#include "store/dynamodb/items.hpp"

namespace chronicle::dynamodb {
namespace {

using json = nlohmann::json;

constexpr const char* kWebhookList = "webhook";
constexpr const char* kOutbox = "outbox";
constexpr const char* kCursorKey = "webhook_cursor#jobs";

std::int64_t number(const json& item, const char* name) {
  return item.contains(name) ? std::stoll(item.at(name).at("N").get<std::string>()) : 0;
}
std::string text(const json& item, const char* name) {
  return item.contains(name) ? item.at(name).at("S").get<std::string>() : std::string();
}

json webhook_item(const Webhook& w) {
  const json doc = {{"id", w.id},         {"url", w.url},
                    {"events", w.events}, {"format", to_string(w.format)},
                    {"secret", w.secret}, {"created_ms", to_epoch_ms(w.created_at)}};
  return {{"pk", S("webhook#" + w.id)}, {"list_pk", S(kWebhookList)}, {"id", S(w.id)}, {"doc", S(doc.dump())}};
}

Result<Webhook> webhook_from_item(const json& item) {
  try {
    const auto doc = json::parse(item.at("doc").at("S").get<std::string>());
    Webhook w;
    w.id = doc.at("id").get<std::string>();
    w.url = doc.at("url").get<std::string>();
    w.events = doc.at("events").get<std::vector<std::string>>();
    w.format = parse_webhook_format(doc.value("format", "json")).value_or(WebhookFormat::json);
    w.secret = doc.value("secret", "");
    w.created_at = from_epoch_ms(doc.value("created_ms", std::int64_t{0}));
    return w;
  } catch (const std::exception& e) {
    return make_error("corrupt_webhook", std::string("a stored webhook item cannot be read: ") + e.what());
  }
}

// The `list` index's sort key of a delivery: newest last when read forward.
std::string delivery_sort_key(const Delivery& d) {
  char created[24];
  std::snprintf(created, sizeof created, "%015lld", static_cast<long long>(to_epoch_ms(d.created_at)));
  return std::string(created) + "#" + d.id;
}

json delivery_item(const Delivery& d) {
  json item = {{"pk", S("delivery#" + d.id)},
               {"list_pk", S("delivery#" + d.webhook_id)},
               {"id", S(delivery_sort_key(d))},
               {"delivery_id", S(d.id)},
               {"webhook_id", S(d.webhook_id)},
               {"event", S(d.event)},
               {"body", S(d.body)},
               {"state", S(std::string(to_string(d.state)))},
               {"attempts", N(d.attempts)},
               {"created_ms", N(to_epoch_ms(d.created_at))},
               {"next_ms", N(to_epoch_ms(d.next_attempt_at))},
               {"last_status", N(d.last_status)},
               {"last_error", S(d.last_error)}};
  if (d.delivered_at) item["delivered_ms"] = N(to_epoch_ms(*d.delivered_at));
  if (d.state == DeliveryState::pending) {
    item["feed_pk"] = S(kOutbox);
    item["seq"] = N(to_epoch_ms(d.next_attempt_at));
  } else {
    item["expires_at"] = N(epoch_seconds() + std::chrono::seconds(kEndedDeliveryKept).count());
  }
  return item;
}

Result<Delivery> delivery_from_item(const json& item) {
  try {
    Delivery d;
    d.id = text(item, "delivery_id");
    d.webhook_id = text(item, "webhook_id");
    d.event = text(item, "event");
    d.body = text(item, "body");
    const std::string state = text(item, "state");
    d.state = state == "delivered" ? DeliveryState::delivered
              : state == "failed"  ? DeliveryState::failed
                                   : DeliveryState::pending;
    d.attempts = static_cast<int>(number(item, "attempts"));
    d.created_at = from_epoch_ms(number(item, "created_ms"));
    d.next_attempt_at = from_epoch_ms(number(item, "next_ms"));
    if (item.contains("delivered_ms")) d.delivered_at = from_epoch_ms(number(item, "delivered_ms"));
    d.last_status = static_cast<int>(number(item, "last_status"));
    d.last_error = text(item, "last_error");
    return d;
  } catch (const std::exception& e) {
    return make_error("corrupt_delivery", std::string("a stored webhook delivery cannot be read: ") + e.what());
  }
}

}  // namespace

Result<Webhook> DynamoWebhookStore::create(const Webhook& webhook) {
  auto written = dynamo(client_, "PutItem",
                        {{"TableName", options_.table},
                         {"Item", webhook_item(webhook)},
                         {"ConditionExpression", "attribute_not_exists(pk)"}});
  if (written) return webhook;
  if (condition_failed(written.error()))
    return Error{"conflict", "a webhook with id " + webhook.id + " exists", ErrorKind::conflict};
  return written.error();
}

Result<std::vector<Webhook>> DynamoWebhookStore::list() {
  std::vector<Webhook> out;
  auto listed = query_all(client_,
                          {{"TableName", options_.table},
                           {"IndexName", "list"},
                           {"KeyConditionExpression", "list_pk = :k"},
                           {"ExpressionAttributeValues", {{":k", S(kWebhookList)}}}},
                          [&](const json& item) -> Result<Ok> {
                            auto w = webhook_from_item(item);
                            if (!w) return w.error();
                            out.push_back(std::move(*w));
                            return Ok{};
                          });
  if (!listed) return listed.error();
  return out;
}

Result<std::optional<Webhook>> DynamoWebhookStore::get(const std::string& id) {
  auto r = dynamo(client_, "GetItem",
                  {{"TableName", options_.table}, {"Key", {{"pk", S("webhook#" + id)}}}, {"ConsistentRead", true}});
  if (!r) return r.error();
  if (!r->contains("Item")) return std::optional<Webhook>();
  auto w = webhook_from_item((*r)["Item"]);
  if (!w) return w.error();
  return std::optional<Webhook>(std::move(*w));
}

Result<bool> DynamoWebhookStore::remove(const std::string& id) {
  auto deleted = dynamo(client_, "DeleteItem",
                        {{"TableName", options_.table},
                         {"Key", {{"pk", S("webhook#" + id)}}},
                         {"ConditionExpression", "attribute_exists(pk)"}});
  if (!deleted) {
    if (condition_failed(deleted.error())) return false;
    return deleted.error();
  }
  // Its deliveries go too. One queued while this runs may stay behind: the sender gives it up
  // when it finds no webhook, and it expires like any ended delivery.
  json deletes = json::array();
  auto flush = [&]() -> Result<Ok> {
    for (int attempt = 0; !deletes.empty(); ++attempt) {
      if (attempt == 5)
        return make_error(ErrorKind::throttled, "ProvisionedThroughputExceededException",
                          "DynamoDB did not delete all of the webhook's deliveries; try again");
      auto w = dynamo(client_, "BatchWriteItem", {{"RequestItems", {{options_.table, deletes}}}});
      if (!w) return w.error();
      deletes = w->value("UnprocessedItems", json::object()).value(options_.table, json::array());
    }
    return Ok{};
  };
  auto listed = query_all(client_,
                          {{"TableName", options_.table},
                           {"IndexName", "list"},
                           {"KeyConditionExpression", "list_pk = :k"},
                           {"ExpressionAttributeValues", {{":k", S("delivery#" + id)}}},
                           {"ProjectionExpression", "pk"}},
                          [&](const json& item) -> Result<Ok> {
                            deletes.push_back({{"DeleteRequest", {{"Key", {{"pk", item.at("pk")}}}}}});
                            return deletes.size() == 25 ? flush() : Result<Ok>(Ok{});  // BatchWriteItem's limit
                          });
  if (!listed) return listed.error();
  if (auto f = flush(); !f) return f.error();
  return true;
}

Result<bool> DynamoWebhookStore::enqueue(const Delivery& delivery) {
  Delivery d = delivery;
  d.state = DeliveryState::pending;
  d.attempts = 0;
  d.delivered_at.reset();
  d.last_status = 0;
  d.last_error.clear();
  auto written = dynamo(
      client_, "PutItem",
      {{"TableName", options_.table}, {"Item", delivery_item(d)}, {"ConditionExpression", "attribute_not_exists(pk)"}});
  if (written) return true;
  if (condition_failed(written.error())) return false;
  return written.error();
}

Result<std::vector<Delivery>> DynamoWebhookStore::query_deliveries(json request, std::size_t limit) {
  std::vector<Delivery> out;
  while (out.size() < limit) {
    request["Limit"] = limit - out.size();
    auto page = dynamo(client_, "Query", request);
    if (!page) return page.error();
    for (const auto& i : page->value("Items", json::array())) {
      auto d = delivery_from_item(i);
      if (!d) return d.error();
      out.push_back(std::move(*d));
    }
    if (!page->contains("LastEvaluatedKey")) break;
    request["ExclusiveStartKey"] = (*page)["LastEvaluatedKey"];
  }
  return out;
}

Result<std::vector<Delivery>> DynamoWebhookStore::due(TimePoint at, std::size_t limit) {
  return query_deliveries({{"TableName", options_.table},
                           {"IndexName", "feed"},
                           {"KeyConditionExpression", "feed_pk = :f AND seq <= :at"},
                           {"ExpressionAttributeValues", {{":f", S(kOutbox)}, {":at", N(to_epoch_ms(at))}}},
                           {"ScanIndexForward", true}},
                          limit);
}

Result<bool> DynamoWebhookStore::claim(Delivery& delivery, TimePoint lease_until) {
  const auto lease = to_epoch_ms(lease_until);
  auto written = dynamo(client_, "UpdateItem",
                        {{"TableName", options_.table},
                         {"Key", {{"pk", S("delivery#" + delivery.id)}}},
                         {"UpdateExpression", "SET next_ms = :lease, seq = :lease"},
                         {"ConditionExpression", "#state = :pending AND attempts = :attempts AND next_ms = :next"},
                         {"ExpressionAttributeNames", {{"#state", "state"}}},
                         {"ExpressionAttributeValues",
                          {{":lease", N(lease)},
                           {":pending", S("pending")},
                           {":attempts", N(delivery.attempts)},
                           {":next", N(to_epoch_ms(delivery.next_attempt_at))}}}});
  if (!written) {
    if (condition_failed(written.error())) return false;
    return written.error();
  }
  delivery.next_attempt_at = lease_until;
  return true;
}

Result<Ok> DynamoWebhookStore::update(const Delivery& delivery) {
  // Not written back when the delivery went with its webhook meanwhile.
  auto written = dynamo(client_, "PutItem",
                        {{"TableName", options_.table},
                         {"Item", delivery_item(delivery)},
                         {"ConditionExpression", "attribute_exists(pk)"}});
  if (!written && !condition_failed(written.error())) return written.error();
  return Ok{};
}

Result<std::vector<Delivery>> DynamoWebhookStore::recent(const std::string& webhook_id, std::size_t limit) {
  return query_deliveries({{"TableName", options_.table},
                           {"IndexName", "list"},
                           {"KeyConditionExpression", "list_pk = :k"},
                           {"ExpressionAttributeValues", {{":k", S("delivery#" + webhook_id)}}},
                           {"ScanIndexForward", false}},
                          limit);
}

Result<std::optional<std::int64_t>> DynamoWebhookStore::feed_cursor() {
  auto r = dynamo(client_, "GetItem",
                  {{"TableName", options_.table}, {"Key", {{"pk", S(kCursorKey)}}}, {"ConsistentRead", true}});
  if (!r) return r.error();
  if (!r->contains("Item")) return std::optional<std::int64_t>();
  return std::optional<std::int64_t>(number((*r)["Item"], "cursor"));
}

Result<Ok> DynamoWebhookStore::set_feed_cursor(std::int64_t cursor) {
  // Two followers (serve and the scheduled pass) may read the feed at once; the cursor keeps the
  // furthest either got to.
  auto written = dynamo(client_, "PutItem",
                        {{"TableName", options_.table},
                         {"Item", {{"pk", S(kCursorKey)}, {"cursor", N(cursor)}}},
                         {"ConditionExpression", "attribute_not_exists(pk) OR #cursor < :c"},
                         {"ExpressionAttributeNames", {{"#cursor", "cursor"}}},
                         {"ExpressionAttributeValues", {{":c", N(cursor)}}}});
  if (!written && !condition_failed(written.error())) return written.error();
  return Ok{};
}

}  // namespace chronicle::dynamodb
