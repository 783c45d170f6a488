#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "record/attempt.hpp"
#include "record/finalize.hpp"
#include "record/hls.hpp"

using namespace chronicle;
using namespace chronicle::record;
namespace fs = std::filesystem;

namespace {

std::string playlist(int first_seq, int first_index, int count, bool ended = false) {
  std::string text =
      "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:" + std::to_string(first_seq) + "\n";
  for (int i = 0; i < count; ++i) text += "#EXTINF:2.000,\nseg" + std::to_string(first_index + i) + ".ts\n";
  if (ended) text += "#EXT-X-ENDLIST\n";
  return text;
}

const std::string kUrl = "http://cdn.example/live/stream.m3u8?token=1";

}  // namespace

TEST(Hls, ParsesAMediaPlaylist) {
  auto p = parse_media_playlist(playlist(40, 40, 3, true), kUrl);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->media_sequence, 40);
  EXPECT_DOUBLE_EQ(p->target_duration_s, 2);
  EXPECT_TRUE(p->ended);
  ASSERT_EQ(p->segments.size(), 3u);
  EXPECT_EQ(p->segments[0].uri, "http://cdn.example/live/seg40.ts");
  EXPECT_DOUBLE_EQ(p->segments[2].duration_s, 2);
  EXPECT_FALSE(parse_media_playlist("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nv.m3u8\n", kUrl)) << "a master playlist";
  EXPECT_FALSE(parse_media_playlist("<html>not a playlist</html>", kUrl));
}

TEST(Hls, ResolvesSegmentReferences) {
  EXPECT_EQ(resolve_url(kUrl, "a.ts"), "http://cdn.example/live/a.ts");
  EXPECT_EQ(resolve_url(kUrl, "/b/a.ts"), "http://cdn.example/b/a.ts");
  EXPECT_EQ(resolve_url(kUrl, "//other.example/a.ts"), "http://other.example/a.ts");
  EXPECT_EQ(resolve_url(kUrl, "https://x.example/a.ts?s=1"), "https://x.example/a.ts?s=1");
  EXPECT_EQ(resolve_url("http://h.example", "a.ts"), "http://h.example/a.ts");
}

TEST(Hls, ResumesRightAfterTheLastSegmentOfTheSameSession) {
  auto p = *parse_media_playlist(playlist(10, 10, 6), kUrl);
  auto plan = plan_resume(p, {"http://cdn.example/live/seg12.ts", 12});
  EXPECT_EQ(plan.start_index, 3u);
  EXPECT_TRUE(plan.same_session);
  EXPECT_DOUBLE_EQ(plan.behind_s, 6) << "three segments were published while nobody recorded";
  // A token in the query does not hide the segment.
  EXPECT_EQ(plan_resume(p, {"http://cdn.example/live/seg12.ts?token=2", std::nullopt}).start_index, 3u);
}

TEST(Hls, AStalePlaylistHasNothingToResume) {
  auto p = *parse_media_playlist(playlist(10, 10, 6), kUrl);
  EXPECT_EQ(plan_resume(p, {"http://cdn.example/live/seg15.ts", 15}).start_index, 6u);
}

TEST(Hls, AFreshSessionIsRecordedFromItsStart) {
  // The broadcaster restarted: media sequence from 0, new names.
  auto p = *parse_media_playlist(playlist(0, 0, 2), kUrl);
  auto plan = plan_resume(p, {"http://cdn.example/live/seg15.ts", 15});
  EXPECT_EQ(plan.start_index, 0u);
  EXPECT_FALSE(plan.same_session);
  // The same names again, but the media sequence disagrees with what was recorded.
  auto again = *parse_media_playlist(playlist(0, 14, 3), kUrl);
  EXPECT_EQ(plan_resume(again, {"http://cdn.example/live/seg15.ts", 15}).start_index, 0u);
  // Nothing recorded from a playlist yet: everything listed.
  EXPECT_EQ(plan_resume(p, {}).start_index, 0u);
}

TEST(Hls, ASessionThatMovedPastTheRecordingIsTakenWhole) {
  auto p = *parse_media_playlist(playlist(30, 30, 6), kUrl);
  auto plan = plan_resume(p, {"http://cdn.example/live/seg12.ts", 12});
  EXPECT_EQ(plan.start_index, 0u);
  EXPECT_TRUE(plan.same_session);
}

TEST(Attempt, ReadsTheUrlsFfmpegOpens) {
  EXPECT_EQ(*parse_opening_line("[hls @ 0x55] Opening 'http://h/live3.ts' for reading"), "http://h/live3.ts");
  EXPECT_EQ(*parse_opening_line("frame=1 size=0kB [http @ 0x5] Opening 'http://h/a.m3u8' for reading"),
            "http://h/a.m3u8");
  EXPECT_FALSE(parse_opening_line("[hls @ 0x55] Skip ('#EXT-X-VERSION:3')"));
  EXPECT_EQ(*parse_input_line("Input #0, hls, from 'http://h/it's/live.m3u8':"), "http://h/it's/live.m3u8");
  EXPECT_FALSE(parse_input_line("Input #0, mpegts, from 'http://h/a.ts':"));
}

TEST(Parts, AreListedInOrderWithTheirMediaFile) {
  const fs::path dir = fs::temp_directory_path() / ("chronicle-parts-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto write = [&](const std::string& name, std::size_t bytes) {
    std::ofstream(dir / name) << std::string(bytes, 'x');
  };
  write("part-002.mp4.part", 300);
  write("part-001.mp4", 100);
  write("part-001.mp4.ytdl", 5000);
  write("part-003.f1.mp4", 50);
  write("part-003.mkv", 40);
  write("part-004.mp4.part", 0);
  write("outcome.json", 10);
  auto parts = list_parts(dir);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0].filename(), "part-001.mp4");
  EXPECT_EQ(parts[1].filename(), "part-002.mp4.part");
  EXPECT_EQ(parts[2].filename(), "part-003.mkv") << "the merged file is the part";
  EXPECT_EQ(part_bytes(dir, 2), 300u);
  EXPECT_EQ(next_part_number(dir), 5);
  fs::remove_all(dir);
}

TEST(Parts, TheStoredOutcomeSurvivesTheRecorder) {
  const fs::path dir = fs::temp_directory_path() / ("chronicle-outcome-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  EXPECT_FALSE(load_outcome(dir)) << "nothing stored yet";
  Outcome o;
  o.stored.recording = StoredRecording{"a.mkv", 42, "ab12", "http://x/a"};
  o.stored.duration_s = 12.5;
  o.stored.warnings = {"stored as MPEG-TS"};
  o.end_reason = end_reason::recorder_lost;
  o.error = Error{"recorder_lost", "the recorder process exited"};
  save_outcome(dir, o);
  auto back = load_outcome(dir);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->stored.recording.key, "a.mkv");
  EXPECT_EQ(back->stored.recording.size, 42u);
  EXPECT_EQ(*back->stored.duration_s, 12.5);
  EXPECT_EQ(back->stored.warnings, o.stored.warnings);
  EXPECT_EQ(back->end_reason, "recorder_lost");
  ASSERT_TRUE(back->error);
  EXPECT_EQ(back->error->code, "recorder_lost");

  Job job;
  job.id = "j";
  job.status = JobStatus::recording;
  job.interruptions = {Interruption{10, 3.0, {}}, Interruption{20, std::nullopt, {}}};
  ASSERT_TRUE(apply_outcome(job, *back));
  EXPECT_EQ(job.status, JobStatus::failed);
  EXPECT_EQ(job.recording->sha256, "ab12");
  EXPECT_EQ(job.interruptions.size(), 1u) << "the gap the stream never came back from is not a gap";
  o.error.reset();
  job.status = JobStatus::uploading;
  ASSERT_TRUE(apply_outcome(job, o));
  EXPECT_EQ(job.status, JobStatus::completed);
  EXPECT_FALSE(apply_outcome(job, o)) << "a finished job is not finished twice";
  fs::remove_all(dir);
}

// Found by fuzz_playlist: "nan" and "inf" parsed as durations and reached the gap arithmetic.
TEST(MediaPlaylist, DurationsThatAreNotNumbersCountAsZero) {
  auto p = parse_media_playlist(
      "#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:-9223372036854775808\n#EXTINF:nan,\n/a.ts\n#EXTINF:1e400,\nb.ts\n"
      "#EXTINF:-4,\nc.ts\n#EXTINF:2.5,\nd.ts\n",
      "http://h/live/index.m3u8");
  ASSERT_TRUE(p);
  ASSERT_EQ(p->segments.size(), 4u);
  EXPECT_EQ(p->segments[0].duration_s, 0);
  EXPECT_EQ(p->segments[1].duration_s, 0);
  EXPECT_EQ(p->segments[2].duration_s, 0);
  EXPECT_EQ(p->segments[3].duration_s, 2.5);
  EXPECT_EQ(p->media_sequence, 0);
}
