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

namespace {

// A finished job holding a recording of `size` bytes, finished `age` ago.
Job finished_with_recording(fakes::MemoryJobStore& store, fakes::MemoryObjectStore& objects, const std::string& name,
                            std::uint64_t size, std::chrono::hours age) {
  auto created = store.create_or_get_active(contract::new_job("https://example.com/" + name));
  const std::string id = created->job.id;
  objects.objects[name + ".mkv"] = "media";
  objects.objects[name + ".torrent"] = "torrent";
  objects.objects[name + ".jpg"] = "poster";
  auto done = update_job(store, id, [&](Job& j) {
    j.recording = StoredRecording{name + ".mkv", size, "", ""};
    j.torrent = TorrentInfo();
    j.torrent->key = name + ".torrent";
    j.thumbnail = Thumbnail{name + ".jpg", "", false};
    auto t = transition(j, JobStatus::canceled, now());
    j.finished_at = now() - age;
    return t;
  });
  EXPECT_TRUE(done.ok());
  return *done;
}

}  // namespace

TEST(RetentionPlan, AgeThenBudgetOldestFirstPinnedKept) {
  const TimePoint at = now();
  auto job = [&](const char* id, std::uint64_t size, int days_old, bool pinned = false) {
    Job j;
    j.id = id;
    j.status = JobStatus::completed;
    j.recording = StoredRecording{std::string(id) + ".mkv", size, "", ""};
    j.finished_at = at - std::chrono::hours(24 * days_old);
    j.pinned = pinned;
    return j;
  };
  const std::vector<Job> jobs = {job("new", 100, 1), job("old", 100, 40), job("older-pinned", 500, 50, true),
                                 job("mid", 100, 10), job("mid2", 100, 12)};
  auto by_age = plan_retention(jobs, {30, 0}, at);
  ASSERT_EQ(by_age.deletions.size(), 1u);
  EXPECT_EQ(by_age.deletions[0].job_id, "old");
  EXPECT_NE(by_age.deletions[0].reason.find("older than 30 days"), std::string::npos);
  EXPECT_EQ(by_age.stored_bytes, 900u);
  EXPECT_EQ(by_age.pinned_bytes, 500u);

  // 900 stored, 700 allowed: the two oldest unpinned go (pinned bytes still count).
  auto by_budget = plan_retention(jobs, {0, 700}, at);
  ASSERT_EQ(by_budget.deletions.size(), 2u);
  EXPECT_EQ(by_budget.deletions[0].job_id, "old");
  EXPECT_EQ(by_budget.deletions[1].job_id, "mid2");
  EXPECT_NE(by_budget.deletions[0].reason.find("budget"), std::string::npos);

  // A budget below what is pinned deletes every unpinned recording, never a pinned one.
  auto tight = plan_retention(jobs, {0, 10}, at);
  EXPECT_EQ(tight.deletions.size(), 4u);
  EXPECT_TRUE(plan_retention(jobs, {0, 0}, at).deletions.empty()) << "no policy, nothing deleted";
}

TEST(RetentionPlan, NeverTakesARecordingNobodyHadTimeToSeeNorAChannelsNewest) {
  const TimePoint at = now();
  auto job = [&](const char* id, std::uint64_t size, std::chrono::hours old, const char* channel = "") {
    Job j;
    j.id = id;
    j.status = JobStatus::completed;
    j.recording = StoredRecording{std::string(id) + ".mkv", size, "", ""};
    j.finished_at = at - old;
    j.channel_id = channel;
    return j;
  };
  using std::chrono::hours;
  // A budget smaller than one recording: before, the recording just made was deleted at once.
  const std::vector<Job> just_made = {job("just-made", 694, hours(0))};
  auto spared = plan_retention(just_made, {0, 500, 86400}, at);
  EXPECT_TRUE(spared.deletions.empty());
  EXPECT_NE(spared.over_budget.find("over the 500 B budget"), std::string::npos) << spared.over_budget;
  EXPECT_NE(spared.over_budget.find("younger than 24 h (CHRONICLE_RETENTION_MIN_AGE)"), std::string::npos);

  // Old enough, over budget: the oldest go, except the newest of each channel, whatever its age.
  const std::vector<Job> jobs = {job("a-old", 100, hours(100), "A"), job("a-newest", 100, hours(50), "A"),
                                 job("b-only", 100, hours(90), "B"), job("loose", 100, hours(80)),
                                 job("young", 100, hours(2))};
  auto plan = plan_retention(jobs, {0, 250, 86400}, at);
  std::vector<std::string> deleted;
  for (const auto& d : plan.deletions) deleted.push_back(d.job_id);
  EXPECT_EQ(deleted, (std::vector<std::string>{"a-old", "loose"}));
  EXPECT_NE(plan.over_budget.find("3 recording(s)"), std::string::npos) << plan.over_budget;
  // By age too: a channel's newest and the young stay.
  auto by_age = plan_retention(jobs, {1, 0, 86400}, at);
  deleted.clear();
  for (const auto& d : by_age.deletions) deleted.push_back(d.job_id);
  EXPECT_EQ(deleted, (std::vector<std::string>{"a-old", "loose"}));
  EXPECT_TRUE(by_age.over_budget.empty());
}

TEST_F(ServiceTest, RetentionDeletesTheFilesKeepsTheJobAndSparesPinnedOnes) {
  const Job old = finished_with_recording(store, objects, "old", 1000, std::chrono::hours(24 * 40));
  const Job pinned = finished_with_recording(store, objects, "pinned", 1000, std::chrono::hours(24 * 50));
  const Job fresh = finished_with_recording(store, objects, "fresh", 1000, std::chrono::hours(1));
  ASSERT_TRUE(service.set_pinned(pinned.id, true).ok());
  auto report = service.apply_retention({30, 0}, now());
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report->deleted, 1u);
  EXPECT_EQ(report->freed_bytes, 1000u);
  EXPECT_EQ(report->recordings, 2u);
  EXPECT_EQ(report->recordings_bytes, 2000u);
  EXPECT_EQ(report->pinned_bytes, 1000u);
  EXPECT_FALSE(objects.objects.count("old.mkv") || objects.objects.count("old.torrent") ||
               objects.objects.count("old.jpg"))
      << "the recording, its torrent and its thumbnail";
  EXPECT_TRUE(objects.objects.count("pinned.mkv") && objects.objects.count("fresh.mkv"));
  auto kept = service.get(old.id);
  ASSERT_TRUE(kept.ok()) << "the job stays, saying what happened";
  EXPECT_FALSE(kept->recording || kept->torrent || kept->thumbnail);
  EXPECT_TRUE(kept->recording_deleted_at);
  ASSERT_FALSE(kept->warnings.empty());
  EXPECT_NE(kept->warnings.back().find("deleted by retention"), std::string::npos);
  EXPECT_EQ(service.storage_report()->deleted, 1u);
  EXPECT_EQ(service.set_pinned(old.id, true).error().code, "conflict") << "nothing left to pin";
  EXPECT_EQ(service.set_pinned("01ARZ3NDEKTSV4RRFFQ69G5FAV", true).error().code, "not_found");
  // Unpinned, the old one goes at the next pass.
  ASSERT_TRUE(service.set_pinned(pinned.id, false).ok());
  EXPECT_EQ(service.apply_retention({30, 0}, now())->deleted, 1u);
  EXPECT_TRUE(service.get(fresh.id)->recording);
}

namespace {

// Takes clips' requests as the worker would, and says whether it reads recordings in progress.
class RecordingCutter final : public ClipCutter {
 public:
  bool while_recording = true;
  bool refuse = false;
  std::vector<std::pair<std::string, std::string>> asked;
  bool cuts_while_recording() const override { return while_recording; }
  Result<Ok> request(const std::string& job_id, const std::string& clip_id) override {
    if (refuse) return make_error("unavailable", "the server is stopping");
    asked.emplace_back(job_id, clip_id);
    return Ok{};
  }
};

Job stored_job(fakes::MemoryJobStore& store, JobService& service, fakes::MemoryObjectStore& objects, double seconds) {
  auto made = service.submit(request("https://example.com/live", "show"));
  EXPECT_TRUE(made.ok());
  const std::string id = made->job.id;
  EXPECT_TRUE(move_to(store, id, JobStatus::starting).ok());
  EXPECT_TRUE(move_to(store, id, JobStatus::recording).ok());
  EXPECT_TRUE(move_to(store, id, JobStatus::uploading).ok());
  (void)objects.create("show.mkv", 0).value()->commit();
  auto done = update_job(store, id, [&](Job& j) {
    j.duration_s = seconds;
    j.recording = StoredRecording{"show.mkv", 1000, "ab", "u"};
    return transition(j, JobStatus::completed, now());
  });
  EXPECT_TRUE(done.ok());
  return *done;
}

}  // namespace

TEST_F(ServiceTest, ClipRangesAreCheckedAgainstTheRecordingWithTheReason) {
  RecordingCutter cutter;
  service.set_clip_cutter(&cutter);
  const Job job = stored_job(store, service, objects, 60);
  const auto refused = [&](double start, double end, const std::string& words) {
    auto r = service.create_clip(job.id, {start, end, ""});
    ASSERT_FALSE(r.ok()) << start << ".." << end;
    EXPECT_EQ(report_for(r.error()).http_status, 400u);
    EXPECT_NE(r.error().message.find(words), std::string::npos) << r.error().message;
  };
  refused(10, 5, "must be after start_s");
  refused(-1, 5, "must not be negative");
  refused(5, 61, "past the end of the recording (60.0 s)");
  refused(60, 70, "past the end");
  refused(5, 5.2, "at least 0.5 s");
  refused(std::nan(""), 5, "numbers");
  EXPECT_FALSE(service.create_clip(job.id, {1, 2, "../up"}).ok());
  EXPECT_TRUE(cutter.asked.empty());
  EXPECT_TRUE(store.get(job.id).value()->clips.empty()) << "nothing kept of a refused clip";

  auto clip = service.create_clip(job.id, {5, 60.3, ""});
  ASSERT_TRUE(clip.ok()) << clip.error().message;
  EXPECT_EQ(clip->status, clip_status::cutting);
  EXPECT_EQ(clip->end_s, 60) << "a little past the end is the end";
  EXPECT_EQ(clip->name, "show 0-05 to 1-00");
  EXPECT_EQ(cutter.asked, (std::vector<std::pair<std::string, std::string>>{{job.id, clip->id}}));
  EXPECT_EQ(service.get_clip(job.id, clip->id)->start_s, 5);
  EXPECT_EQ(service.get_clip(job.id, "nope").error().code, "not_found");
}

TEST_F(ServiceTest, ClipsOfWhatCannotBeCutAreConflictsAndANoCutterIsNotImplemented) {
  EXPECT_EQ(report_for(service.create_clip("01NOSUCHJOB0000000000000000", {0, 5, ""}).error()).http_status, 501u);
  RecordingCutter cutter;
  service.set_clip_cutter(&cutter);
  const Job pending = submitted("https://example.com/other");
  EXPECT_EQ(service.create_clip(pending.id, {0, 5, ""}).error().code, "conflict");
  const Job job = submitted();
  ASSERT_TRUE(move_to(store, job.id, JobStatus::starting).ok());
  ASSERT_TRUE(update_job(store, job.id, [](Job& j) {
                j.duration_s = 30;
                return transition(j, JobStatus::recording, now());
              }).ok());
  EXPECT_TRUE(service.create_clip(job.id, {0, 5, ""}).ok()) << "a recording in progress, within what is recorded";
  EXPECT_EQ(service.create_clip(job.id, {0, 45, ""}).error().code, "invalid_body");
  cutter.while_recording = false;
  auto refused = service.create_clip(job.id, {0, 5, ""});
  EXPECT_EQ(refused.error().code, "conflict");
  EXPECT_NE(refused.error().message.find("once the recording is stored"), std::string::npos);
  // A cutter that cannot take it: the clip says so instead of staying `cutting`.
  cutter.while_recording = true;
  cutter.refuse = true;
  EXPECT_FALSE(service.create_clip(job.id, {1, 5, ""}).ok());
  const auto clips = store.get(job.id).value()->clips;
  ASSERT_EQ(clips.size(), 2u);
  EXPECT_EQ(clips.back().status, clip_status::failed);
}

TEST_F(ServiceTest, ClipsGoWithTheirRecordingAndCountInRetention) {
  RecordingCutter cutter;
  service.set_clip_cutter(&cutter);
  const Job job = stored_job(store, service, objects, 60);
  auto clip = service.create_clip(job.id, {1, 10, "kept"});
  ASSERT_TRUE(clip.ok());
  (void)objects.create("show.clip.mkv", 0).value()->commit();
  ASSERT_TRUE(update_job(store, job.id, [&](Job& j) {
                j.clips[0].status = clip_status::ready;
                j.clips[0].key = "show.clip.mkv";
                j.clips[0].size = 500;
                return Result<Ok>(Ok{});
              }).ok());
  EXPECT_EQ(stored_bytes(*store.get(job.id).value()), 1500u);
  // Retention takes the recording and its clips together.
  auto report = service.apply_retention({0, 100, 0}, now() + std::chrono::hours(1));
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->deleted, 1u);
  EXPECT_EQ(report->freed_bytes, 1500u);
  EXPECT_FALSE(objects.stat("show.clip.mkv").ok());
  EXPECT_TRUE(store.get(job.id).value()->clips.empty());

  const Job other = stored_job(store, service, objects, 60);
  auto second = service.create_clip(other.id, {1, 10, ""});
  ASSERT_TRUE(second.ok());
  (void)objects.create("other.clip.mkv", 0).value()->commit();
  ASSERT_TRUE(update_job(store, other.id, [&](Job& j) {
                j.clips[0].key = "other.clip.mkv";
                return Result<Ok>(Ok{});
              }).ok());
  ASSERT_TRUE(service.remove(other.id).ok());
  EXPECT_FALSE(objects.stat("other.clip.mkv").ok()) << "deleting the job deletes its clips";
}
