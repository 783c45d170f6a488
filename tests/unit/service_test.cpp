// JobService's use cases on in-memory ports: what the API answers, and what it leaves in the store
// and the queue, in milliseconds.
#include <gtest/gtest.h>

#include "contract/jobs.hpp"
#include "core/service.hpp"
#include "fakes/memory_ports.hpp"

using namespace chronicle;
using chronicle::contract::move_to;

namespace {

SubmitRequest request(std::string url, std::string name = "", std::string prefix = "",
                      std::optional<double> reconnect_window_s = std::nullopt) {
  SubmitRequest r;
  r.url = std::move(url);
  r.name = std::move(name);
  r.prefix = std::move(prefix);
  r.reconnect_window_s = reconnect_window_s;
  return r;
}

class ServiceTest : public ::testing::Test {
 protected:
  fakes::MemoryJobStore store;
  fakes::MemoryJobQueue queue;
  fakes::MemoryObjectStore objects;
  fakes::FakeLauncher launcher;
  JobService service{store, queue, objects, &launcher, UrlPolicy{}, fakes::public_dns()};

  Job submitted(const std::string& url = "https://example.com/live") {
    auto r = service.submit(request(url));
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r->job;
  }
};

}  // namespace

TEST_F(ServiceTest, ASubmitIsStoredPendingAndQueuedOnce) {
  auto first = service.submit(request("https://example.com/live", "show", "a/b", 30.0));
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_TRUE(first->created);
  EXPECT_EQ(first->job.status, JobStatus::pending);
  EXPECT_EQ(first->job.name, "show");
  EXPECT_EQ(first->job.reconnect_window_s, 30.0);
  auto again = service.submit(request("https://example.com/live"));
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->created) << "the same URL while active is the same job";
  EXPECT_EQ(again->job.id, first->job.id);
  EXPECT_EQ(queue.sent, std::vector<std::string>{first->job.id}) << "queued once";
}

TEST_F(ServiceTest, BadInputIsRefusedWithTheReasonAndNothingStored) {
  struct Case {
    SubmitRequest request;
    const char* code;
  };
  const Case cases[] = {
      {request("https://example.com/live", "../escape"), "invalid_name"},
      {request("https://example.com/live", "", "a/../b"), "invalid_prefix"},
      {request("https://example.com/live", "", "", -1.0), "invalid_body"},
      {request("-o/etc/passwd"), "invalid_url"},
      {request("http://169.254.169.254/latest"), "forbidden_address"},
  };
  for (const auto& c : cases) {
    auto r = service.submit(c.request);
    ASSERT_FALSE(r.ok()) << c.request.url;
    EXPECT_EQ(r.error().code, c.code) << c.request.url << ": " << r.error().message;
  }
  EXPECT_TRUE(store.list({})->jobs.empty());
  EXPECT_TRUE(queue.sent.empty());
}

TEST_F(ServiceTest, ANameThatResolvesToAPrivateAddressIsRefused) {
  JobService inside{store, queue, objects, &launcher, UrlPolicy{}, fakes::public_dns("10.0.0.7")};
  auto r = inside.submit(request("https://intranet.example/live"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "forbidden_address");
}

TEST_F(ServiceTest, AJobThatCannotBeQueuedEndsFailedSayingWhy) {
  queue.fail_sends = true;
  auto r = service.submit(request("https://example.com/live"));
  ASSERT_FALSE(r.ok());
  auto jobs = store.list({})->jobs;
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].status, JobStatus::failed);
  EXPECT_EQ(jobs[0].error->code, "queue_error");
  queue.fail_sends = false;
  EXPECT_TRUE(service.submit(request("https://example.com/live"))->created) << "the URL is free again";
}

TEST_F(ServiceTest, SubmitsAreRefusedWhileTheDiskIsBelowItsReserve) {
  service.guard_disk([] { return DiskSpace{100 << 20, 10ull << 30}; }, [](std::uint64_t) { return 1ull << 30; });
  auto r = service.submit(request("https://example.com/live"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "insufficient_storage");
  EXPECT_NE(r.error().message.find("100.0 MiB free"), std::string::npos) << r.error().message;
}

TEST_F(ServiceTest, StoppingAPendingJobCancelsIt) {
  const Job job = submitted();
  auto stopped = service.stop(job.id);
  ASSERT_TRUE(stopped.ok());
  EXPECT_EQ(stopped->status, JobStatus::canceled);
  EXPECT_TRUE(launcher.stop_requested.empty()) << "no recorder to signal";
  auto again = service.stop(job.id);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, "conflict");
  EXPECT_EQ(service.stop("01NOSUCHJOB0000000000000000").error().code, "not_found");
}

TEST_F(ServiceTest, StoppingARecordingAsksItsRecorderAndKeepsTheStatus) {
  const Job job = submitted();
  ASSERT_TRUE(move_to(store, job.id, JobStatus::starting).ok());
  ASSERT_TRUE(update_job(store, job.id, [](Job& j) {
                j.recorder_ref = "ref-1";
                return transition(j, JobStatus::recording, now());
              }).ok());
  auto stopped = service.stop(job.id);
  ASSERT_TRUE(stopped.ok());
  EXPECT_EQ(stopped->status, JobStatus::recording) << "the recorder ends it, keeping what it has";
  EXPECT_TRUE(stopped->stop_requested);
  EXPECT_EQ(launcher.stop_requested, std::vector<std::string>{job.id});
}

TEST_F(ServiceTest, DeletingRemovesTheRecordingAndTorrentOnlyWhenFinished) {
  const Job job = submitted();
  EXPECT_EQ(service.remove(job.id).error().code, "conflict") << "an active job is stopped first";
  objects.objects = {{"rec.mkv", "media"}, {"rec.mkv.torrent", "torrent"}, {"other.mkv", "keep"}};
  ASSERT_TRUE(update_job(store, job.id, [](Job& j) {
                j.recording = StoredRecording{"rec.mkv", 5, "", ""};
                j.torrent = TorrentInfo();
                j.torrent->key = "rec.mkv.torrent";
                return transition(j, JobStatus::canceled, now());
              }).ok());
  auto removed = service.remove(job.id);
  ASSERT_TRUE(removed.ok()) << removed.error().message;
  EXPECT_EQ(objects.objects.size(), 1u);
  EXPECT_TRUE(objects.objects.count("other.mkv"));
  EXPECT_EQ(service.get(job.id).error().code, "not_found");
}

TEST_F(ServiceTest, TotalsCountEveryStatusAndTheBytesBeingRecorded) {
  const Job a = submitted("https://example.com/a");
  submitted("https://example.com/b");
  ASSERT_TRUE(move_to(store, a.id, JobStatus::starting).ok());
  ASSERT_TRUE(update_job(store, a.id, [](Job& j) {
                j.bytes = 4096;
                return transition(j, JobStatus::recording, now());
              }).ok());
  auto totals = service.totals();
  ASSERT_TRUE(totals.ok());
  EXPECT_EQ(totals->by_status[JobStatus::pending], 1);
  EXPECT_EQ(totals->by_status[JobStatus::recording], 1);
  EXPECT_EQ(totals->recording_bytes, 4096u);
}
