#include <gtest/gtest.h>

#include "core/ids.hpp"
#include "core/job.hpp"
#include "core/names.hpp"

using namespace chronicle;

TEST(StateMachine, FollowsTheLifecycle) {
  using S = JobStatus;
  EXPECT_TRUE(can_transition(S::pending, S::starting));
  EXPECT_TRUE(can_transition(S::pending, S::canceled));
  EXPECT_TRUE(can_transition(S::starting, S::recording));
  EXPECT_TRUE(can_transition(S::starting, S::failed));
  EXPECT_TRUE(can_transition(S::recording, S::uploading));
  EXPECT_TRUE(can_transition(S::recording, S::failed));
  EXPECT_TRUE(can_transition(S::uploading, S::completed));
  EXPECT_TRUE(can_transition(S::uploading, S::failed));
  // No way back, nothing out of a final status, no skipping the upload.
  EXPECT_FALSE(can_transition(S::recording, S::pending));
  EXPECT_FALSE(can_transition(S::recording, S::completed));
  EXPECT_FALSE(can_transition(S::recording, S::canceled));
  EXPECT_FALSE(can_transition(S::pending, S::recording));
  for (auto final_status : {S::completed, S::failed, S::canceled})
    for (int to = 0; to <= static_cast<int>(S::canceled); ++to)
      EXPECT_FALSE(can_transition(final_status, static_cast<S>(to)));
}

TEST(StateMachine, TransitionStampsMilestones) {
  Job job;
  job.id = "x";
  const auto t0 = now();
  ASSERT_TRUE(transition(job, JobStatus::starting, t0).ok());
  EXPECT_EQ(job.started_at, t0);
  EXPECT_FALSE(job.finished_at);
  ASSERT_TRUE(transition(job, JobStatus::recording, t0).ok());
  auto bad = transition(job, JobStatus::completed, t0);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "invalid_transition");
  EXPECT_NE(bad.error().message.find("recording"), std::string::npos);
  ASSERT_TRUE(transition(job, JobStatus::uploading, t0).ok());
  ASSERT_TRUE(transition(job, JobStatus::completed, t0).ok());
  EXPECT_EQ(job.finished_at, t0);
}

TEST(StateMachine, ActiveStatusesAreTheDedupWindow) {
  EXPECT_TRUE(is_active(JobStatus::pending));
  EXPECT_TRUE(is_active(JobStatus::recording));
  EXPECT_FALSE(is_active(JobStatus::uploading));
  EXPECT_FALSE(is_active(JobStatus::completed));
}

TEST(JobJson, HasEveryContractField) {
  Job job;
  job.id = new_job_id();
  job.url = "https://example.com/live";
  job.created_at = now();
  auto j = to_public_json(job);
  for (const char* key : {"id", "url", "name", "status", "title", "created_at", "started_at", "updated_at",
                          "heartbeat_at", "finished_at", "bytes", "duration_s", "error", "recording", "torrent"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_EQ(j["status"], "pending");
  EXPECT_TRUE(j["error"].is_null());
  EXPECT_TRUE(j["recording"].is_null());
  EXPECT_FALSE(j.contains("version")) << "internal fields stay internal";
  EXPECT_FALSE(j.contains("recorder_ref"));
}

TEST(JobJson, StorageRoundTrip) {
  Job job;
  job.id = new_job_id();
  job.url = "https://example.com/live";
  job.name = "n";
  job.prefix = "a/b";
  job.status = JobStatus::failed;
  job.title = "Title";
  job.created_at = now();
  job.heartbeat_at = now();
  job.bytes = 12345678901ULL;
  job.duration_s = 12.5;
  job.error = Error{"recorder_lost", "gone"};
  job.recording = StoredRecording{"a/b/n.mkv", 10, "abc", "http://x/y"};
  job.version = 7;
  job.stop_requested = true;
  job.recorder_ref = "pid:42";
  job.protocol = "m3u8_native";
  Job back = from_storage_json(nlohmann::json::parse(to_storage_json(job).dump()));
  EXPECT_EQ(to_storage_json(back), to_storage_json(job));
}

TEST(JobJson, TitlesClipsAndChatRoundTripAndTheLiveLinkIsForHlsOnly) {
  Job job;
  job.id = new_job_id();
  job.status = JobStatus::recording;
  job.protocol = "m3u8_native";
  job.titles = {{0, "a"}, {301.5, "b"}};
  Clip clip;
  clip.id = "c0000beef";
  clip.name = "goal";
  clip.start_s = 1;
  clip.end_s = 2;
  clip.cut_start_s = 0.96;
  clip.status = clip_status::ready;
  job.clips = {clip};
  job.chat = ChatLog{"twitch", "recording", 3, 300, "", "", std::nullopt};
  job.chat_enabled = false;
  const auto j = to_public_json(job);
  EXPECT_EQ(j["live_url"], "/api/v1/jobs/" + job.id + "/live.m3u8");
  EXPECT_EQ(j["clips"][0]["cut_start_s"], 0.96);
  EXPECT_TRUE(j["clips"][0]["cut_end_s"].is_null());
  Job back = from_storage_json(nlohmann::json::parse(to_storage_json(job).dump()));
  EXPECT_EQ(to_storage_json(back), to_storage_json(job));
  EXPECT_FALSE(back.chat_enabled);
  // What yt-dlp records has no journal: it plays once stored.
  job.protocol = "https";
  EXPECT_TRUE(to_public_json(job)["live_url"].is_null());
  job.status = JobStatus::pending;
  job.protocol = "m3u8_native";
  EXPECT_TRUE(to_public_json(job)["live_url"].is_null());
}

TEST(Time, Rfc3339RoundTripsWithMilliseconds) {
  auto t = from_rfc3339("2026-11-24T10:42:00.123Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(to_rfc3339(*t), "2026-11-24T10:42:00.123Z");
  EXPECT_FALSE(from_rfc3339("2026-11-24 10:42:00"));
  EXPECT_FALSE(from_rfc3339("2026-11-24T10:42:00+01:00"));
}

TEST(Ids, AreSortableAndUnique) {
  std::string prev = new_job_id();
  for (int i = 0; i < 10000; ++i) {
    auto id = new_job_id();
    EXPECT_TRUE(looks_like_job_id(id));
    EXPECT_LT(prev, id);
    prev = id;
  }
  EXPECT_FALSE(looks_like_job_id("../../etc/passwd"));
  EXPECT_FALSE(looks_like_job_id("01ARZ3NDEKTSV4RRFFQ69G5FAu"));  // lower case
}

TEST(Names, RefuseTraversalAndControlCharacters) {
  EXPECT_TRUE(validate_name("Evening news 2026-11-24").ok());
  EXPECT_TRUE(validate_name("").ok());
  EXPECT_TRUE(validate_name("ünïcode ✓").ok());
  for (const char* bad : {"../x", "a/b", "a\\b", "..", ".hidden", "-rf", "a\nb", "tab\there"})
    EXPECT_FALSE(validate_name(bad).ok()) << bad;
  EXPECT_FALSE(validate_name(std::string(kMaxNameLength + 1, 'a')).ok());
  EXPECT_TRUE(validate_prefix("shows/2026").ok());
  for (const char* bad : {"/abs", "a//b", "a/../b", "../a", "a/./b"}) EXPECT_FALSE(validate_prefix(bad).ok()) << bad;
}

TEST(Names, SanitizeAlwaysYieldsOneSafeComponent) {
  for (const char* in : {"../../etc/passwd", "..", ".", "", "a/b\\c", "\x01\x02", "-x", "ok name"}) {
    const auto out = sanitize_component(in);
    EXPECT_FALSE(out.empty()) << in;
    EXPECT_EQ(out.find('/'), std::string::npos) << in;
    EXPECT_EQ(out.find(".."), std::string::npos) << in;
    EXPECT_NE(out.front(), '.') << in;
    EXPECT_NE(out.front(), '-') << in;
  }
  EXPECT_EQ(sanitize_component("ok name"), "ok name");
}

TEST(Names, RecordingKey) {
  EXPECT_EQ(recording_key("", "", "01ABC"), "01ABC.mkv");
  EXPECT_EQ(recording_key("shows/2026", "Evening", "01ABC"), "shows/2026/Evening.mkv");
  EXPECT_EQ(recording_key("../x", "../y", "id").find(".."), std::string::npos);
}
