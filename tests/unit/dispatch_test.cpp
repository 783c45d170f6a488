// The dispatcher's claim/probe/launch/dead-letter decisions and the reaper's recovery decisions,
// on in-memory ports with a scripted probe: no yt-dlp, no recorder process, milliseconds each.
#include <gtest/gtest.h>

#include <mutex>

#include "contract/jobs.hpp"
#include "dispatch/dispatcher.hpp"
#include "dispatch/reaper.hpp"
#include "fakes/memory_ports.hpp"
#include "temp_dir.hpp"

using namespace chronicle;
using namespace chronicle::dispatch;
using chronicle::contract::move_to;
using chronicle::contract::new_job;

namespace {

class DispatchTest : public ::testing::Test {
 protected:
  test_support::TempDir dir;
  Config config = [this] {
    Config c;
    c.data_dir = dir.path;
    c.max_concurrent_recordings = 2;
    c.heartbeat_stale_s = 30;
    return c;
  }();
  fakes::MemoryJobStore store;
  fakes::MemoryJobQueue queue{3};
  fakes::MemoryObjectStore objects;
  fakes::FakeLauncher launcher;
  DispatchStats stats;
  std::mutex probe_mutex;  // the running dispatcher's handlers probe side by side
  std::vector<std::string> probed;
  Result<record::StreamInfo> probe_answer = [] {
    record::StreamInfo live;
    live.title = "A live show";
    live.protocol = "m3u8_native";
    live.live_status = "is_live";
    live.extracted = "{\"id\":1}";
    return live;
  }();
  Dispatcher dispatcher{config, store, queue, launcher, fakes::public_dns(), stats, [this](const Job& job) {
                          const auto& url = job.url;
                          std::lock_guard lock(probe_mutex);
                          probed.push_back(url);
                          return probe_answer;
                        }};

  // A submitted job and the message a dispatcher would receive for it.
  std::pair<Job, QueueMessage> queued(const std::string& url = "https://example.com/live") {
    auto created = store.create_or_get_active(new_job(url));
    EXPECT_TRUE(queue.send(created->job.id, created->job.id).ok());
    auto m = queue.receive(std::chrono::seconds(30), std::chrono::milliseconds(0));
    return {created->job, **m};
  }
  Job stored(const std::string& id) { return store.get(id)->value(); }
};

}  // namespace

TEST_F(DispatchTest, ALiveStreamIsClaimedProbedAndLaunched) {
  auto [job, message] = queued();
  EXPECT_EQ(dispatcher.handle(message), Dispatcher::Handled::done);
  const Job now_stored = stored(job.id);
  EXPECT_EQ(now_stored.status, JobStatus::starting);
  EXPECT_EQ(now_stored.title, "A live show");
  EXPECT_EQ(now_stored.protocol, "m3u8_native");
  EXPECT_EQ(now_stored.recorder_ref, "ref-" + job.id);
  EXPECT_EQ(launcher.launched, std::vector<std::string>{job.id});
  EXPECT_EQ(launcher.extracted_for[job.id], "{\"id\":1}") << "the recorder gets the probe's extraction";
  EXPECT_EQ(queue.acked, std::vector<std::string>{job.id});
  EXPECT_EQ(stats.launched.load(), 1u);
}

TEST_F(DispatchTest, AMessageDeliveredTwiceStartsOneRecorder) {
  auto [job, message] = queued();
  ASSERT_EQ(dispatcher.handle(message), Dispatcher::Handled::done);
  EXPECT_EQ(dispatcher.handle(message), Dispatcher::Handled::done) << "dropped as handled";
  EXPECT_EQ(launcher.launched.size(), 1u);
  EXPECT_EQ(probed.size(), 1u);
}

TEST_F(DispatchTest, WhatIsNotAStreamFailsWithTheProbesReason) {
  probe_answer = make_error("stream_not_found", "HTTP Error 404: Not Found");
  auto [job, message] = queued();
  EXPECT_EQ(dispatcher.handle(message), Dispatcher::Handled::done);
  EXPECT_EQ(stored(job.id).status, JobStatus::failed);
  EXPECT_EQ(stored(job.id).error->code, "stream_not_found");
  EXPECT_TRUE(launcher.launched.empty());
  EXPECT_EQ(stats.rejected.load(), 1u);
}

TEST_F(DispatchTest, AUrlAimedAtAPrivateAddressIsNeverProbed) {
  auto [job, message] = queued("http://127.0.0.1:8080/live.m3u8");
  EXPECT_EQ(dispatcher.handle(message), Dispatcher::Handled::done);
  EXPECT_TRUE(probed.empty()) << "the policy is checked again before any fetch";
  EXPECT_EQ(stored(job.id).error->code, "forbidden_address");
}

TEST_F(DispatchTest, AStopBeforeTheLaunchCancelsWithoutARecorder) {
  auto [job, message] = queued();
  ASSERT_TRUE(update_job(store, job.id, [](Job& j) {
                j.stop_requested = true;
                return Result<Ok>(Ok{});
              }).ok());
  EXPECT_EQ(dispatcher.handle(message), Dispatcher::Handled::done);
  EXPECT_EQ(stored(job.id).status, JobStatus::canceled);
  EXPECT_TRUE(launcher.launched.empty());
}

TEST_F(DispatchTest, ALaunchThatFailsEndsTheJobSayingSo) {
  launcher.fail_launch = true;
  auto [job, message] = queued();
  EXPECT_EQ(dispatcher.handle(message), Dispatcher::Handled::done);
  EXPECT_EQ(stored(job.id).status, JobStatus::failed);
  EXPECT_EQ(stored(job.id).error->code, "launch_failed");
  EXPECT_NE(stored(job.id).error->message.find("could not start a recorder"), std::string::npos);
}

TEST_F(DispatchTest, AnUnreachableStoreLeavesTheMessageForLater) {
  auto [job, message] = queued();
  store.fail_writes = true;
  EXPECT_EQ(dispatcher.handle(message), Dispatcher::Handled::retry);
  EXPECT_TRUE(queue.acked.empty()) << "not acked: it comes back after its lease";
  store.fail_writes = false;
  EXPECT_EQ(stored(job.id).status, JobStatus::pending);
}

TEST_F(DispatchTest, AStaleClaimWithoutARecorderIsTakenOver) {
  auto [job, message] = queued();
  ASSERT_TRUE(update_job(store, job.id, [](Job& j) { return transition(j, JobStatus::starting, now()); }).ok());
  EXPECT_EQ(dispatcher.handle(message), Dispatcher::Handled::done);
  EXPECT_TRUE(launcher.launched.empty()) << "a fresh claim belongs to another dispatcher";
  // update_job stamps updated_at, so the claim is made old by a direct write.
  Job old = stored(job.id);
  old.updated_at = now() - std::chrono::seconds(120);
  ASSERT_TRUE(*store.replace_if_version(old));
  EXPECT_EQ(dispatcher.handle(message), Dispatcher::Handled::done);
  EXPECT_EQ(launcher.launched, std::vector<std::string>{job.id});
}

TEST_F(DispatchTest, CapacityCountsEveryActiveRecording) {
  EXPECT_TRUE(dispatcher.has_capacity());
  for (const char* url : {"https://example.com/1", "https://example.com/2"}) {
    auto [job, message] = queued(url);
    ASSERT_EQ(dispatcher.handle(message), Dispatcher::Handled::done);
  }
  EXPECT_FALSE(dispatcher.has_capacity()) << "max_concurrent_recordings is 2";
  const auto recording = store.list_by_status({JobStatus::starting})->front();
  ASSERT_TRUE(move_to(store, recording.id, JobStatus::failed).ok());
  EXPECT_TRUE(dispatcher.has_capacity());
}

TEST_F(DispatchTest, ADeadLetterFailsItsJobCountingTheAttempts) {
  auto created = store.create_or_get_active(new_job("https://example.com/poison"));
  queue.dead_letter(created->job.id, 4);
  dispatcher.fail_dead_letters();
  EXPECT_EQ(stored(created->job.id).status, JobStatus::failed);
  EXPECT_EQ(stored(created->job.id).error->code, "dispatch_failed");
  EXPECT_NE(stored(created->job.id).error->message.find("after 3 attempts"), std::string::npos)
      << stored(created->job.id).error->message;
}

// A real receive loop over the fake queue: submitted jobs are launched by the running dispatcher,
// and stop() returns promptly.
TEST_F(DispatchTest, TheRunningDispatcherLaunchesWhatIsQueuedAndStops) {
  std::vector<std::string> ids;
  for (const char* url : {"https://example.com/1", "https://example.com/2"}) {
    auto created = store.create_or_get_active(new_job(url));
    ASSERT_TRUE(queue.send(created->job.id, created->job.id).ok());
    ids.push_back(created->job.id);
  }
  dispatcher.start(2);
  for (int i = 0; i < 200 && launcher.launch_count() < 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const auto t0 = std::chrono::steady_clock::now();
  dispatcher.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
  EXPECT_EQ(launcher.launched.size(), 2u);
  EXPECT_EQ(queue.queued(), 0u);
}

class ReaperTest : public DispatchTest {
 protected:
  Reaper reaper{config, store, objects, launcher, stats};

  // A job a recorder is working on, its last heartbeat `ago`.
  Job recording(std::chrono::seconds ago) {
    auto created = store.create_or_get_active(new_job("https://example.com/live"));
    auto written = update_job(store, created->job.id, [&](Job& j) -> Result<Ok> {
      if (auto t = transition(j, JobStatus::starting, now()); !t) return t;
      j.recorder_ref = "ref-" + j.id;
      j.heartbeat_at = now() - ago;
      return transition(j, JobStatus::recording, now());
    });
    EXPECT_TRUE(written.ok());
    return *written;
  }
};

TEST_F(ReaperTest, ALiveRecorderIsLeftAlone) {
  const Job job = recording(std::chrono::seconds(1));
  launcher.exited[job.recorder_ref] = false;
  reaper.sweep();
  EXPECT_EQ(stored(job.id).status, JobStatus::recording);
  EXPECT_TRUE(launcher.stop_requested.empty());
}

TEST_F(ReaperTest, AnExitedRecorderIsRecoveredAndSaysWhy) {
  const Job job = recording(std::chrono::seconds(1));
  launcher.exited[job.recorder_ref] = true;
  reaper.sweep();
  const Job after = stored(job.id);
  EXPECT_EQ(after.status, JobStatus::failed);
  EXPECT_EQ(after.error->code, "recorder_lost");
  EXPECT_NE(after.error->message.find("exited without finishing"), std::string::npos) << after.error->message;
  EXPECT_NE(after.error->message.find("nothing had been recorded yet"), std::string::npos);
  EXPECT_EQ(stats.recovered.load(), 1u);
}

TEST_F(ReaperTest, SilentRecordersAreRecoveredEvenWhenTheLauncherCannotTell) {
  const Job job = recording(std::chrono::seconds(300));  // has_exited: unknown (nullopt)
  reaper.sweep();
  EXPECT_EQ(stored(job.id).status, JobStatus::failed);
  EXPECT_NE(stored(job.id).error->message.find("stopped sending heartbeats"), std::string::npos);
  EXPECT_EQ(launcher.stop_requested, std::vector<std::string>{job.id}) << "a stuck recorder must not go on writing";
}

TEST_F(ReaperTest, AJobBeingProbedBelongsToTheDispatcher) {
  auto created = store.create_or_get_active(new_job("https://example.com/probing"));
  ASSERT_TRUE(update_job(store, created->job.id, [](Job& j) {
                j.heartbeat_at = now() - std::chrono::seconds(300);
                return transition(j, JobStatus::starting, now());
              }).ok());
  reaper.sweep();
  EXPECT_EQ(stored(created->job.id).status, JobStatus::starting);
}

TEST_F(ReaperTest, ARecoveryTheStoreRefusesIsTriedAgain) {
  const Job job = recording(std::chrono::seconds(300));
  store.fail_writes = true;
  reaper.sweep();
  store.fail_writes = false;
  EXPECT_EQ(stored(job.id).status, JobStatus::recording);
  reaper.sweep();
  EXPECT_EQ(stored(job.id).status, JobStatus::failed);
}

namespace {
// A job submitted to wait for its stream, and its first message.
std::pair<Job, QueueMessage> queued_waiting(fakes::MemoryJobStore& store, fakes::MemoryJobQueue& queue, double wait_s) {
  Job j = new_job("https://example.com/soon");
  j.wait_until = j.created_at + std::chrono::milliseconds(static_cast<long long>(wait_s * 1000));
  auto created = store.create_or_get_active(j);
  EXPECT_TRUE(queue.send(created->job.id, created->job.id).ok());
  return {created->job, **queue.receive(std::chrono::seconds(30), std::chrono::milliseconds(0))};
}
}  // namespace

TEST_F(DispatchTest, AStreamNotLiveYetWaitsWhenTheJobMayWait) {
  probe_answer = make_error("stream_not_found", "not a recordable stream: HTTP Error 404: Not Found");
  auto [job, message] = queued_waiting(store, queue, 3600);
  EXPECT_EQ(dispatcher.handle(message), Dispatcher::Handled::done);
  const Job waiting = stored(job.id);
  EXPECT_EQ(waiting.status, JobStatus::waiting);
  EXPECT_EQ(waiting.live_checks, 1);
  ASSERT_TRUE(waiting.next_check_at);
  EXPECT_LE(seconds_between(now(), *waiting.next_check_at), 3.0) << "the first checks come quickly";
  EXPECT_NE(waiting.waiting_reason.find("404"), std::string::npos);
  EXPECT_FALSE(waiting.error) << "waiting is not an error";
  EXPECT_TRUE(launcher.launched.empty());
  EXPECT_EQ(queue.acked, std::vector<std::string>{job.id});

  // Not due yet: a message for it is dropped; once due, the next check claims it, and a live
  // stream is launched.
  ASSERT_TRUE(queue.send(job.id, job.id + "-check-1").ok());
  auto early = **queue.receive(std::chrono::seconds(30), std::chrono::milliseconds(0));
  EXPECT_EQ(dispatcher.handle(early), Dispatcher::Handled::done);
  EXPECT_EQ(stored(job.id).status, JobStatus::waiting);
  ASSERT_TRUE(update_job(store, job.id, [](Job& j) -> Result<Ok> {
                j.next_check_at = now();
                return Ok{};
              }).ok());
  probe_answer = [] {
    record::StreamInfo live;
    live.title = "Now live";
    live.protocol = "m3u8_native";
    live.live_status = "is_live";
    return live;
  }();
  ASSERT_TRUE(queue.send(job.id, job.id + "-check-1b").ok());
  auto due = **queue.receive(std::chrono::seconds(30), std::chrono::milliseconds(0));
  EXPECT_EQ(dispatcher.handle(due), Dispatcher::Handled::done);
  EXPECT_EQ(stored(job.id).status, JobStatus::starting);
  EXPECT_EQ(launcher.launched, std::vector<std::string>{job.id});
  EXPECT_TRUE(stored(job.id).milestones.contains("waiting"));
}

TEST_F(DispatchTest, AWaitPastItsDeadlineFailsAsNotLive) {
  probe_answer = make_error("not_a_stream", "not a recordable stream: no audio or video found at this address");
  auto [job, message] = queued_waiting(store, queue, -1);
  EXPECT_EQ(dispatcher.handle(message), Dispatcher::Handled::done);
  const Job failed = stored(job.id);
  EXPECT_EQ(failed.status, JobStatus::failed);
  ASSERT_TRUE(failed.error);
  EXPECT_EQ(failed.error->code, "not_live");
  EXPECT_NE(failed.error->message.find("no audio or video"), std::string::npos) << failed.error->message;
}

TEST_F(DispatchTest, ARefusalIsNotWaitedThrough) {
  probe_answer = make_error("forbidden_address", "not recorded: the stream led to 10.0.0.1");
  auto [job, message] = queued_waiting(store, queue, 3600);
  EXPECT_EQ(dispatcher.handle(message), Dispatcher::Handled::done);
  EXPECT_EQ(stored(job.id).status, JobStatus::failed);
  EXPECT_EQ(stored(job.id).error->code, "forbidden_address");
}

TEST_F(DispatchTest, AnAnnouncedStreamWaitsForItsStartWithoutBeingAsked) {
  record::StreamInfo upcoming;
  upcoming.live_status = "is_upcoming";
  upcoming.upcoming = true;
  upcoming.starts_at = now() + std::chrono::hours(2);
  probe_answer = upcoming;
  auto [job, message] = queued();
  EXPECT_EQ(dispatcher.handle(message), Dispatcher::Handled::done);
  const Job waiting = stored(job.id);
  EXPECT_EQ(waiting.status, JobStatus::waiting);
  EXPECT_EQ(waiting.scheduled_start, upcoming.starts_at);
  ASSERT_TRUE(waiting.next_check_at && waiting.wait_until);
  EXPECT_NEAR(seconds_between(*upcoming.starts_at, *waiting.next_check_at), -30, 1) << "checked just before its start";
  EXPECT_NEAR(seconds_between(*upcoming.starts_at, *waiting.wait_until), config.upcoming_wait_s, 1);

  // Without a start time, an announced stream is refused as before.
  upcoming.starts_at.reset();
  probe_answer = upcoming;
  auto [other, other_message] = queued("https://example.com/other");
  EXPECT_EQ(dispatcher.handle(other_message), Dispatcher::Handled::done);
  EXPECT_EQ(stored(other.id).status, JobStatus::failed);
  EXPECT_EQ(stored(other.id).error->code, "stream_not_started");
}
