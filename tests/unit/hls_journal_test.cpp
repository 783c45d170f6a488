#include <gtest/gtest.h>

#include <fstream>

#include "hls/journal.hpp"
#include "temp_dir.hpp"

using namespace chronicle;
using namespace chronicle::hls;
using chronicle::test_support::TempDir;
namespace fs = std::filesystem;

namespace {
JournalSegment segment(const std::string& rendition, std::int64_t seq, double duration = 2) {
  JournalSegment s;
  s.rendition = rendition;
  s.sequence = seq;
  s.duration_s = duration;
  s.uri_path = "https://cdn.example/seg" + std::to_string(seq) + ".ts";
  return s;
}
}  // namespace

TEST(HlsJournal, RunsHoldTheirSegmentsInOrder) {
  TempDir dir;
  auto j = Journal::open(dir.path / "journal");
  ASSERT_TRUE(j);
  auto& journal = **j;
  ASSERT_TRUE(journal.begin_run("video", "mp4", "INIT"));
  ASSERT_TRUE(journal.append(segment("video", 7), "aaaa"));
  ASSERT_TRUE(journal.append(segment("video", 8), "bb"));
  ASSERT_TRUE(journal.begin_run("audio", "aac", ""));
  ASSERT_TRUE(journal.append(segment("audio", 7), "c"));
  ASSERT_TRUE(journal.begin_run("video", "mp4", "INIT2"));
  ASSERT_TRUE(journal.append(segment("video", 9, 1.5), "dd"));
  const auto runs = journal.runs();
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[0].file.filename(), "video-00001.mp4");
  EXPECT_EQ(runs[2].file.filename(), "video-00002.mp4");
  EXPECT_EQ(runs[0].segments, 2u);
  EXPECT_DOUBLE_EQ(journal.duration_s("video"), 5.5);
  EXPECT_EQ(journal.bytes(), 4u + 4 + 2 + 1 + 5 + 2);
  EXPECT_EQ(journal.last("video")->sequence, 9);
  std::ifstream in(runs[0].file, std::ios::binary);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "INITaaaabb");
  EXPECT_FALSE(journal.begin_run("../x", "ts", "")) << "a rendition is a plain name";
}

TEST(HlsJournal, ACrashLeavesWhatTheIndexNames) {
  TempDir dir;
  const fs::path path = dir.path / "journal";
  {
    auto j = Journal::open(path);
    ASSERT_TRUE(j);
    ASSERT_TRUE((*j)->begin_run("main", "ts", ""));
    ASSERT_TRUE((*j)->append(segment("main", 1), "11111"));
    ASSERT_TRUE((*j)->append(segment("main", 2), "22222"));
  }
  // A crash mid-segment: bytes written past the index, and half an index line.
  std::ofstream(path / "main-00001.ts", std::ios::app) << "333";
  std::ofstream(path / "index.jsonl", std::ios::app) << "{\"t\":\"seg\",\"r\":\"main\"";
  auto j = Journal::open(path);
  ASSERT_TRUE(j);
  EXPECT_EQ((*j)->last("main")->sequence, 2);
  EXPECT_EQ(fs::file_size(path / "main-00001.ts"), 10u);
  EXPECT_TRUE(Journal::exists(path));
  // And it goes on from there.
  ASSERT_TRUE((*j)->append(segment("main", 3), "33333"));
  auto again = Journal::open(path);
  ASSERT_TRUE(again);
  EXPECT_EQ((*again)->last("main")->sequence, 3);
  EXPECT_EQ((*again)->bytes(), 15u);
  EXPECT_EQ((*again)->runs().front().segments, 3u);
}

TEST(HlsJournal, PlaysAsHlsWhileItIsWritten) {
  TempDir dir;
  auto j = Journal::open(dir.path / "journal");
  ASSERT_TRUE(j);
  auto& journal = **j;
  ASSERT_TRUE(journal.begin_run("video", "mp4", "INIT"));
  ASSERT_TRUE(journal.append(segment("video", 7), "aaaa"));
  ASSERT_TRUE(journal.append(segment("video", 8, 1.25), "bb"));
  ASSERT_TRUE(journal.begin_run("audio", "aac", ""));
  ASSERT_TRUE(journal.append(segment("audio", 7), "c"));
  ASSERT_TRUE(journal.begin_run("video", "mp4", "INIT2"));
  ASSERT_TRUE(journal.append(segment("video", 9, 1.5), "dd"));
  // A reader beside the writer: a torn last line (a segment being indexed) is not read.
  std::ofstream(dir.path / "journal" / "index.jsonl", std::ios::app) << R"({"t":"seg","r":"video")";
  auto snapshot = read_journal(dir.path / "journal");
  ASSERT_TRUE(snapshot);
  EXPECT_EQ(snapshot->segments.size(), 4u);

  const std::string base = "/api/v1/jobs/01J/";
  EXPECT_EQ(journal_media_playlist(*snapshot, "video", base, "?exp=1&sig=ab", false),
            "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n"
            "#EXT-X-PLAYLIST-TYPE:EVENT\n"
            "#EXT-X-MAP:URI=\"/api/v1/jobs/01J/live/video-00001.mp4?exp=1&sig=ab\",BYTERANGE=\"4@0\"\n"
            "#EXTINF:2.000,\n#EXT-X-BYTERANGE:4@4\n/api/v1/jobs/01J/live/video-00001.mp4?exp=1&sig=ab\n"
            "#EXTINF:1.250,\n#EXT-X-BYTERANGE:2@8\n/api/v1/jobs/01J/live/video-00001.mp4?exp=1&sig=ab\n"
            "#EXT-X-DISCONTINUITY\n"
            "#EXT-X-MAP:URI=\"/api/v1/jobs/01J/live/video-00002.mp4?exp=1&sig=ab\",BYTERANGE=\"5@0\"\n"
            "#EXTINF:1.500,\n#EXT-X-BYTERANGE:2@5\n/api/v1/jobs/01J/live/video-00002.mp4?exp=1&sig=ab\n");
  EXPECT_TRUE(journal_media_playlist(*snapshot, "audio", base, "", true).ends_with("#EXT-X-ENDLIST\n"));
  const auto master = journal_master_playlist(*snapshot, base, "");
  EXPECT_NE(master.find("#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio\",NAME=\"audio\",DEFAULT=YES,AUTOSELECT=YES,"
                        "URI=\"/api/v1/jobs/01J/live.m3u8?rendition=audio\""),
            std::string::npos)
      << master;
  EXPECT_NE(master.find(",AUDIO=\"audio\"\n/api/v1/jobs/01J/live.m3u8?rendition=video\n"), std::string::npos) << master;
}
