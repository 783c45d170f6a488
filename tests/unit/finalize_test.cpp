// Joining a job's parts, on real media made by ffmpeg.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/config.hpp"
#include "hls/journal.hpp"
#include "record/finalize.hpp"
#include "sys/process.hpp"
#include "temp_dir.hpp"

using namespace chronicle;
namespace fs = std::filesystem;

namespace {

// Half a second of test picture and tone, as MPEG-TS (or Matroska).
void make_media(const fs::path& out, const char* format) {
  sys::SpawnOptions o;
  o.argv = {"ffmpeg", "-nostdin", "-v",   "error",     "-y", "-f",  "lavfi", "-i",      "testsrc2=size=64x48:rate=10",
            "-f",     "lavfi",    "-i",   "sine",      "-t", "0.5", "-c:v",  "libx264", "-c:a",
            "aac",    "-f",       format, out.string()};
  auto run = sys::run_capture(o, std::chrono::seconds(60));
  ASSERT_TRUE(run && run->status.code == 0) << (run ? run->err : run.error().message);
}

}  // namespace

TEST(JoinParts, OnePartWithItsFinishedMatroskaIsStoredAsItIs) {
  test_support::TempDir dir;
  Config config;
  make_media(dir.path / "part-001.ts", "mpegts");
  make_media(record::whole_matroska(dir.path, 1, true), "matroska");
  const auto parts = record::list_parts(dir.path);
  ASSERT_EQ(parts.size(), 1u) << "the Matroska beside a part is not a part of its own";
  auto joined = record::join_parts(config, dir.path, parts);
  ASSERT_TRUE(joined) << joined.error().message;
  EXPECT_EQ(joined->file, record::whole_matroska(dir.path, 1, true));
  EXPECT_FALSE(fs::exists(dir.path / "joined.mkv")) << "no remux";
}

TEST(JoinParts, AnUnfinishedMatroskaIsIgnoredAndTheTsRemuxed) {
  test_support::TempDir dir;
  Config config;
  make_media(dir.path / "part-001.ts", "mpegts");
  // What a killed ffmpeg leaves: the file it was writing, never renamed.
  std::ofstream(record::whole_matroska(dir.path, 1, false)) << "\x1a\x45\xdf\xa3 cut short";
  auto joined = record::join_parts(config, dir.path, record::list_parts(dir.path));
  ASSERT_TRUE(joined) << joined.error().message;
  EXPECT_EQ(joined->file, dir.path / "joined.mkv");
  EXPECT_GT(record::media_duration(config, joined->file).value_or(0), 0.3);
}

TEST(JoinParts, SeveralPartsAreJoinedFromTheirTs) {
  test_support::TempDir dir;
  Config config;
  make_media(dir.path / "part-001.ts", "mpegts");
  make_media(record::whole_matroska(dir.path, 1, true), "matroska");
  make_media(dir.path / "part-002.ts", "mpegts");
  const auto parts = record::list_parts(dir.path);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0], dir.path / "part-001.ts");
  auto joined = record::join_parts(config, dir.path, parts);
  ASSERT_TRUE(joined) << joined.error().message;
  EXPECT_EQ(joined->file, dir.path / "joined.mkv");
  EXPECT_GT(record::media_duration(config, joined->file).value_or(0), 0.9);
}

namespace {

// A journal of one rendition: each file a run of the given extension.
void journal_of(const fs::path& dir, const std::vector<fs::path>& runs, const std::string& extension) {
  auto journal = hls::Journal::open(dir);
  ASSERT_TRUE(journal) << journal.error().message;
  std::int64_t sequence = 0;
  for (const auto& run : runs) {
    ASSERT_TRUE((*journal)->begin_run("main", extension, ""));
    std::ifstream in(run, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    hls::JournalSegment s;
    s.rendition = "main";
    s.sequence = sequence++;
    s.duration_s = 0.5;
    s.uri_path = "/" + run.filename().string();
    ASSERT_TRUE((*journal)->append(s, bytes));
  }
}

std::string head_of(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::string head(512, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  return head;
}

}  // namespace

TEST(JoinJournal, MpegTsRunsAreJoinedByChroniclesRemuxer) {
  test_support::TempDir dir;
  Config config;
  make_media(dir.path / "a.ts", "mpegts");
  make_media(dir.path / "b.ts", "mpegts");
  journal_of(dir.path / "journal", {dir.path / "a.ts", dir.path / "b.ts"}, "ts");
  auto joined = record::join_journal(config, dir.path);
  ASSERT_TRUE(joined) << joined.error().message;
  EXPECT_EQ(joined->file, dir.path / "joined.mkv");
  EXPECT_TRUE(joined->warnings.empty());
  EXPECT_NE(head_of(joined->file).find("chronicle"), std::string::npos) << "written by chronicle's remuxer";
  EXPECT_NEAR(record::media_duration(config, joined->file).value_or(0), 1.0, 0.1);
}

TEST(JoinJournal, WhatTheRemuxerDoesNotWriteIsJoinedByFfmpeg) {
  test_support::TempDir dir;
  Config config;
  // MP2 audio: a stream type chronicle's remuxer leaves to ffmpeg.
  sys::SpawnOptions o;
  o.argv = {"ffmpeg",
            "-nostdin",
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=64x48:rate=10",
            "-f",
            "lavfi",
            "-i",
            "sine",
            "-t",
            "0.5",
            "-c:v",
            "libx264",
            "-c:a",
            "mp2",
            "-f",
            "mpegts",
            (dir.path / "a.ts").string()};
  auto run = sys::run_capture(o, std::chrono::seconds(60));
  ASSERT_TRUE(run && run->status.code == 0);
  journal_of(dir.path / "journal", {dir.path / "a.ts"}, "ts");
  auto joined = record::join_journal(config, dir.path);
  ASSERT_TRUE(joined) << joined.error().message;
  EXPECT_TRUE(joined->warnings.empty());
  EXPECT_EQ(head_of(joined->file).find("chronicle"), std::string::npos) << "written by ffmpeg";
  EXPECT_NE(head_of(joined->file).find("Lavf"), std::string::npos);
  EXPECT_NEAR(record::media_duration(config, joined->file).value_or(0), 0.5, 0.1);
}

TEST(Chapters, TheStartEachGapEachAdBreakAndEachNewTitleInOrder) {
  Job job;
  job.title = "Evening";
  job.titles = {{0, "Evening"}, {600, "Late"}};
  job.interruptions = {Interruption{300, 9.66, {}}, Interruption{900, std::nullopt, {}}};
  job.ad_breaks = {AdBreak{450, 30}};
  const auto chapters = record::chapters_for(job);
  std::vector<std::pair<std::int64_t, std::string>> got;
  for (const auto& c : chapters) got.emplace_back(c.start_ms, c.title);
  EXPECT_EQ(
      got, (std::vector<std::pair<std::int64_t, std::string>>{{0, "Start: Evening"},
                                                              {300000, "Interruption: no data for 9.7 s"},
                                                              {450000, "Ad break left out (30.0 s)"},
                                                              {600000, "Title: Late"},
                                                              {900000, "Interruption: the stream did not come back"}}));
  EXPECT_EQ(record::chapters_for(Job{}).front().title, "Start");
}
