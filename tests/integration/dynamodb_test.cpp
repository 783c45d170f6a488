// What only the DynamoDB JobStore promises, beyond the port contract (aws_contracts_test.cpp),
// against a real moto_server: heartbeats in one update, counter items, TTL on the table, and the
// channel -> job link under concurrent checks.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "contract/jobs.hpp"
#include "core/channel_service.hpp"
#include "fakes/memory_ports.hpp"
#include "integration/moto.hpp"
#include "store/dynamodb/dynamodb_channel_store.hpp"
#include "store/dynamodb/dynamodb_job_store.hpp"

using namespace chronicle;

namespace {

class MotoDynamo : public test_support::MotoTest {
 protected:
  std::unique_ptr<dynamodb::DynamoJobStore> store() {
    dynamodb::TableOptions o;
    o.table = "jobs-" + new_job_id().substr(18);
    aws::Client client(settings());
    EXPECT_TRUE(dynamodb::DynamoJobStore::provision(client, o).ok());
    auto again = dynamodb::DynamoJobStore::provision(client, o);
    EXPECT_TRUE(again.ok()) << "provisioning is idempotent: " << (again.ok() ? "" : again.error().message);
    table_ = o.table;
    return std::make_unique<dynamodb::DynamoJobStore>(client, o);
  }
  std::string table_;
};

}  // namespace

// One UpdateItem: the version moves by exactly one, and the change feed carries the heartbeat.
TEST_F(MotoDynamo, HeartbeatsAreOneConditionalUpdate) {
  auto s = store();
  auto created = s->create_or_get_active(contract::new_job("http://h/live"));
  ASSERT_TRUE(created.ok());
  const std::string id = created->job.id;
  ASSERT_TRUE(update_job(*s, id, [](Job& j) { return transition(j, JobStatus::starting, now()); }).ok());
  const Job before = s->get(id)->value();
  auto beat = s->heartbeat(id, Heartbeat{now(), 123456, 7.5, std::nullopt});
  ASSERT_TRUE(beat.ok()) << beat.error().message;
  EXPECT_EQ(beat->version, before.version + 1);
  EXPECT_EQ(beat->bytes, 123456u);
  auto feed = s->changes_since(0, 100);
  ASSERT_TRUE(feed.ok());
  ASSERT_FALSE(feed->jobs.empty());
  EXPECT_EQ(feed->jobs.back().bytes, 123456u);
}

// The active statuses are counter items moved by every transition and deletion, not queries; a
// table from before the counters gets them from a count, once.
TEST_F(MotoDynamo, ActiveCountsFollowTransitionsAndDeletions) {
  auto s = store();
  const std::vector<JobStatus> active = {JobStatus::pending, JobStatus::starting, JobStatus::recording,
                                         JobStatus::uploading};
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i)
    ids.push_back(s->create_or_get_active(contract::new_job("http://c/" + std::to_string(i)))->job.id);
  auto counts = s->count_by_status(active);
  ASSERT_TRUE(counts.ok()) << counts.error().message;
  EXPECT_EQ((*counts)[JobStatus::pending], 3);
  ASSERT_TRUE(update_job(*s, ids[0], [](Job& j) { return transition(j, JobStatus::starting, now()); }).ok());
  ASSERT_TRUE(update_job(*s, ids[1], [](Job& j) { return transition(j, JobStatus::starting, now()); }).ok());
  ASSERT_TRUE(update_job(*s, ids[1], [](Job& j) { return transition(j, JobStatus::recording, now()); }).ok());
  ASSERT_TRUE(update_job(*s, ids[2], [](Job& j) { return transition(j, JobStatus::canceled, now()); }).ok());
  // A write that loses its compare-and-set moves no counter.
  Job stale = s->get(ids[0])->value();
  stale.version -= 1;
  ASSERT_TRUE(transition(stale, JobStatus::recording, now()).ok());
  EXPECT_FALSE(*s->replace_if_version(stale));
  counts = s->count_by_status();
  EXPECT_EQ((*counts)[JobStatus::pending], 0);
  EXPECT_EQ((*counts)[JobStatus::starting], 1);
  EXPECT_EQ((*counts)[JobStatus::recording], 1);
  EXPECT_EQ((*counts)[JobStatus::canceled], 1) << "finished jobs are still counted (by a query)";
  EXPECT_TRUE(*s->remove(ids[0]));
  EXPECT_EQ((*s->count_by_status(active))[JobStatus::starting], 0);

  // The same table read by a store that finds no counters (as after an upgrade): seeded from a count.
  aws::Client client(settings());
  for (const char* status : {"pending", "starting", "recording", "uploading"})
    ASSERT_TRUE(aws::json_call(client, "dynamodb", "DynamoDB_20120810", "DeleteItem",
                               {{"TableName", table_}, {"Key", {{"pk", {{"S", std::string("count#") + status}}}}}})
                    .ok());
  dynamodb::TableOptions o;
  o.table = table_;
  dynamodb::DynamoJobStore upgraded(client, o);
  counts = upgraded.count_by_status(active);
  ASSERT_TRUE(counts.ok()) << counts.error().message;
  EXPECT_EQ((*counts)[JobStatus::recording], 1);
  EXPECT_EQ((*counts)[JobStatus::starting], 0);
  ASSERT_TRUE(update_job(upgraded, ids[1], [](Job& j) { return transition(j, JobStatus::uploading, now()); }).ok());
  counts = upgraded.count_by_status(active);
  EXPECT_EQ((*counts)[JobStatus::recording], 0);
  EXPECT_EQ((*counts)[JobStatus::uploading], 1);
}

TEST_F(MotoDynamo, TableHasTimeToLiveOnExpiresAt) {
  auto s = store();
  aws::Client client(settings());
  auto r = client.send(
      {"dynamodb",
       "POST",
       settings().endpoint + "/",
       {{"X-Amz-Target", "DynamoDB_20120810.DescribeTimeToLive"}, {"Content-Type", "application/x-amz-json-1.0"}},
       nlohmann::json{{"TableName", table_}}.dump()});
  ASSERT_TRUE(r.ok() && r->ok());
  auto ttl = nlohmann::json::parse(r->body)["TimeToLiveDescription"];
  EXPECT_EQ(ttl["AttributeName"], "expires_at");
  EXPECT_EQ(ttl["TimeToLiveStatus"], "ENABLED");
}

// The channel -> job link on DynamoDB: checks of one live channel made at the same moment, each
// with its own connections (as the API Lambda, the scheduled Lambda and a CLI check would have),
// create one job, and the channel names it.
TEST_F(MotoDynamo, ChecksOfALiveChannelAtOnceMakeOneJob) {
  auto first = store();
  dynamodb::TableOptions o;
  o.table = table_;
  const Resolver public_dns = fakes::public_dns();
  ChannelRequest add;
  add.url = "https://example.com/show/live";
  add.name = "show";
  Channel channel;
  {
    fakes::MemoryJobQueue queue{3};
    fakes::MemoryObjectStore objects;
    dynamodb::DynamoChannelStore channels(aws::Client(settings()), o);
    JobService jobs(*first, queue, objects, nullptr, UrlPolicy{}, public_dns);
    ChannelService service(channels, *first, jobs, UrlPolicy{}, public_dns, ChannelSettings{}, {});
    auto added = service.add(add);
    ASSERT_TRUE(added.ok()) << added.error().message;
    channel = *added;
  }
  fakes::MemoryJobQueue queue{3};  // one queue, as SQS is one
  std::vector<std::thread> checkers;
  std::atomic<int> failed{0};
  for (int i = 0; i < 6; ++i)
    checkers.emplace_back([&] {
      dynamodb::DynamoJobStore store(aws::Client(settings()), o);
      dynamodb::DynamoChannelStore channels(aws::Client(settings()), o);
      fakes::MemoryObjectStore objects;
      JobService jobs(store, queue, objects, nullptr, UrlPolicy{}, public_dns);
      ChannelService service(channels, store, jobs, UrlPolicy{}, public_dns, ChannelSettings{},
                             [](const std::string&) -> Result<LiveCheck> {
                               std::this_thread::sleep_for(std::chrono::milliseconds(50));
                               LiveCheck live;
                               live.answer = LiveCheck::Answer::live;
                               return live;
                             });
      if (!service.check(channel.id).ok()) ++failed;
    });
  for (auto& t : checkers) t.join();
  EXPECT_EQ(failed.load(), 0);
  const JobPage page = first->list({}).value();
  ASSERT_EQ(page.jobs.size(), 1u);
  EXPECT_EQ(page.jobs[0].channel_id, channel.id);
  EXPECT_EQ(queue.sent.size(), 1u);
  dynamodb::DynamoChannelStore channels(aws::Client(settings()), o);
  const Channel after = channels.get(channel.id).value().value();
  EXPECT_EQ(after.active_job_id, page.jobs[0].id);
  EXPECT_EQ(after.state, ChannelState::recording);
}

// A table made before channels (without their index) gets it from `chronicle provision`, and a
// channel's jobs are then listed from it.
TEST_F(MotoDynamo, ProvisionAddsTheChannelIndexToAnOlderTable) {
  aws::Client client(settings());
  dynamodb::TableOptions o;
  o.table = "old-" + new_job_id().substr(18);
  const nlohmann::json key = {{"AttributeName", "pk"}, {"KeyType", "HASH"}};
  auto made = aws::json_call(client, "dynamodb", "DynamoDB_20120810", "CreateTable",
                             {{"TableName", o.table},
                              {"BillingMode", "PAY_PER_REQUEST"},
                              {"AttributeDefinitions", {{{"AttributeName", "pk"}, {"AttributeType", "S"}}}},
                              {"KeySchema", {key}}});
  ASSERT_TRUE(made.ok()) << made.error().message;
  ASSERT_TRUE(dynamodb::DynamoJobStore::provision(client, o).ok());
  auto described = aws::json_call(client, "dynamodb", "DynamoDB_20120810", "DescribeTable", {{"TableName", o.table}});
  ASSERT_TRUE(described.ok());
  std::set<std::string> indexes;
  for (const auto& i : (*described)["Table"].value("GlobalSecondaryIndexes", nlohmann::json::array()))
    indexes.insert(i.value("IndexName", ""));
  EXPECT_TRUE(indexes.contains("by_channel"));
  ASSERT_TRUE(dynamodb::DynamoJobStore::provision(client, o).ok()) << "and again: nothing to add";
}
