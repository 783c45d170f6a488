#include "store/dynamodb/dynamodb_job_store.hpp"

#include <cctype>

#include <spdlog/spdlog.h>

#include "core/ids.hpp"
#include "core/time.hpp"
#include "store/dynamodb/items.hpp"

#include <algorithm>
#include <chrono>

namespace chronicle::dynamodb {
namespace {

using json = nlohmann::json;

// The document, with the latest heartbeat (kept beside it by UpdateItem) applied. An item that is
// not one of ours is an error, not an exception.
Result<Job> job_from_item(const json& item) {
  try {
    auto parsed = parse_stored_job(item.at("doc").at("S").get<std::string>());
    if (!parsed) return parsed;
    Job job = std::move(*parsed);
    if (auto v = item.find("version"); v != item.end() && v->contains("N"))
      job.version = std::stoll((*v)["N"].get<std::string>());
    if (auto hb = item.find("hb"); hb != item.end() && hb->contains("M")) {
      const auto& m = (*hb)["M"];
      const auto at = from_rfc3339(m.value("at", json::object()).value("S", ""));
      if (at && (!job.heartbeat_at || *at > *job.heartbeat_at))
        apply_heartbeat(job, Heartbeat{*at, std::stoull(m.at("bytes").at("N").get<std::string>()),
                                       std::stod(m.at("duration_s").at("N").get<std::string>()),
                                       from_rfc3339(m.value("media", json::object()).value("S", ""))});
    }
    return job;
  } catch (const std::exception& e) {
    return make_error("corrupt_job", std::string("a stored job item cannot be read: ") + e.what());
  }
}

// Statuses whose jobs are counted by counter items (see the header).
bool counted(JobStatus s) { return is_active(s); }

std::string counter_key(JobStatus s) { return "count#" + std::string(to_string(s)); }

json count_update(const std::string& table, JobStatus s, std::int64_t delta) {
  return {{"Update",
           {{"TableName", table},
            {"Key", {{"pk", S(counter_key(s))}}},
            {"UpdateExpression", "ADD #n :d"},
            {"ExpressionAttributeNames", {{"#n", "n"}}},
            {"ExpressionAttributeValues", {{":d", N(delta)}}}}}};
}

// The counter updates for a job going from `from` (nullopt: a new job) to `to` (nullopt: deleted).
void add_count_updates(json& items, const std::string& table, std::optional<JobStatus> from,
                       std::optional<JobStatus> to) {
  if (from == to) return;
  if (from && counted(*from)) items.push_back(count_update(table, *from, -1));
  if (to && counted(*to)) items.push_back(count_update(table, *to, 1));
}

}  // namespace

Result<json> DynamoJobStore::call(const std::string& action, const json& body) const {
  return dynamo(client_, action, body);
}

Result<Ok> DynamoJobStore::provision(const aws::Client& c, const TableOptions& o) {
  const json gsi_projection = {{"ProjectionType", "ALL"}};
  // A channel's jobs, newest first; sparse (only jobs of a channel have the attribute).
  const json by_channel = {
      {"IndexName", "by_channel"},
      {"KeySchema",
       {{{"AttributeName", "channel_id"}, {"KeyType", "HASH"}}, {{"AttributeName", "id"}, {"KeyType", "RANGE"}}}},
      {"Projection", gsi_projection}};
  auto created = dynamo(
      c, "CreateTable",
      {{"TableName", o.table},
       {"BillingMode", "PAY_PER_REQUEST"},
       {"AttributeDefinitions",
        {{{"AttributeName", "pk"}, {"AttributeType", "S"}},
         {{"AttributeName", "list_pk"}, {"AttributeType", "S"}},
         {{"AttributeName", "id"}, {"AttributeType", "S"}},
         {{"AttributeName", "status"}, {"AttributeType", "S"}},
         {{"AttributeName", "feed_pk"}, {"AttributeType", "S"}},
         {{"AttributeName", "seq"}, {"AttributeType", "N"}},
         {{"AttributeName", "channel_id"}, {"AttributeType", "S"}}}},
       {"KeySchema", {{{"AttributeName", "pk"}, {"KeyType", "HASH"}}}},
       {"GlobalSecondaryIndexes",
        {{{"IndexName", "list"},
          {"KeySchema",
           {{{"AttributeName", "list_pk"}, {"KeyType", "HASH"}}, {{"AttributeName", "id"}, {"KeyType", "RANGE"}}}},
          {"Projection", gsi_projection}},
         {{"IndexName", "by_status"},
          {"KeySchema",
           {{{"AttributeName", "status"}, {"KeyType", "HASH"}}, {{"AttributeName", "id"}, {"KeyType", "RANGE"}}}},
          {"Projection", gsi_projection}},
         {{"IndexName", "feed"},
          {"KeySchema",
           {{{"AttributeName", "feed_pk"}, {"KeyType", "HASH"}}, {{"AttributeName", "seq"}, {"KeyType", "RANGE"}}}},
          {"Projection", gsi_projection}},
         by_channel}}});
  if (!created && created.error().code != "ResourceInUseException") return created.error();
  if (!created) {
    // A table made before channels lacks their index: it is added (DynamoDB builds it in the
    // background; until it is active, listing a channel's jobs answers with the service's error).
    auto table = dynamo(c, "DescribeTable", {{"TableName", o.table}});
    if (!table) return table.error();
    bool has_index = false;
    for (const auto& index : (*table)["Table"].value("GlobalSecondaryIndexes", json::array()))
      if (index.value("IndexName", "") == "by_channel") has_index = true;
    if (!has_index) {
      auto updated = dynamo(c, "UpdateTable",
                            {{"TableName", o.table},
                             {"AttributeDefinitions",
                              {{{"AttributeName", "channel_id"}, {"AttributeType", "S"}},
                               {{"AttributeName", "id"}, {"AttributeType", "S"}}}},
                             {"GlobalSecondaryIndexUpdates", {{{"Create", by_channel}}}}});
      if (!updated) return updated.error();
    }
  }
  auto ttl = dynamo(
      c, "UpdateTimeToLive",
      {{"TableName", o.table}, {"TimeToLiveSpecification", {{"Enabled", true}, {"AttributeName", "expires_at"}}}});
  // Asking again for the TTL that is already on is a ValidationException on AWS: that is fine.
  if (!ttl && ttl.error().code != "ValidationException") return ttl.error();
  return Ok{};
}

Result<std::int64_t> DynamoJobStore::next_seq() {
  auto r = call("UpdateItem", {{"TableName", options_.table},
                               {"Key", {{"pk", S("counter#seq")}}},
                               {"UpdateExpression", "ADD #v :one"},
                               {"ExpressionAttributeNames", {{"#v", "value"}}},
                               {"ExpressionAttributeValues", {{":one", N(1)}}},
                               {"ReturnValues", "UPDATED_NEW"}});
  if (!r) return r.error();
  return std::stoll((*r)["Attributes"]["value"]["N"].get<std::string>());
}

json DynamoJobStore::job_item(const Job& job, std::int64_t seq) const {
  json item = {{"pk", S("job#" + job.id)},
               {"id", S(job.id)},
               {"list_pk", S("job")},
               {"status", S(std::string(to_string(job.status)))},
               {"url", S(job.url)},
               {"version", N(job.version)},
               {"seq", N(seq)},
               {"doc", S(to_storage_json(job).dump())}};
  if (!job.channel_id.empty()) item["channel_id"] = S(job.channel_id);
  // What a list's search looks in, folded as matches_search folds (DynamoDB's contains() is
  // case-sensitive). Jobs written before searching existed get it at their next write.
  std::string search = job.name + "\n" + job.title + "\n" + job.url;
  for (auto& c : search) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  item["search"] = S(search);
  // A pinned job is kept: no expiry.
  if (is_terminal(job.status) && !job.pinned)
    item["expires_at"] = N(epoch_seconds() + options_.retention_days * 86400LL);
  return item;
}

json DynamoJobStore::change_item(const Job& job, std::int64_t seq, bool removed) const {
  json item = {{"pk", S("change#" + std::to_string(seq))},
               {"feed_pk", S("change")},
               {"seq", N(seq)},
               {"doc", S(to_storage_json(job).dump())},
               {"expires_at", N(epoch_seconds() + 86400)}};
  if (removed) item["removed"] = {{"BOOL", true}};
  return item;
}

Result<CreateOutcome> DynamoJobStore::create_or_get_active(const Job& job) {
  const std::string lock_key = "url#" + aws::hex_sha256(job.url);
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto lock =
        call("GetItem", {{"TableName", options_.table}, {"Key", {{"pk", S(lock_key)}}}, {"ConsistentRead", true}});
    if (!lock) return lock.error();
    std::string previous;
    if (lock->contains("Item")) {
      previous = (*lock)["Item"]["job_id"]["S"].get<std::string>();
      auto existing = get(previous);
      if (!existing) return existing.error();
      if (*existing && is_active((*existing)->status)) return CreateOutcome{**existing, false};
    }
    Job stored = job;
    stored.version = 1;
    auto seq = next_seq();
    if (!seq) return seq.error();
    json lock_put = {{"TableName", options_.table}, {"Item", {{"pk", S(lock_key)}, {"job_id", S(job.id)}}}};
    if (previous.empty()) {
      lock_put["ConditionExpression"] = "attribute_not_exists(pk)";
    } else {
      lock_put["ConditionExpression"] = "job_id = :previous";
      lock_put["ExpressionAttributeValues"] = {{":previous", S(previous)}};
    }
    auto written =
        call("TransactWriteItems", {{"ClientRequestToken", new_job_id()},
                                    {"TransactItems",
                                     {{{"Put", lock_put}},
                                      {{"Put",
                                        {{"TableName", options_.table},
                                         {"Item", job_item(stored, *seq)},
                                         {"ConditionExpression", "attribute_not_exists(pk)"}}}},
                                      {{"Put", {{"TableName", options_.table}, {"Item", change_item(stored, *seq)}}}},
                                      count_update(options_.table, stored.status, 1)}}});
    if (written) return CreateOutcome{stored, true};
    if (!condition_failed(written.error())) return written.error();
    // Someone else took the URL at the same moment: look again.
  }
  return make_error("conflict", "the same URL is being submitted concurrently; try again");
}

Result<std::vector<std::string>> DynamoJobStore::ids_starting_with(const std::string& prefix, std::size_t limit) {
  // The list index is keyed by id within one partition: a prefix is a key condition.
  auto r = call("Query", {{"TableName", options_.table},
                          {"IndexName", "list"},
                          {"KeyConditionExpression", "list_pk = :k AND begins_with(id, :p)"},
                          {"ExpressionAttributeValues", {{":k", S("job")}, {":p", S(prefix)}}},
                          {"ProjectionExpression", "id"},
                          {"Limit", limit}});
  if (!r) return r.error();
  std::vector<std::string> ids;
  if (r->contains("Items"))
    for (const auto& item : (*r)["Items"])
      if (item.contains("id") && item["id"].contains("S")) ids.push_back(item["id"]["S"].get<std::string>());
  return ids;
}

Result<std::optional<Job>> DynamoJobStore::get(const std::string& id) {
  auto r =
      call("GetItem", {{"TableName", options_.table}, {"Key", {{"pk", S("job#" + id)}}}, {"ConsistentRead", true}});
  if (!r) return r.error();
  if (!r->contains("Item")) return std::optional<Job>();
  auto job = job_from_item((*r)["Item"]);
  if (!job) return job.error();
  return std::optional<Job>(std::move(*job));
}

Result<bool> DynamoJobStore::replace_if_version(Job& job) {
  // The status the stored version has: when this write changes it, the counters move with it.
  auto current = call("GetItem", {{"TableName", options_.table},
                                  {"Key", {{"pk", S("job#" + job.id)}}},
                                  {"ProjectionExpression", "version, #s"},
                                  {"ExpressionAttributeNames", {{"#s", "status"}}},
                                  {"ConsistentRead", true}});
  if (!current) return current.error();
  if (!current->contains("Item")) return false;
  const auto& item = (*current)["Item"];
  if (std::stoll(item["version"]["N"].get<std::string>()) != job.version) return false;
  const auto was = parse_status(item["status"]["S"].get<std::string>());
  auto seq = next_seq();
  if (!seq) return seq.error();
  Job stored = job;
  stored.version = job.version + 1;
  json items = {{{"Put",
                  {{"TableName", options_.table},
                   {"Item", job_item(stored, *seq)},
                   {"ConditionExpression", "version = :v"},
                   {"ExpressionAttributeValues", {{":v", N(job.version)}}}}}},
                {{"Put", {{"TableName", options_.table}, {"Item", change_item(stored, *seq)}}}}};
  add_count_updates(items, options_.table, was, stored.status);
  // The token makes a retried transaction (after a 5xx or a lost answer) a no-op if it was applied.
  auto written = call("TransactWriteItems", {{"ClientRequestToken", new_job_id()}, {"TransactItems", items}});
  if (!written) {
    if (condition_failed(written.error())) return false;
    return written.error();
  }
  job.version = stored.version;
  return true;
}

Result<Job> DynamoJobStore::heartbeat(const std::string& id, const Heartbeat& beat) {
  // One UpdateItem of the heartbeat attribute, conditional on the job being active, with no
  // read first. It still takes a version, so a recovery that judged the recorder lost on an
  // older view of the job loses its compare-and-set to a recorder that came back.
  auto r =
      call("UpdateItem", {{"TableName", options_.table},
                          {"Key", {{"pk", S("job#" + id)}}},
                          {"UpdateExpression", "SET hb = :hb ADD version :one"},
                          {"ConditionExpression", "attribute_exists(pk) AND #s IN (:starting, :recording, :uploading)"},
                          {"ExpressionAttributeNames", {{"#s", "status"}}},
                          {"ExpressionAttributeValues",
                           {{":hb",
                             {{"M",
                               {{"at", S(to_rfc3339(beat.at))},
                                {"bytes", N(static_cast<std::int64_t>(beat.bytes))},
                                {"duration_s", {{"N", std::to_string(beat.duration_s)}}},
                                {"media", beat.last_media_at ? S(to_rfc3339(*beat.last_media_at)) : S("")}}}}},
                            {":one", N(1)},
                            {":starting", S("starting")},
                            {":recording", S("recording")},
                            {":uploading", S("uploading")}}},
                          {"ReturnValues", "ALL_NEW"}});
  if (!r) {
    if (!condition_failed(r.error())) return r.error();
    // Rare (the recorder stops on it), so one read to say which: no such job, or not active.
    auto current = get(id);
    if (current && !*current) return make_error("not_found", "no job with id " + id);
    return make_error("finished", "job " + id + " is not active");
  }
  auto updated = job_from_item((*r)["Attributes"]);
  if (!updated) return updated;
  Job job = std::move(*updated);
  // The change feed carries the heartbeat to event-stream clients. It is written after the
  // update: a lost entry only delays the progress they see until the next heartbeat.
  if (auto seq = next_seq()) (void)call("PutItem", {{"TableName", options_.table}, {"Item", change_item(job, *seq)}});
  return job;
}

Result<bool> DynamoJobStore::remove(const std::string& id) {
  // The deletion, its entry in the change feed and the counter in one transaction, conditional on
  // the version read: a job changed in between is read again.
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto existing = get(id);
    if (!existing) return existing.error();
    if (!*existing) return false;
    const Job& removed = **existing;
    auto seq = next_seq();
    if (!seq) return seq.error();
    json items = {{{"Delete",
                    {{"TableName", options_.table},
                     {"Key", {{"pk", S("job#" + id)}}},
                     {"ConditionExpression", "version = :v"},
                     {"ExpressionAttributeValues", {{":v", N(removed.version)}}}}}},
                  {{"Put", {{"TableName", options_.table}, {"Item", change_item(removed, *seq, true)}}}}};
    add_count_updates(items, options_.table, removed.status, std::nullopt);
    auto written = call("TransactWriteItems", {{"ClientRequestToken", new_job_id()}, {"TransactItems", items}});
    if (written) return true;
    if (!condition_failed(written.error())) return written.error();
  }
  return make_error("conflict", "job " + id + " kept changing while it was being deleted; try again");
}

Result<std::vector<Job>> DynamoJobStore::query_jobs(json request, std::size_t limit) {
  std::vector<Job> out;
  request["TableName"] = options_.table;
  for (;;) {
    if (limit) request["Limit"] = limit - out.size();
    auto r = call("Query", request);
    if (!r) return r.error();
    for (const auto& item : (*r)["Items"]) {
      auto job = job_from_item(item);
      if (!job) return job.error();
      out.push_back(std::move(*job));
    }
    if ((limit && out.size() >= limit) || !r->contains("LastEvaluatedKey")) return out;
    request["ExclusiveStartKey"] = (*r)["LastEvaluatedKey"];
  }
}

Result<JobPage> DynamoJobStore::list(const ListQuery& q) {
  json request = {{"ScanIndexForward", false}};
  std::string condition;
  if (q.channel_id) {
    request["IndexName"] = "by_channel";
    condition = "channel_id = :k";
    request["ExpressionAttributeValues"] = {{":k", S(*q.channel_id)}};
  } else if (q.status) {
    request["IndexName"] = "by_status";
    condition = "#s = :k";
    request["ExpressionAttributeNames"] = {{"#s", "status"}};
    request["ExpressionAttributeValues"] = {{":k", S(std::string(to_string(*q.status)))}};
  } else {
    request["IndexName"] = "list";
    condition = "list_pk = :k";
    request["ExpressionAttributeValues"] = {{":k", S("job")}};
  }
  if (q.cursor) {
    condition += " AND id < :cursor";  // ids are time-ordered: the cursor is the last id seen
    request["ExpressionAttributeValues"][":cursor"] = S(*q.cursor);
  }
  request["KeyConditionExpression"] = condition;
  if (!q.search.empty()) {
    // Applied after the index is read: a search reads the listed partition until it has a page.
    request["FilterExpression"] = "contains(#search, :q)";
    request["ExpressionAttributeNames"]["#search"] = "search";
    request["ExpressionAttributeValues"][":q"] = S(q.search);
  }
  auto jobs = query_jobs(request, q.limit + 1);
  if (!jobs) return jobs.error();
  JobPage page{std::move(*jobs), std::nullopt};
  if (page.jobs.size() > q.limit) {
    page.jobs.pop_back();
    page.next_cursor = page.jobs.back().id;
  }
  return page;
}

Result<std::vector<Job>> DynamoJobStore::list_by_status(const std::vector<JobStatus>& statuses) {
  std::vector<Job> out;
  for (auto status : statuses) {
    auto jobs = query_jobs({{"IndexName", "by_status"},
                            {"KeyConditionExpression", "#s = :s"},
                            {"ExpressionAttributeNames", {{"#s", "status"}}},
                            {"ExpressionAttributeValues", {{":s", S(std::string(to_string(status)))}}}},
                           0);
    if (!jobs) return jobs.error();
    out.insert(out.end(), jobs->begin(), jobs->end());
  }
  return out;
}

Result<std::int64_t> DynamoJobStore::query_count(JobStatus status) {
  json request = {{"TableName", options_.table},
                  {"IndexName", "by_status"},
                  {"Select", "COUNT"},
                  {"KeyConditionExpression", "#s = :s"},
                  {"ExpressionAttributeNames", {{"#s", "status"}}},
                  {"ExpressionAttributeValues", {{":s", S(std::string(to_string(status)))}}}};
  std::int64_t n = 0;
  for (;;) {
    auto r = call("Query", request);
    if (!r) return r.error();
    n += r->value("Count", 0);
    if (!r->contains("LastEvaluatedKey")) return n;
    request["ExclusiveStartKey"] = (*r)["LastEvaluatedKey"];
  }
}

Result<Ok> DynamoJobStore::seed_counters() {
  // A table from before the counters: each missing counter starts from a count of its status,
  // written only if it is still missing. (A job changing status between the count and the write
  // would be off by one; this happens once, when a deployment first runs this version.)
  for (int i = 0; i <= static_cast<int>(JobStatus::canceled); ++i) {
    const auto status = static_cast<JobStatus>(i);
    if (!counted(status)) continue;
    auto r = call("GetItem",
                  {{"TableName", options_.table}, {"Key", {{"pk", S(counter_key(status))}}}, {"ConsistentRead", true}});
    if (!r) return r.error();
    if (r->contains("Item")) continue;
    auto n = query_count(status);
    if (!n) return n.error();
    auto put = call("PutItem", {{"TableName", options_.table},
                                {"Item", {{"pk", S(counter_key(status))}, {"n", N(*n)}}},
                                {"ConditionExpression", "attribute_not_exists(pk)"}});
    if (!put && !condition_failed(put.error())) return put.error();
  }
  counters_seeded_ = true;
  return Ok{};
}

Result<std::map<JobStatus, std::int64_t>> DynamoJobStore::count_by_status(const std::vector<JobStatus>& only) {
  std::map<JobStatus, std::int64_t> counts;
  json keys = json::array();
  for (int i = 0; i <= static_cast<int>(JobStatus::canceled); ++i) {
    const auto status = static_cast<JobStatus>(i);
    counts[status] = 0;
    if (!only.empty() && std::find(only.begin(), only.end(), status) == only.end()) continue;
    if (counted(status)) {
      keys.push_back({{"pk", S(counter_key(status))}});
    } else {
      auto n = query_count(status);
      if (!n) return n.error();
      counts[status] = *n;
    }
  }
  if (keys.empty()) return counts;
  if (!counters_seeded_)
    if (auto seeded = seed_counters(); !seeded) return seeded.error();
  auto r = call("BatchGetItem", {{"RequestItems", {{options_.table, {{"Keys", keys}, {"ConsistentRead", true}}}}}});
  if (!r) return r.error();
  // (Four small keys never come back as UnprocessedKeys but under throttling; then ask again.)
  if (r->contains("UnprocessedKeys") && !(*r)["UnprocessedKeys"].empty())
    return make_error(ErrorKind::throttled, "ProvisionedThroughputExceededException",
                      "DynamoDB did not return the job counters; try again");
  for (const auto& item : (*r)["Responses"][options_.table]) {
    const auto status = parse_status(item["pk"]["S"].get<std::string>().substr(6));
    if (status) counts[*status] = std::max<std::int64_t>(0, std::stoll(item["n"]["N"].get<std::string>()));
  }
  return counts;
}

Result<ChangeBatch> DynamoJobStore::changes_since(std::int64_t cursor, std::size_t limit) {
  ChangeBatch batch;
  batch.cursor = cursor;
  if (cursor < 0) {
    auto r =
        call("GetItem", {{"TableName", options_.table}, {"Key", {{"pk", S("counter#seq")}}}, {"ConsistentRead", true}});
    if (!r) return r.error();
    batch.cursor = r->contains("Item") ? std::stoll((*r)["Item"]["value"]["N"].get<std::string>()) : 0;
    return batch;
  }
  auto r = call("Query", {{"TableName", options_.table},
                          {"IndexName", "feed"},
                          {"KeyConditionExpression", "feed_pk = :f AND seq > :c"},
                          {"ExpressionAttributeValues", {{":f", S("change")}, {":c", N(cursor)}}},
                          {"ScanIndexForward", true},
                          {"Limit", limit}});
  if (!r) return r.error();
  for (const auto& item : (*r)["Items"]) {
    auto job = job_from_item(item);
    if (!job) return job.error();
    batch.seqs.push_back(std::stoll(item["seq"]["N"].get<std::string>()));
    batch.jobs.push_back(std::move(*job));
    batch.removed.push_back(item.contains("removed") && item["removed"].value("BOOL", false));
    batch.cursor = batch.seqs.back();
  }
  return batch;
}

}  // namespace chronicle::dynamodb
