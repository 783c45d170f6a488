#include "store/dynamodb/dynamodb_channel_store.hpp"

#include "store/dynamodb/items.hpp"

namespace chronicle::dynamodb {
namespace {

using json = nlohmann::json;

std::string url_key(const std::string& url) { return "channelurl#" + aws::hex_sha256(url); }

Result<Channel> channel_from_item(const json& item) {
  try {
    auto c = parse_stored_channel(item.at("doc").at("S").get<std::string>());
    if (!c) return c;
    c->version = std::stoll(item.at("version").at("N").get<std::string>());
    return c;
  } catch (const std::exception& e) {
    return make_error("corrupt_channel", std::string("a stored channel item cannot be read: ") + e.what());
  }
}

}  // namespace

json DynamoChannelStore::item(const Channel& c) const {
  return {{"pk", S("channel#" + c.id)}, {"id", S(c.id)},
          {"list_pk", S("channel")},    {"url", S(c.url)},
          {"version", N(c.version)},    {"doc", S(to_storage_json(c).dump())}};
}

Result<Channel> DynamoChannelStore::create(const Channel& channel) {
  Channel stored = channel;
  stored.version = 1;
  auto written = dynamo(client_, "TransactWriteItems",
                        {{"TransactItems",
                          {{{"Put",
                             {{"TableName", options_.table},
                              {"Item", {{"pk", S(url_key(stored.url))}, {"channel_id", S(stored.id)}}},
                              {"ConditionExpression", "attribute_not_exists(pk)"}}}},
                           {{"Put",
                             {{"TableName", options_.table},
                              {"Item", item(stored)},
                              {"ConditionExpression", "attribute_not_exists(pk)"}}}}}}});
  if (written) return stored;
  if (!condition_failed(written.error())) return written.error();
  auto lock =
      dynamo(client_, "GetItem",
             {{"TableName", options_.table}, {"Key", {{"pk", S(url_key(stored.url))}}}, {"ConsistentRead", true}});
  std::string holder = "?";
  if (lock && lock->contains("Item")) holder = (*lock)["Item"]["channel_id"]["S"].get<std::string>();
  return Error{"conflict", "channel " + holder + " already watches " + stored.url, ErrorKind::conflict};
}

Result<std::optional<Channel>> DynamoChannelStore::get(const std::string& id) {
  auto r = dynamo(client_, "GetItem",
                  {{"TableName", options_.table}, {"Key", {{"pk", S("channel#" + id)}}}, {"ConsistentRead", true}});
  if (!r) return r.error();
  if (!r->contains("Item")) return std::optional<Channel>();
  auto c = channel_from_item((*r)["Item"]);
  if (!c) return c.error();
  return std::optional<Channel>(std::move(*c));
}

Result<std::vector<Channel>> DynamoChannelStore::list() {
  std::vector<Channel> out;
  auto listed = query_all(client_,
                          {{"TableName", options_.table},
                           {"IndexName", "list"},
                           {"KeyConditionExpression", "list_pk = :k"},
                           {"ExpressionAttributeValues", {{":k", S("channel")}}}},
                          [&](const json& item) -> Result<Ok> {
                            auto c = channel_from_item(item);
                            if (!c) return c.error();
                            out.push_back(std::move(*c));
                            return Ok{};
                          });
  if (!listed) return listed.error();
  return out;
}

Result<bool> DynamoChannelStore::replace_if_version(Channel& channel) {
  Channel stored = channel;
  stored.version = channel.version + 1;
  auto written = dynamo(client_, "PutItem",
                        {{"TableName", options_.table},
                         {"Item", item(stored)},
                         {"ConditionExpression", "version = :v"},
                         {"ExpressionAttributeValues", {{":v", N(channel.version)}}}});
  if (!written) {
    if (condition_failed(written.error())) return false;
    return written.error();
  }
  channel.version = stored.version;
  return true;
}

Result<bool> DynamoChannelStore::remove(const std::string& id) {
  auto current = get(id);
  if (!current) return current.error();
  if (!*current) return false;
  auto written = dynamo(client_, "TransactWriteItems",
                        {{"TransactItems",
                          {{{"Delete",
                             {{"TableName", options_.table},
                              {"Key", {{"pk", S("channel#" + id)}}},
                              {"ConditionExpression", "attribute_exists(pk)"}}}},
                           {{"Delete",
                             {{"TableName", options_.table},
                              {"Key", {{"pk", S(url_key((*current)->url))}}},
                              {"ConditionExpression", "channel_id = :id"},
                              {"ExpressionAttributeValues", {{":id", S(id)}}}}}}}}});
  if (!written) {
    if (condition_failed(written.error())) return false;
    return written.error();
  }
  return true;
}

}  // namespace chronicle::dynamodb
