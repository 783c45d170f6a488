// How a recorder's end becomes its job's status, and how a stored outcome finishes a job (the
// recorder's final write, or the reaper's from the outcome file), on an in-memory store.
#include <gtest/gtest.h>

#include "contract/jobs.hpp"
#include "fakes/memory_ports.hpp"
#include "record/finalize.hpp"
#include "record/recorder.hpp"
#include "temp_dir.hpp"

using namespace chronicle;
using namespace chronicle::record;
using chronicle::contract::move_to;
using chronicle::contract::new_job;

TEST(RecordingEnd, MediaIsStored) {
  EXPECT_FALSE(conclude_without_storing({end_reason::stream_ended, std::nullopt, true, false, "", std::nullopt}));
  EXPECT_FALSE(conclude_without_storing({end_reason::stopped, std::nullopt, true, true, "", std::nullopt}));
  EXPECT_FALSE(conclude_without_storing({end_reason::disk_full, std::nullopt, true, false, "", std::nullopt}))
      << "what fit on the disk is kept";
}

TEST(RecordingEnd, MediaFromARefusedAddressIsNeverKept) {
  auto c = conclude_without_storing(
      {end_reason::forbidden, Error{"forbidden_address", "10.0.0.1 is private"}, true, false, "", std::nullopt});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->status, JobStatus::failed);
  EXPECT_EQ(c->error.code, "forbidden_address");
  EXPECT_EQ(c->error.message, "recording refused: 10.0.0.1 is private");
  EXPECT_EQ(c->end_reason, end_reason::forbidden);
}

TEST(RecordingEnd, AStopBeforeAnyMediaCancels) {
  auto c = conclude_without_storing({end_reason::stopped, std::nullopt, false, true, "", std::nullopt});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->status, JobStatus::canceled);
  EXPECT_EQ(c->error.code, "stopped");
}

TEST(RecordingEnd, NothingRecordedFailsWithTheToolsReason) {
  auto c = conclude_without_storing(
      {end_reason::stream_lost, std::nullopt, false, false, "HTTP Error 403: Forbidden", std::nullopt});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->status, JobStatus::failed);
  EXPECT_EQ(c->error.code, "recording_failed");
  EXPECT_EQ(c->error.message, "nothing was recorded: HTTP Error 403: Forbidden");
  EXPECT_EQ(c->end_reason, end_reason::stream_lost);
  // A stop after the job was recording, with nothing on disk, is a failure too: it said recording.
  EXPECT_EQ(conclude_without_storing({end_reason::stopped, std::nullopt, false, false, "x", std::nullopt})->status,
            JobStatus::failed);
}

namespace {

class OutcomeTest : public ::testing::Test {
 protected:
  fakes::MemoryJobStore store;
  Job job = [this] {
    auto created = store.create_or_get_active(new_job("https://example.com/live"));
    EXPECT_TRUE(move_to(store, created->job.id, JobStatus::starting).ok());
    EXPECT_TRUE(move_to(store, created->job.id, JobStatus::recording).ok());
    return created->job;
  }();
  Outcome outcome{
      StoredResult{
          StoredRecording{"show.mkv", 1234, "ab12", ""},
          TorrentInfo{"show.mkv.torrent", "00ff", "", "magnet:?xt=urn:btih:00ff", "", {}, {}, 16384},
          61.5,
          MediaInfo{1280, 720, "h264", "aac", 25, 2'000'000},
          Thumbnail{"show.jpg", "http://127.0.0.1:8080/api/v1/jobs/x/thumbnail", false},
          {"a part was cut"},
          ChatLog{"twitch", "stored", 3, 300, "show.chat.ndjson", "http://127.0.0.1:8080/api/v1/jobs/x/chat", {}}},
      end_reason::stream_ended, std::nullopt};
};

}  // namespace

TEST_F(OutcomeTest, AStoredRecordingCompletesTheJob) {
  auto done = finish_from_outcome(store, job.id, outcome);
  ASSERT_TRUE(done.ok()) << done.error().message;
  EXPECT_EQ(done->status, JobStatus::completed);
  EXPECT_EQ(done->recording->key, "show.mkv");
  EXPECT_EQ(done->recording->sha256, "ab12");
  ASSERT_TRUE(done->torrent);
  EXPECT_EQ(done->torrent->key, "show.mkv.torrent");
  EXPECT_DOUBLE_EQ(done->duration_s, 61.5) << "the duration measured on the stored file";
  EXPECT_EQ(done->end_reason, end_reason::stream_ended);
  EXPECT_FALSE(done->error);
  EXPECT_TRUE(done->milestones.count("uploading")) << "through uploading, as the lifecycle says";
  EXPECT_EQ(done->media->height, 720);
  EXPECT_EQ(done->thumbnail->key, "show.jpg");
  EXPECT_FALSE(done->thumbnail->live);
}

TEST_F(OutcomeTest, ThePosterReplacesTheLivePreviewAndNoPosterClearsIt) {
  ASSERT_TRUE(update_job(store, job.id, [](Job& j) -> Result<Ok> {
                j.thumbnail = Thumbnail{"previews/x.jpg", "u", true};
                return Ok{};
              }).ok());
  auto without = outcome;
  without.stored.thumbnail.reset();
  auto done = finish_from_outcome(store, job.id, without);
  ASSERT_TRUE(done.ok());
  EXPECT_FALSE(done->thumbnail) << "a finished job does not point at the recorder's preview";
}

TEST_F(OutcomeTest, ARecoveredRecordingFailsTheJobButKeepsWhatWasStored) {
  outcome.end_reason = end_reason::recorder_lost;
  outcome.error = Error{"recorder_lost", "the recorder process exited; the 61.5 s recorded are kept"};
  auto done = finish_from_outcome(store, job.id, outcome);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->status, JobStatus::failed);
  EXPECT_EQ(done->error->code, "recorder_lost");
  EXPECT_EQ(done->recording->key, "show.mkv");
}

TEST_F(OutcomeTest, AFinishedJobIsNotFinishedTwice) {
  ASSERT_TRUE(finish_from_outcome(store, job.id, outcome).ok());
  outcome.stored.recording.key = "other.mkv";
  auto again = finish_from_outcome(store, job.id, outcome);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, "conflict");
  EXPECT_EQ(store.get(job.id)->value().recording->key, "show.mkv");
}

TEST_F(OutcomeTest, TheOutcomeFileRoundTrips) {
  test_support::TempDir work;
  EXPECT_FALSE(load_outcome(work.path)) << "no file, no outcome";
  save_outcome(work.path, outcome);
  auto loaded = load_outcome(work.path);
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->stored.recording.key, "show.mkv");
  EXPECT_EQ(loaded->stored.recording.size, 1234u);
  EXPECT_EQ(loaded->stored.torrent, outcome.stored.torrent) << "the torrent is read back whole";
  EXPECT_EQ(loaded->stored.duration_s, 61.5);
  EXPECT_EQ(loaded->stored.warnings, std::vector<std::string>{"a part was cut"});
  EXPECT_EQ(loaded->stored.media, outcome.stored.media) << "what was recorded, read back whole";
  EXPECT_EQ(loaded->stored.thumbnail, outcome.stored.thumbnail);
  EXPECT_EQ(loaded->end_reason, end_reason::stream_ended);
  EXPECT_FALSE(loaded->error);
}

TEST(RecordingEnd, ARecorderThatHadToStopKeepsItsMediaAndSaysWhy) {
  const Error overrun{"recording_overrun", "recorded 90.0 s of media in 20.0 s"};
  EXPECT_FALSE(conclude_without_storing({end_reason::overrun, std::nullopt, true, false, "", overrun}))
      << "what was recorded is stored; the job then ends failed with the error";
  auto c = conclude_without_storing(
      {end_reason::failed, std::nullopt, false, false, "", Error{"drm_protected", "the stream is DRM-protected"}});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->status, JobStatus::failed);
  EXPECT_EQ(c->error.code, "drm_protected");
}
