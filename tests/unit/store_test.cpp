// The embedded adapters against a real SQLite file and a real directory.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "blob/fs/fs_object_store.hpp"
#include "core/feed.hpp"
#include "core/ids.hpp"
#include "queue/sqlite/sqlite_job_queue.hpp"
#include "store/sqlite/sqlite_job_store.hpp"
#include "temp_dir.hpp"

using namespace chronicle;
namespace fs = std::filesystem;

namespace {
using test_support::TempDir;

Job make_job(const std::string& url) {
  Job j;
  j.id = new_job_id();
  j.url = url;
  j.created_at = now();
  return j;
}
}  // namespace

class StoreTest : public ::testing::Test {
 protected:
  TempDir dir;
  std::shared_ptr<sqlite::Db> db = *sqlite::Db::open(dir.path / "db");
  std::unique_ptr<sqlite::SqliteJobStore> store = std::move(*sqlite::SqliteJobStore::open(db));
};

TEST_F(StoreTest, SameUrlWhileActiveIsOneJob) {
  auto first = store->create_or_get_active(make_job("http://a/live"));
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->created);
  auto second = store->create_or_get_active(make_job("http://a/live"));
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->created);
  EXPECT_EQ(second->job.id, first->job.id);
  // Once finished, the same URL may be recorded again.
  ASSERT_TRUE(update_job(*store, first->job.id, [](Job& j) { return transition(j, JobStatus::canceled, now()); }).ok());
  auto third = store->create_or_get_active(make_job("http://a/live"));
  EXPECT_TRUE(third->created);
}

TEST_F(StoreTest, CompareAndSetRefusesAStaleWriter) {
  auto created = store->create_or_get_active(make_job("http://a/live"));
  Job a = created->job, b = created->job;
  ASSERT_TRUE(transition(a, JobStatus::starting, now()).ok());
  ASSERT_TRUE(transition(b, JobStatus::starting, now()).ok());
  EXPECT_TRUE(*store->replace_if_version(a));
  EXPECT_FALSE(*store->replace_if_version(b)) << "the second claim of the same job must lose";
  EXPECT_EQ((*store->get(a.id))->version, a.version);
}

TEST_F(StoreTest, ConcurrentClaimsStartAJobOnce) {
  auto created = store->create_or_get_active(make_job("http://a/live"));
  std::atomic<int> winners{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&] {
      // Each thread opens its own connection, as separate processes would.
      auto own_db = *sqlite::Db::open(dir.path / "db");
      auto own = std::move(*sqlite::SqliteJobStore::open(own_db));
      auto r = update_job(*own, created->job.id, [](Job& j) -> Result<Ok> {
        if (j.status != JobStatus::pending) return make_error("skip", "taken");
        return transition(j, JobStatus::starting, now());
      });
      if (r.ok()) ++winners;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(winners.load(), 1);
}

TEST_F(StoreTest, HeartbeatsOnlyOnActiveJobs) {
  auto created = store->create_or_get_active(make_job("http://h/live"));
  const std::string id = created->job.id;
  EXPECT_EQ(store->heartbeat(id, Heartbeat{now(), 5, 1, std::nullopt}).error().code, "finished");
  ASSERT_TRUE(update_job(*store, id, [](Job& j) { return transition(j, JobStatus::starting, now()); }).ok());
  const auto media_at = from_rfc3339(to_rfc3339(now()));
  auto beat = store->heartbeat(id, Heartbeat{now(), 4096, 2.5, media_at});
  ASSERT_TRUE(beat.ok()) << beat.error().message;
  EXPECT_EQ(beat->last_media_at, media_at);
  EXPECT_EQ((*store->get(id))->bytes, 4096u);
  EXPECT_DOUBLE_EQ((*store->get(id))->duration_s, 2.5);
  ASSERT_TRUE(update_job(*store, id, [](Job& j) { return transition(j, JobStatus::uploading, now()); }).ok());
  ASSERT_TRUE(store->heartbeat(id, Heartbeat{now(), 1, 0, std::nullopt}).ok());
  EXPECT_EQ((*store->get(id))->bytes, 4096u) << "while uploading, bytes stay what was recorded";
  ASSERT_TRUE(update_job(*store, id, [](Job& j) { return transition(j, JobStatus::completed, now()); }).ok());
  EXPECT_EQ(store->heartbeat(id, Heartbeat{now(), 1, 0, std::nullopt}).error().code, "finished");
}

TEST_F(StoreTest, ListsNewestFirstWithCursor) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i)
    ids.push_back(store->create_or_get_active(make_job("http://a/" + std::to_string(i)))->job.id);
  auto page = store->list(ListQuery{std::nullopt, 2, std::nullopt});
  ASSERT_EQ(page->jobs.size(), 2u);
  EXPECT_EQ(page->jobs[0].id, ids[4]);
  auto next = store->list(ListQuery{std::nullopt, 10, page->next_cursor});
  ASSERT_EQ(next->jobs.size(), 3u);
  EXPECT_EQ(next->jobs[0].id, ids[2]);
  EXPECT_FALSE(next->next_cursor);
  auto pending = store->list(ListQuery{JobStatus::pending, 10, std::nullopt});
  EXPECT_EQ(pending->jobs.size(), 5u);
}

TEST_F(StoreTest, ChangeFeedReportsEveryChangeInOrder) {
  const auto head = store->changes_since(-1, 0)->cursor;
  auto created = store->create_or_get_active(make_job("http://a/live"));
  ASSERT_TRUE(
      update_job(*store, created->job.id, [](Job& j) { return transition(j, JobStatus::starting, now()); }).ok());
  ASSERT_TRUE(update_job(*store, created->job.id, [](Job& j) { return transition(j, JobStatus::failed, now()); }).ok());
  auto batch = store->changes_since(head, 100);
  ASSERT_EQ(batch->jobs.size(), 3u);
  EXPECT_EQ(batch->jobs[0].status, JobStatus::pending);
  EXPECT_EQ(batch->jobs[1].status, JobStatus::starting);
  EXPECT_EQ(batch->jobs[2].status, JobStatus::failed);
  EXPECT_LT(batch->seqs[0], batch->seqs[2]);
  EXPECT_TRUE(store->changes_since(batch->cursor, 100)->jobs.empty());
}

TEST_F(StoreTest, ADeletionIsAChangeToo) {
  auto created = store->create_or_get_active(make_job("http://a/live"));
  const auto head = store->changes_since(-1, 0)->cursor;
  ASSERT_TRUE(*store->remove(created->job.id));
  EXPECT_FALSE(*store->remove(created->job.id));
  auto batch = store->changes_since(head, 100);
  ASSERT_EQ(batch->jobs.size(), 1u);
  EXPECT_TRUE(batch->removed[0]);
  EXPECT_EQ(batch->jobs[0].id, created->job.id);
}

TEST_F(StoreTest, CountsOnlyTheStatusesAsked) {
  auto a = store->create_or_get_active(make_job("http://a/1"));
  ASSERT_TRUE(store->create_or_get_active(make_job("http://a/2")));
  ASSERT_TRUE(update_job(*store, a->job.id, [](Job& j) { return transition(j, JobStatus::starting, now()); }).ok());
  auto counts = store->count_by_status({JobStatus::starting, JobStatus::recording});
  EXPECT_EQ((*counts)[JobStatus::starting], 1);
  EXPECT_EQ((*counts)[JobStatus::recording], 0);
  EXPECT_EQ((*counts)[JobStatus::pending], 0) << "not asked, not counted";
  EXPECT_EQ((*store->count_by_status())[JobStatus::pending], 1);
}

// A follower lists once, then reads only the feed: new jobs, changes and deletions, in order.
TEST_F(StoreTest, AFeedFollowerListsOnceThenFollowsTheFeed) {
  auto done = store->create_or_get_active(make_job("http://a/done"));
  ASSERT_TRUE(update_job(*store, done->job.id, [](Job& j) { return transition(j, JobStatus::failed, now()); }).ok());
  FeedFollower follower(*store, {JobStatus::failed, JobStatus::completed});
  auto first = follower.poll();
  ASSERT_TRUE(first);
  EXPECT_TRUE(first->full);
  ASSERT_EQ(first->jobs.size(), 1u);
  EXPECT_TRUE(follower.poll()->jobs.empty()) << "nothing changed";

  auto other = store->create_or_get_active(make_job("http://a/other"));
  ASSERT_TRUE(*store->remove(done->job.id));
  auto next = follower.poll();
  ASSERT_TRUE(next);
  EXPECT_FALSE(next->full);
  ASSERT_EQ(next->jobs.size(), 2u);
  EXPECT_EQ(next->jobs[0].id, other->job.id);
  EXPECT_FALSE(next->removed[0]);
  EXPECT_EQ(next->jobs[1].id, done->job.id);
  EXPECT_TRUE(next->removed[1]);
}

// A change written by another connection (a recorder process) is seen by the next poll, even
// right after a poll that found nothing.
TEST_F(StoreTest, TheFeedSeesWritesOfOtherConnections) {
  auto created = store->create_or_get_active(make_job("http://a/live"));
  const auto head = store->changes_since(-1, 0)->cursor;
  EXPECT_TRUE(store->changes_since(head, 100)->jobs.empty());
  auto other_db = *sqlite::Db::open(dir.path / "db");
  auto other = std::move(*sqlite::SqliteJobStore::open(other_db));
  ASSERT_TRUE(
      update_job(*other, created->job.id, [](Job& j) { return transition(j, JobStatus::starting, now()); }).ok());
  auto batch = store->changes_since(head, 100);
  ASSERT_EQ(batch->jobs.size(), 1u);
  EXPECT_EQ(batch->jobs[0].status, JobStatus::starting);
}

// Readers keep what they rendered while the token stays; any write, from this connection or
// another (a recorder), changes it, and reading it does not wait behind a writer.
TEST_F(StoreTest, TheChangeTokenMovesWithEveryWrite) {
  const auto t0 = store->change_token();
  ASSERT_TRUE(t0.has_value());
  EXPECT_EQ(store->change_token(), t0) << "no write, same token";
  auto created = store->create_or_get_active(make_job("http://a/live"));
  const auto t1 = store->change_token();
  EXPECT_NE(t1, t0);
  auto other_db = *sqlite::Db::open(dir.path / "db");
  auto other = std::move(*sqlite::SqliteJobStore::open(other_db));
  ASSERT_TRUE(
      update_job(*other, created->job.id, [](Job& j) { return transition(j, JobStatus::starting, now()); }).ok());
  const auto t2 = store->change_token();
  EXPECT_NE(t2, t1);
  {
    std::lock_guard held(db->mutex());  // the main connection busy (a write and its fsync)
    EXPECT_EQ(store->change_token(), t2);
  }
  ASSERT_TRUE(store->remove(created->job.id).ok());
  EXPECT_NE(store->change_token(), t2);
}

TEST_F(StoreTest, QueueRedeliversAfterVisibilityAndDeadLetters) {
  auto queue = std::move(*sqlite::SqliteJobQueue::open(db, 2));
  ASSERT_TRUE(queue->send("job-1", "job-1").ok());
  ASSERT_TRUE(queue->send("job-1", "job-1").ok());  // deduplicated
  auto m1 = queue->receive(std::chrono::seconds(0), std::chrono::milliseconds(0));
  ASSERT_TRUE(m1->has_value());
  EXPECT_EQ((*m1)->receive_count, 1);
  auto m2 = queue->receive(std::chrono::seconds(0), std::chrono::milliseconds(0));
  ASSERT_TRUE(m2->has_value()) << "visibility 0: delivered again";
  EXPECT_EQ((*m2)->receive_count, 2);
  auto m3 = queue->receive(std::chrono::seconds(0), std::chrono::milliseconds(0));
  EXPECT_FALSE(m3->has_value()) << "a third delivery exceeds the limit of 2";
  auto dead = queue->take_dead_letters();
  ASSERT_EQ(dead->size(), 1u);
  EXPECT_EQ((*dead)[0].job_id, "job-1");
  EXPECT_TRUE(queue->take_dead_letters()->empty());
}

TEST_F(StoreTest, QueueHidesAMessageWhileItIsBeingHandled) {
  auto queue = std::move(*sqlite::SqliteJobQueue::open(db, 5));
  ASSERT_TRUE(queue->send("job-2", "job-2").ok());
  auto m = queue->receive(std::chrono::seconds(60), std::chrono::milliseconds(0));
  ASSERT_TRUE(m->has_value());
  EXPECT_FALSE(queue->receive(std::chrono::seconds(60), std::chrono::milliseconds(200))->has_value());
  ASSERT_TRUE(queue->ack(**m).ok());
  EXPECT_TRUE(queue->send("job-2", "job-2").ok()) << "after an ack the id may be queued again";
}

TEST(FsObjectStore, NeverOverwritesAndRefusesUnsafeKeys) {
  TempDir dir;
  blob::FsObjectStore objects(dir.path);
  auto put = [&](const std::string& key, const std::string& body) {
    auto w = objects.create(key);
    EXPECT_TRUE(w.ok());
    EXPECT_TRUE((*w)->write(std::as_bytes(std::span(body.data(), body.size()))).ok());
    return *(*w)->commit();
  };
  EXPECT_EQ(put("show/ep.mkv", "one").key, "show/ep.mkv");
  EXPECT_EQ(put("show/ep.mkv", "two").key, "show/ep-1.mkv");
  EXPECT_EQ(put("show/ep.mkv", "three").key, "show/ep-2.mkv");
  std::ifstream first(dir.path / "show/ep.mkv");
  std::string content((std::istreambuf_iterator<char>(first)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "one");
  EXPECT_EQ(objects.stat("show/ep-1.mkv")->size, 3u);
  for (const char* bad : {"../x.mkv", "/etc/passwd", "a/../../b", ""}) EXPECT_FALSE(objects.create(bad).ok()) << bad;
  EXPECT_FALSE(objects.local_path("../../etc/passwd"));
  ASSERT_TRUE(objects.remove("show/ep.mkv").ok());
  EXPECT_FALSE(objects.stat("show/ep.mkv").ok());
  EXPECT_TRUE(fs::is_empty(dir.path / ".incoming")) << "no temporary files left behind";
}
