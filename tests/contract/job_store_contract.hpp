#pragma once
// What every JobStore must do, written once and instantiated for each adapter (SQLite, DynamoDB on
// moto, the in-memory fake). A Backend makes a fresh store and opens more connections to it:
//   struct Backend { std::unique_ptr<JobStore> open(); };   // each call: another connection
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "contract/jobs.hpp"
#include "contract/race.hpp"
#include "core/feed.hpp"

namespace chronicle::contract {

template <class Backend>
class JobStoreContract : public ::testing::Test {
 protected:
  Backend backend;
  std::unique_ptr<JobStore> connection = backend.open();
};
TYPED_TEST_SUITE_P(JobStoreContract);

TYPED_TEST_P(JobStoreContract, SameUrlWhileActiveIsOneJob) {
  auto& store = *this->connection;
  auto first = store.create_or_get_active(new_job("http://a/live"));
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_TRUE(first->created);
  EXPECT_EQ(first->job.version, (*store.get(first->job.id))->version);
  auto second = store.create_or_get_active(new_job("http://a/live"));
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->created);
  EXPECT_EQ(second->job.id, first->job.id);
  ASSERT_TRUE(move_to(store, first->job.id, JobStatus::canceled).ok());
  auto third = store.create_or_get_active(new_job("http://a/live"));
  ASSERT_TRUE(third.ok()) << third.error().message;
  EXPECT_TRUE(third->created) << "a finished job frees its URL";
  EXPECT_NE(third->job.id, first->job.id);
}

TYPED_TEST_P(JobStoreContract, ReadsBackWhatWasWritten) {
  auto& store = *this->connection;
  Job job = new_job("http://a/roundtrip");
  job.name = "show";
  job.prefix = "a/b";
  job.reconnect_window_s = 42;
  auto created = store.create_or_get_active(job);
  ASSERT_TRUE(created.ok());
  auto written = update_job(store, job.id, [](Job& j) -> Result<Ok> {
    j.title = "Title ✓";
    j.recorder_ref = "pid:1234";
    j.interruptions.push_back({12.5, 3.0, now()});
    j.warnings.push_back("a warning");
    j.recording = StoredRecording{"a/b/show.mkv", 1234, "ab12", ""};
    j.torrent = TorrentInfo{
        "a/b/show.torrent",     "00ff", "", "magnet:?xt=urn:btih:00ff", "http://x/torrent", {"http://t/announce"},
        {"http://x/recording"}, 16384};
    return transition(j, JobStatus::starting, now());
  });
  ASSERT_TRUE(written.ok()) << written.error().message;
  auto read = store.get(job.id);
  ASSERT_TRUE(read.ok() && read->has_value());
  const Job& got = **read;
  EXPECT_EQ(got.name, "show");
  EXPECT_EQ(got.prefix, "a/b");
  EXPECT_EQ(got.title, "Title ✓");
  EXPECT_EQ(got.recorder_ref, "pid:1234");
  EXPECT_EQ(got.status, JobStatus::starting);
  EXPECT_EQ(got.reconnect_window_s, 42);
  ASSERT_EQ(got.interruptions.size(), 1u);
  EXPECT_DOUBLE_EQ(got.interruptions[0].at_s, 12.5);
  EXPECT_EQ(got.warnings, std::vector<std::string>{"a warning"});
  ASSERT_TRUE(got.recording);
  EXPECT_EQ(got.recording->sha256, "ab12");
  EXPECT_EQ(got.torrent, written->torrent) << "the torrent is read back whole";
  EXPECT_EQ(got.version, written->version);
  EXPECT_FALSE(store.get("01NOSUCHJOB0000000000000000")->has_value());
}

TYPED_TEST_P(JobStoreContract, CompareAndSetRefusesAStaleWriter) {
  auto& store = *this->connection;
  auto created = store.create_or_get_active(new_job("http://b/live"));
  Job a = created->job, b = created->job;
  ASSERT_TRUE(transition(a, JobStatus::starting, now()).ok());
  ASSERT_TRUE(transition(b, JobStatus::starting, now()).ok());
  auto won = store.replace_if_version(a);
  ASSERT_TRUE(won.ok()) << won.error().message;
  EXPECT_TRUE(*won);
  auto lost = store.replace_if_version(b);
  ASSERT_TRUE(lost.ok()) << lost.error().message;
  EXPECT_FALSE(*lost) << "a message delivered twice must not start two recorders";
  EXPECT_EQ((*store.get(a.id))->version, a.version);
}

// Claimers on their own connections, as separate dispatchers would be: exactly one wins.
TYPED_TEST_P(JobStoreContract, ConcurrentClaimsStartAJobOnce) {
  auto created = this->connection->create_or_get_active(new_job("http://c/live"));
  ASSERT_TRUE(created.ok());
  std::vector<std::unique_ptr<JobStore>> connections;
  for (int i = 0; i < 6; ++i) connections.push_back(this->backend.open());
  std::atomic<int> winners{0}, errors{0};
  std::vector<std::function<void()>> claimers;
  for (auto& own : connections)
    claimers.emplace_back([&, store = own.get()] {
      auto r = update_job(*store, created->job.id, [](Job& j) -> Result<Ok> {
        if (j.status != JobStatus::pending) return make_error("taken", "already claimed");
        return transition(j, JobStatus::starting, now());
      });
      if (r.ok())
        ++winners;
      else if (r.error().code != "taken")
        ++errors;
    });
  race<TypeParam>(claimers);
  EXPECT_EQ(winners.load(), 1);
  EXPECT_EQ(errors.load(), 0);
}

TYPED_TEST_P(JobStoreContract, HeartbeatsOnlyOnActiveJobs) {
  auto& store = *this->connection;
  auto created = store.create_or_get_active(new_job("http://h/live"));
  const std::string id = created->job.id;
  EXPECT_EQ(store.heartbeat(id, Heartbeat{now(), 5, 1, std::nullopt}).error().code, "finished")
      << "a pending job has no recorder";
  ASSERT_TRUE(move_to(store, id, JobStatus::starting).ok());
  const Job before = **store.get(id);
  const auto media_at = from_rfc3339(to_rfc3339(now()));
  auto beat = store.heartbeat(id, Heartbeat{now(), 4096, 2.5, media_at});
  ASSERT_TRUE(beat.ok()) << beat.error().message;
  EXPECT_EQ(beat->last_media_at, media_at);
  EXPECT_GT(beat->version, before.version) << "a heartbeat is a write like any other";
  EXPECT_EQ((*store.get(id))->bytes, 4096u);
  EXPECT_DOUBLE_EQ((*store.get(id))->duration_s, 2.5);
  EXPECT_TRUE((*store.get(id))->heartbeat_at.has_value());

  Job stale = before;  // a writer holding the view from before the heartbeat loses ...
  stale.stop_requested = true;
  EXPECT_FALSE(*store.replace_if_version(stale));
  ASSERT_TRUE(update_job(store, id,
                         [](Job& j) {  // ... one that reads again wins
                           j.stop_requested = true;
                           return Result<Ok>(Ok{});
                         })
                  .ok());
  auto stopped = store.heartbeat(id, Heartbeat{now(), 8192, 3, std::nullopt});
  ASSERT_TRUE(stopped.ok());
  EXPECT_TRUE(stopped->stop_requested) << "the recorder learns of a stop from its heartbeat";

  ASSERT_TRUE(move_to(store, id, JobStatus::uploading).ok());
  ASSERT_TRUE(store.heartbeat(id, Heartbeat{now(), 1, 0, std::nullopt}).ok());
  EXPECT_EQ((*store.get(id))->bytes, 8192u) << "while uploading, bytes stay what was recorded";
  ASSERT_TRUE(move_to(store, id, JobStatus::completed).ok());
  EXPECT_EQ(store.heartbeat(id, Heartbeat{now(), 1, 0, std::nullopt}).error().code, "finished");
  EXPECT_EQ(store.heartbeat("01NOSUCHJOB0000000000000000", Heartbeat{now(), 1, 1, std::nullopt}).error().code,
            "not_found");
}

inline ListQuery query(std::optional<JobStatus> status, std::size_t limit,
                       std::optional<std::string> cursor = std::nullopt) {
  ListQuery q;
  q.status = status;
  q.limit = limit;
  q.cursor = std::move(cursor);
  return q;
}

TYPED_TEST_P(JobStoreContract, ListsNewestFirstByStatusWithACursor) {
  auto& store = *this->connection;
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i)
    ids.push_back(store.create_or_get_active(new_job("http://l/" + std::to_string(i)))->job.id);
  ASSERT_TRUE(move_to(store, ids[1], JobStatus::canceled).ok());
  auto page = store.list(query(std::nullopt, 2));
  ASSERT_TRUE(page.ok()) << page.error().message;
  ASSERT_EQ(page->jobs.size(), 2u);
  EXPECT_EQ(page->jobs[0].id, ids[4]);
  EXPECT_EQ(page->jobs[1].id, ids[3]);
  auto rest = store.list(query(std::nullopt, 10, page->next_cursor));
  ASSERT_EQ(rest->jobs.size(), 3u);
  EXPECT_EQ(rest->jobs[0].id, ids[2]);
  EXPECT_FALSE(rest->next_cursor);
  auto canceled = store.list(query(JobStatus::canceled, 10));
  ASSERT_EQ(canceled->jobs.size(), 1u);
  EXPECT_EQ(canceled->jobs[0].id, ids[1]);
  EXPECT_EQ(store.list(query(JobStatus::pending, 10))->jobs.size(), 4u);
  EXPECT_EQ(store.list_by_status({JobStatus::pending})->size(), 4u);
  EXPECT_EQ(store.list_by_status({JobStatus::pending, JobStatus::canceled})->size(), 5u);
}

TYPED_TEST_P(JobStoreContract, ListsAChannelsJobsNewestFirstWithACursor) {
  auto& store = *this->connection;
  std::vector<std::string> of_channel;
  for (int i = 0; i < 5; ++i) {
    Job j = new_job("http://c/" + std::to_string(i));
    if (i % 2 == 0) j.channel_id = "channel-a";
    auto made = store.create_or_get_active(j);
    ASSERT_TRUE(made.ok()) << made.error().message;
    if (i % 2 == 0) of_channel.push_back(made->job.id);
  }
  ASSERT_TRUE(move_to(store, of_channel[0], JobStatus::canceled).ok()) << "a status change keeps the channel";
  ListQuery q;
  q.channel_id = "channel-a";
  q.limit = 2;
  auto page = store.list(q);
  ASSERT_TRUE(page.ok()) << page.error().message;
  ASSERT_EQ(page->jobs.size(), 2u);
  EXPECT_EQ(page->jobs[0].id, of_channel[2]);
  EXPECT_EQ(page->jobs[1].id, of_channel[1]);
  ASSERT_TRUE(page->next_cursor);
  q.cursor = page->next_cursor;
  auto rest = store.list(q);
  ASSERT_EQ(rest->jobs.size(), 1u);
  EXPECT_EQ(rest->jobs[0].id, of_channel[0]);
  EXPECT_EQ(rest->jobs[0].channel_id, "channel-a");
  EXPECT_FALSE(rest->next_cursor);
  q.channel_id = "channel-b";
  q.cursor.reset();
  EXPECT_TRUE(store.list(q)->jobs.empty());
}

TYPED_TEST_P(JobStoreContract, SearchesNameTitleAndUrlInPagesNewestFirst) {
  auto& store = *this->connection;
  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i) {
    Job j = new_job("http://search.test/stream-" + std::to_string(i));
    j.name = i % 2 ? "Evening News " + std::to_string(i) : "weather";
    if (i == 4) j.title = "Late EVENING special";
    auto made = store.create_or_get_active(j);
    ASSERT_TRUE(made.ok()) << made.error().message;
    ids.push_back(made->job.id);
  }
  ListQuery q;
  q.search = "evening";  // lowercase, as the API passes it
  q.limit = 2;
  auto page = store.list(q);
  ASSERT_TRUE(page.ok()) << page.error().message;
  ASSERT_EQ(page->jobs.size(), 2u);
  EXPECT_EQ(page->jobs[0].id, ids[5]);
  EXPECT_EQ(page->jobs[1].id, ids[4]) << "the title counts, whatever its case";
  ASSERT_TRUE(page->next_cursor);
  q.cursor = page->next_cursor;
  auto rest = store.list(q);
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ(rest->jobs.size(), 2u);
  EXPECT_EQ(rest->jobs[0].id, ids[3]);
  EXPECT_EQ(rest->jobs[1].id, ids[1]);
  EXPECT_FALSE(rest->next_cursor);
  ListQuery by_url;
  by_url.search = "stream-2";
  ASSERT_EQ(store.list(by_url)->jobs.size(), 1u);
  EXPECT_EQ(store.list(by_url)->jobs[0].id, ids[2]);
  ASSERT_TRUE(move_to(store, ids[1], JobStatus::canceled).ok());
  ListQuery with_status;
  with_status.search = "evening";
  with_status.status = JobStatus::pending;
  EXPECT_EQ(store.list(with_status)->jobs.size(), 3u) << "with a status too";
  ListQuery none;
  none.search = "nothing like it";
  EXPECT_TRUE(store.list(none)->jobs.empty());
}

TYPED_TEST_P(JobStoreContract, CountsOnlyTheStatusesAsked) {
  auto& store = *this->connection;
  auto a = store.create_or_get_active(new_job("http://n/1"));
  ASSERT_TRUE(store.create_or_get_active(new_job("http://n/2")).ok());
  auto c = store.create_or_get_active(new_job("http://n/3"));
  ASSERT_TRUE(move_to(store, a->job.id, JobStatus::starting).ok());
  ASSERT_TRUE(move_to(store, c->job.id, JobStatus::canceled).ok());
  auto counts = store.count_by_status({JobStatus::starting, JobStatus::recording});
  ASSERT_TRUE(counts.ok()) << counts.error().message;
  EXPECT_EQ((*counts)[JobStatus::starting], 1);
  EXPECT_EQ((*counts)[JobStatus::recording], 0);
  EXPECT_EQ((*counts)[JobStatus::pending], 0) << "not asked, not counted";
  EXPECT_EQ(counts->size(), 8u) << "every status is in the answer";
  auto all = store.count_by_status();
  EXPECT_EQ((*all)[JobStatus::pending], 1);
  EXPECT_EQ((*all)[JobStatus::canceled], 1);
  // A write that loses its compare-and-set moves no count, and a deletion does.
  Job stale = **store.get(a->job.id);
  stale.version -= 1;
  ASSERT_TRUE(transition(stale, JobStatus::recording, now()).ok());
  EXPECT_FALSE(*store.replace_if_version(stale));
  EXPECT_TRUE(*store.remove(a->job.id));
  counts = store.count_by_status({JobStatus::starting, JobStatus::recording});
  EXPECT_EQ((*counts)[JobStatus::starting], 0);
  EXPECT_EQ((*counts)[JobStatus::recording], 0);
}

TYPED_TEST_P(JobStoreContract, ChangeFeedReportsEveryChangeInOrder) {
  auto& store = *this->connection;
  const auto head = store.changes_since(-1, 0);
  ASSERT_TRUE(head.ok()) << head.error().message;
  EXPECT_TRUE(head->jobs.empty()) << "a negative cursor returns only the head";
  auto created = store.create_or_get_active(new_job("http://f/live"));
  ASSERT_TRUE(move_to(store, created->job.id, JobStatus::starting).ok());
  ASSERT_TRUE(move_to(store, created->job.id, JobStatus::failed).ok());
  auto batch = store.changes_since(head->cursor, 100);
  ASSERT_TRUE(batch.ok()) << batch.error().message;
  ASSERT_EQ(batch->jobs.size(), 3u);
  EXPECT_EQ(batch->jobs[0].status, JobStatus::pending);
  EXPECT_EQ(batch->jobs[1].status, JobStatus::starting);
  EXPECT_EQ(batch->jobs[2].status, JobStatus::failed);
  ASSERT_EQ(batch->seqs.size(), 3u);
  EXPECT_LT(batch->seqs[0], batch->seqs[1]);
  EXPECT_LT(batch->seqs[1], batch->seqs[2]);
  EXPECT_TRUE(store.changes_since(batch->cursor, 100)->jobs.empty());
  auto limited = store.changes_since(head->cursor, 2);
  ASSERT_EQ(limited->jobs.size(), 2u) << "the limit is kept";
  EXPECT_EQ(store.changes_since(limited->cursor, 100)->jobs.size(), 1u) << "and the rest follows";
}

TYPED_TEST_P(JobStoreContract, ADeletionIsAChangeToo) {
  auto& store = *this->connection;
  auto created = store.create_or_get_active(new_job("http://d/live"));
  const auto head = store.changes_since(-1, 0)->cursor;
  ASSERT_TRUE(*store.remove(created->job.id));
  EXPECT_FALSE(*store.remove(created->job.id));
  EXPECT_FALSE(store.get(created->job.id)->has_value());
  auto batch = store.changes_since(head, 100);
  ASSERT_EQ(batch->jobs.size(), 1u);
  EXPECT_TRUE(batch->removed[0]);
  EXPECT_EQ(batch->jobs[0].id, created->job.id);
}

// A change written by another connection (a recorder) is seen by the next read of the feed, even
// right after one that found nothing.
TYPED_TEST_P(JobStoreContract, TheFeedSeesWritesOfOtherConnections) {
  auto& store = *this->connection;
  auto created = store.create_or_get_active(new_job("http://o/live"));
  const auto head = store.changes_since(-1, 0)->cursor;
  EXPECT_TRUE(store.changes_since(head, 100)->jobs.empty());
  auto other = this->backend.open();
  ASSERT_TRUE(move_to(*other, created->job.id, JobStatus::starting).ok());
  auto batch = store.changes_since(head, 100);
  ASSERT_EQ(batch->jobs.size(), 1u);
  EXPECT_EQ(batch->jobs[0].status, JobStatus::starting);
}

// A follower lists once, then reads only the feed: new jobs, changes and deletions, in order.
TYPED_TEST_P(JobStoreContract, AFeedFollowerListsOnceThenFollowsTheFeed) {
  auto& store = *this->connection;
  auto done = store.create_or_get_active(new_job("http://a/done"));
  ASSERT_TRUE(move_to(store, done->job.id, JobStatus::failed).ok());
  FeedFollower follower(store, {JobStatus::failed, JobStatus::completed});
  auto first = follower.poll();
  ASSERT_TRUE(first);
  EXPECT_TRUE(first->full);
  ASSERT_EQ(first->jobs.size(), 1u);
  EXPECT_TRUE(follower.poll()->jobs.empty()) << "nothing changed";
  auto other = store.create_or_get_active(new_job("http://a/other"));
  ASSERT_TRUE(*store.remove(done->job.id));
  auto next = follower.poll();
  ASSERT_TRUE(next);
  EXPECT_FALSE(next->full);
  ASSERT_EQ(next->jobs.size(), 2u);
  EXPECT_EQ(next->jobs[0].id, other->job.id);
  EXPECT_FALSE(next->removed[0]);
  EXPECT_EQ(next->jobs[1].id, done->job.id);
  EXPECT_TRUE(next->removed[1]);
}

// Readers keep what they rendered while the token stays; any write, from this connection or
// another, changes it. Stores that cannot tell cheaply say so (nullopt) and nothing is kept.
TYPED_TEST_P(JobStoreContract, TheChangeTokenMovesWithEveryWrite) {
  auto& store = *this->connection;
  const auto t0 = store.change_token();
  if (!t0) GTEST_SKIP() << "this store has no change token";
  EXPECT_EQ(store.change_token(), t0) << "no write, same token";
  auto created = store.create_or_get_active(new_job("http://t/live"));
  const auto t1 = store.change_token();
  EXPECT_NE(t1, t0);
  auto other = this->backend.open();
  ASSERT_TRUE(move_to(*other, created->job.id, JobStatus::starting).ok());
  const auto t2 = store.change_token();
  EXPECT_NE(t2, t1);
  ASSERT_TRUE(store.remove(created->job.id).ok());
  EXPECT_NE(store.change_token(), t2);
}

TYPED_TEST_P(JobStoreContract, FindsIdsByTheirStart) {
  auto& store = *this->connection;
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    auto created = store.create_or_get_active(new_job("http://a/prefix/" + std::to_string(i)));
    ASSERT_TRUE(created.ok()) << created.error().message;
    ids.push_back(created->job.id);
  }
  auto whole = store.ids_starting_with(ids[1], 5);
  ASSERT_TRUE(whole.ok()) << whole.error().message;
  EXPECT_EQ(*whole, std::vector<std::string>{ids[1]});
  // Made in one go, the three share their first characters (the time): a short start finds
  // more than one, and at most as many as asked.
  auto shared = store.ids_starting_with(ids[0].substr(0, 4), 2);
  ASSERT_TRUE(shared.ok());
  EXPECT_EQ(shared->size(), 2u);
  for (const auto& id : *shared) EXPECT_TRUE(id.starts_with(ids[0].substr(0, 4)));
  auto none = store.ids_starting_with("ZZZZZZ", 2);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

REGISTER_TYPED_TEST_SUITE_P(JobStoreContract, SameUrlWhileActiveIsOneJob, ReadsBackWhatWasWritten, FindsIdsByTheirStart,
                            CompareAndSetRefusesAStaleWriter, ConcurrentClaimsStartAJobOnce, HeartbeatsOnlyOnActiveJobs,
                            ListsNewestFirstByStatusWithACursor, ListsAChannelsJobsNewestFirstWithACursor,
                            SearchesNameTitleAndUrlInPagesNewestFirst, CountsOnlyTheStatusesAsked,
                            ChangeFeedReportsEveryChangeInOrder, ADeletionIsAChangeToo,
                            TheFeedSeesWritesOfOtherConnections, AFeedFollowerListsOnceThenFollowsTheFeed,
                            TheChangeTokenMovesWithEveryWrite);

}  // namespace chronicle::contract
