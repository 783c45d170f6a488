// What only the embedded adapters promise, beyond the port contracts (port_contracts_test.cpp).
#include <gtest/gtest.h>

#include <filesystem>

#include "blob/fs/fs_object_store.hpp"
#include "contract/jobs.hpp"
#include "queue/sqlite/sqlite_job_queue.hpp"
#include "store/sqlite/sqlite_job_store.hpp"
#include "temp_dir.hpp"

using namespace chronicle;
using chronicle::contract::move_to;
using chronicle::contract::new_job;
using chronicle::test_support::TempDir;

// Reading the change token never waits behind a writer holding the main connection (a write and
// its fsync), so the read path's cache check costs nothing while a recorder writes.
TEST(SqliteJobStore, TheChangeTokenDoesNotWaitBehindAWriter) {
  TempDir dir;
  auto db = *sqlite::Db::open(dir.path / "db");
  auto store = std::move(*sqlite::SqliteJobStore::open(db));
  auto created = store->create_or_get_active(new_job("http://a/live"));
  const auto token = store->change_token();
  ASSERT_TRUE(token.has_value());
  {
    std::lock_guard held(db->mutex());
    EXPECT_EQ(store->change_token(), token);
  }
  ASSERT_TRUE(move_to(*store, created->job.id, JobStatus::starting).ok());
  EXPECT_NE(store->change_token(), token);
}

// Unlike SQS FIFO's five-minute deduplication window, an acked id may be queued again at once.
TEST(SqliteJobQueue, AnAckedIdMayBeQueuedAgain) {
  TempDir dir;
  auto queue = std::move(*sqlite::SqliteJobQueue::open(*sqlite::Db::open(dir.path / "db"), 5));
  ASSERT_TRUE(queue->send("job-2", "job-2").ok());
  auto m = queue->receive(std::chrono::seconds(60), std::chrono::milliseconds(0));
  ASSERT_TRUE(m->has_value());
  ASSERT_TRUE(queue->ack(**m).ok());
  ASSERT_TRUE(queue->send("job-2", "job-2").ok());
  auto again = queue->receive(std::chrono::seconds(60), std::chrono::milliseconds(0));
  ASSERT_TRUE(again->has_value());
  EXPECT_EQ((*again)->receive_count, 1);
}

TEST(FsObjectStore, LeavesNoTemporaryFilesAndNoPathOutside) {
  TempDir dir;
  blob::FsObjectStore objects(dir.path);
  auto w = objects.create("show/ep.mkv");
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->write(std::as_bytes(std::span("one", 3))).ok());
  ASSERT_TRUE((*w)->commit().ok());
  EXPECT_EQ(objects.local_path("show/ep.mkv"), dir.path / "show/ep.mkv");
  EXPECT_FALSE(objects.local_path("../../etc/passwd"));
  EXPECT_FALSE(objects.create(".incoming/x.mkv").ok()) << "the staging directory is not a key";
  EXPECT_TRUE(std::filesystem::is_empty(dir.path / ".incoming")) << "no temporary files left behind";
}

// A document that cannot be read is an error the caller sees, not an exception; deleting it works.
TEST(SqliteJobStore, ACorruptDocumentIsAnErrorAndCanBeDeleted) {
  TempDir dir;
  auto db = *sqlite::Db::open(dir.path / "db");
  auto store = std::move(*sqlite::SqliteJobStore::open(db));
  auto created = store->create_or_get_active(new_job("http://a/live"));
  {
    std::lock_guard lock(db->mutex());
    sqlite::Stmt s(*db, "UPDATE jobs SET doc = '{\"bytes\": \"many\"' WHERE id = ?");
    s.bind(1, created->job.id);
    ASSERT_EQ(s.step(), SQLITE_DONE);
  }
  auto read = store->get(created->job.id);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().code, "corrupt_job");
  EXPECT_FALSE(store->list({}).ok());
  auto removed = store->remove(created->job.id);
  ASSERT_TRUE(removed.ok()) << removed.error().message;
  EXPECT_TRUE(*removed);
  EXPECT_TRUE(store->list({})->jobs.empty());
}
