// The DynamoDB JobStore against a real moto_server: conditional writes, one active job per
// URL, newest-first listing with a cursor, the change feed, counts, TTL on the table.
#include <gtest/gtest.h>

#include "core/ids.hpp"
#include "integration/moto.hpp"
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
  static Job make_job(const std::string& url) {
    Job j;
    j.id = new_job_id();
    j.url = url;
    j.created_at = now();
    return j;
  }
  std::string table_;
};

}  // namespace

TEST_F(MotoDynamo, OneActiveJobPerUrl) {
  auto s = store();
  auto first = s->create_or_get_active(make_job("http://a/live"));
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_TRUE(first->created);
  auto second = s->create_or_get_active(make_job("http://a/live"));
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->created);
  EXPECT_EQ(second->job.id, first->job.id);
  ASSERT_TRUE(update_job(*s, first->job.id, [](Job& j) { return transition(j, JobStatus::canceled, now()); }).ok());
  auto third = s->create_or_get_active(make_job("http://a/live"));
  ASSERT_TRUE(third.ok()) << third.error().message;
  EXPECT_TRUE(third->created) << "a finished job frees its URL";
  EXPECT_NE(third->job.id, first->job.id);
}

TEST_F(MotoDynamo, ConditionalWritesRefuseAStaleWriter) {
  auto s = store();
  auto created = s->create_or_get_active(make_job("http://b/live"));
  Job a = created->job, b = created->job;
  ASSERT_TRUE(transition(a, JobStatus::starting, now()).ok());
  ASSERT_TRUE(transition(b, JobStatus::starting, now()).ok());
  auto won = s->replace_if_version(a);
  ASSERT_TRUE(won.ok()) << won.error().message;
  EXPECT_TRUE(*won);
  auto lost = s->replace_if_version(b);
  ASSERT_TRUE(lost.ok()) << lost.error().message;
  EXPECT_FALSE(*lost) << "a message delivered twice must not start two recorders";
  EXPECT_EQ((*s->get(a.id))->version, a.version);
  EXPECT_EQ((*s->get(a.id))->status, JobStatus::starting);
}

TEST_F(MotoDynamo, HeartbeatsAreOneConditionalUpdate) {
  auto s = store();
  auto created = s->create_or_get_active(make_job("http://h/live"));
  ASSERT_TRUE(created.ok());
  const std::string id = created->job.id;
  EXPECT_EQ(s->heartbeat(id, Heartbeat{now(), 10, 1, std::nullopt}).error().code, "finished")
      << "a pending job has no recorder";
  ASSERT_TRUE(update_job(*s, id, [](Job& j) { return transition(j, JobStatus::starting, now()); }).ok());
  auto seen = s->get(id);
  ASSERT_TRUE(seen.ok());
  const Job before = **seen;

  const auto media_at = from_rfc3339(to_rfc3339(now()));
  auto beat = s->heartbeat(id, Heartbeat{now(), 123456, 7.5, media_at});
  ASSERT_TRUE(beat.ok()) << beat.error().message;
  EXPECT_EQ(beat->last_media_at, media_at) << "the heartbeat carries when media last arrived";
  EXPECT_EQ(beat->bytes, 123456u);
  EXPECT_DOUBLE_EQ(beat->duration_s, 7.5);
  EXPECT_EQ(beat->version, before.version + 1);
  auto read = s->get(id);
  EXPECT_EQ((*read)->bytes, 123456u);
  EXPECT_TRUE((*read)->heartbeat_at.has_value());

  // A writer holding the view from before the heartbeat loses its compare-and-set ...
  Job stale = before;
  stale.stop_requested = true;
  EXPECT_FALSE(*s->replace_if_version(stale));
  // ... and one that reads again keeps the heartbeat's values in what it writes.
  ASSERT_TRUE(update_job(*s, id, [](Job& j) {
                j.stop_requested = true;
                return Result<Ok>(Ok{});
              }).ok());
  auto stopped = s->heartbeat(id, Heartbeat{now(), 200000, 9, std::nullopt});
  ASSERT_TRUE(stopped.ok());
  EXPECT_TRUE(stopped->stop_requested) << "the recorder learns of the stop from its heartbeat";
  EXPECT_EQ((*s->get(id))->bytes, 200000u);

  // The change feed carries heartbeats to event-stream clients.
  auto feed = s->changes_since(0, 100);
  ASSERT_TRUE(feed.ok());
  ASSERT_FALSE(feed->jobs.empty());
  EXPECT_EQ(feed->jobs.back().bytes, 200000u);

  ASSERT_TRUE(update_job(*s, id, [](Job& j) { return transition(j, JobStatus::failed, now()); }).ok());
  EXPECT_EQ(s->heartbeat(id, Heartbeat{now(), 1, 1, std::nullopt}).error().code, "finished");
  EXPECT_EQ(s->heartbeat("01NOSUCHJOB0000000000000000", Heartbeat{now(), 1, 1, std::nullopt}).error().code, "finished");
}

TEST_F(MotoDynamo, ListsNewestFirstByStatusWithACursor) {
  auto s = store();
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(s->create_or_get_active(make_job("http://c/" + std::to_string(i)))->job.id);
  ASSERT_TRUE(update_job(*s, ids[1], [](Job& j) { return transition(j, JobStatus::canceled, now()); }).ok());
  auto page = s->list(ListQuery{std::nullopt, 2, std::nullopt});
  ASSERT_TRUE(page.ok()) << page.error().message;
  ASSERT_EQ(page->jobs.size(), 2u);
  EXPECT_EQ(page->jobs[0].id, ids[4]);
  EXPECT_EQ(page->jobs[1].id, ids[3]);
  auto rest = s->list(ListQuery{std::nullopt, 10, page->next_cursor});
  ASSERT_EQ(rest->jobs.size(), 3u);
  EXPECT_EQ(rest->jobs[0].id, ids[2]);
  EXPECT_FALSE(rest->next_cursor);
  auto canceled = s->list(ListQuery{JobStatus::canceled, 10, std::nullopt});
  ASSERT_EQ(canceled->jobs.size(), 1u);
  EXPECT_EQ(canceled->jobs[0].id, ids[1]);
  auto counts = s->count_by_status();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ((*counts)[JobStatus::pending], 4);
  EXPECT_EQ((*counts)[JobStatus::canceled], 1);
  EXPECT_EQ(s->list_by_status({JobStatus::pending})->size(), 4u);
  EXPECT_TRUE(*s->remove(ids[0]));
  EXPECT_FALSE(*s->remove(ids[0]));
  EXPECT_FALSE(s->get(ids[0])->has_value());
}

// The active statuses are counter items moved by every transition and deletion, not queries; a
// table from before the counters gets them from a count, once.
TEST_F(MotoDynamo, ActiveCountsFollowTransitionsAndDeletions) {
  auto s = store();
  const std::vector<JobStatus> active = {JobStatus::pending, JobStatus::starting, JobStatus::recording,
                                         JobStatus::uploading};
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(s->create_or_get_active(make_job("http://c/" + std::to_string(i)))->job.id);
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

TEST_F(MotoDynamo, ChangeFeedReportsEveryChangeInOrder) {
  auto s = store();
  const auto head = s->changes_since(-1, 0);
  ASSERT_TRUE(head.ok()) << head.error().message;
  auto created = s->create_or_get_active(make_job("http://d/live"));
  ASSERT_TRUE(update_job(*s, created->job.id, [](Job& j) { return transition(j, JobStatus::starting, now()); }).ok());
  ASSERT_TRUE(update_job(*s, created->job.id, [](Job& j) { return transition(j, JobStatus::failed, now()); }).ok());
  auto batch = s->changes_since(head->cursor, 100);
  ASSERT_TRUE(batch.ok()) << batch.error().message;
  ASSERT_EQ(batch->jobs.size(), 3u);
  EXPECT_EQ(batch->jobs[0].status, JobStatus::pending);
  EXPECT_EQ(batch->jobs[1].status, JobStatus::starting);
  EXPECT_EQ(batch->jobs[2].status, JobStatus::failed);
  EXPECT_TRUE(s->changes_since(batch->cursor, 100)->jobs.empty());
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
