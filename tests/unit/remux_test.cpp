// chronicle's MPEG-TS to Matroska remux, on real encodes by ffmpeg: what it writes must be what
// ffmpeg's own remux writes, packet for packet, and play; what it cannot write it must refuse
// before writing, so that the join falls back to ffmpeg.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "remux/codecs.hpp"
#include "remux/join.hpp"
#include "sys/process.hpp"
#include "temp_dir.hpp"

using namespace chronicle;
namespace fs = std::filesystem;

namespace {

std::string run_tool(std::vector<std::string> argv) {
  sys::SpawnOptions o;
  o.argv = std::move(argv);
  auto run = sys::run_capture(o, std::chrono::seconds(120));
  EXPECT_TRUE(run && run->status.code == 0) << o.argv[0] << ": " << (run ? run->err : run.error().message);
  return run ? run->out + run->err : "";
}

struct Encode {
  double seconds = 2;
  std::string size = "320x240";
  bool video = true, audio = true;
  std::string audio_codec = "aac";
  std::string ts_offset;  // -output_ts_offset, seconds
  Encode& at(std::string s) {
    size = std::move(s);
    return *this;
  }
  Encode& no_video() {
    video = false;
    return *this;
  }
  Encode& no_audio() {
    audio = false;
    return *this;
  }
  Encode& with_audio(std::string codec) {
    audio_codec = std::move(codec);
    return *this;
  }
  Encode& offset(std::string seconds_offset) {
    ts_offset = std::move(seconds_offset);
    return *this;
  }
};
Encode seconds(double s) {
  Encode e;
  e.seconds = s;
  return e;
}

// An MPEG-TS encode with B-frames (x264's default), as an HLS origin serves it.
void encode(const fs::path& out, const Encode& e) {
  std::vector<std::string> argv = {"ffmpeg", "-nostdin", "-v", "error", "-y"};
  if (e.video) argv.insert(argv.end(), {"-f", "lavfi", "-i", "testsrc2=size=" + e.size + ":rate=25"});
  if (e.audio) argv.insert(argv.end(), {"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"});
  argv.insert(argv.end(), {"-t", std::to_string(e.seconds)});
  if (e.video) argv.insert(argv.end(), {"-c:v", "libx264", "-preset", "veryfast", "-g", "25"});
  if (e.audio) argv.insert(argv.end(), {"-c:a", e.audio_codec});
  if (!e.ts_offset.empty()) argv.insert(argv.end(), {"-output_ts_offset", e.ts_offset});
  argv.insert(argv.end(), {"-f", "mpegts", out.string()});
  run_tool(argv);
}

double probe_duration(const fs::path& file) {
  return std::stod(
      run_tool({"ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", file.string()}));
}

std::string probe_streams(const fs::path& file) {
  return run_tool({"ffprobe", "-v", "error", "-show_entries", "stream=codec_name,width,height,sample_rate", "-of",
                   "csv=p=0", file.string()});
}

// Every packet's stream, size and MD5, sorted: the same media, whatever the order of writing.
std::vector<std::string> packets(const fs::path& file) {
  std::istringstream in(run_tool(
      {"ffmpeg", "-nostdin", "-v", "error", "-i", file.string(), "-map", "0", "-c", "copy", "-f", "framemd5", "-"}));
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> fields;
    std::istringstream cells(line);
    for (std::string cell; std::getline(cells, cell, ',');) fields.push_back(cell);
    if (fields.size() >= 6) out.push_back(fields[0] + "," + fields[4] + "," + fields[5]);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// What decoding the whole file says is wrong with it (empty: nothing).
std::string decode_errors(const fs::path& file) {
  return run_tool({"ffmpeg", "-nostdin", "-v", "error", "-i", file.string(), "-f", "null", "-"});
}

// ffmpeg's join of the same runs, as the recorder made it before it had its own remuxer.
void ffmpeg_join(const std::vector<remux::TsRun>& runs, const fs::path& list, const fs::path& out) {
  {
    std::ofstream l(list);
    l << "ffconcat version 1.0\n";
    for (const auto& r : runs) l << "file '" << r.file.string() << "'\nduration " << r.duration_s << "\n";
  }
  run_tool({"ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", list.string(), "-map", "0",
            "-c", "copy", "-f", "matroska", out.string()});
}

}  // namespace

TEST(Remux, RunsWithADiscontinuityAndAResolutionChangeBecomeOneFileAsFfmpegWouldWriteIt) {
  test_support::TempDir dir;
  encode(dir.path / "run-1.ts", seconds(4).at("320x240"));
  // A new encode: its timestamps start again, at another size.
  encode(dir.path / "run-2.ts", seconds(3).at("640x360"));
  const std::vector<remux::TsRun> runs = {{dir.path / "run-1.ts", 4.0}, {dir.path / "run-2.ts", 3.0}};
  const fs::path ours = dir.path / "ours.mkv";
  auto joined = remux::join_ts_into_matroska({{runs, false}}, ours);
  ASSERT_TRUE(joined) << joined.error().message;
  EXPECT_EQ(joined->tracks, 2u);
  EXPECT_NEAR(joined->duration_s, 7.0, 0.1);
  EXPECT_NEAR(probe_duration(ours), 7.0, 0.1);
  EXPECT_EQ(probe_streams(ours), "h264,320,240\naac,48000\n");
  EXPECT_EQ(decode_errors(ours), "");

  const fs::path theirs = dir.path / "ffmpeg.mkv";
  ffmpeg_join(runs, dir.path / "list.ffconcat", theirs);
  EXPECT_EQ(packets(ours), packets(theirs));
  EXPECT_NEAR(probe_duration(ours), probe_duration(theirs), 0.05);
}

TEST(Remux, SeparateAudioIsInterleavedWithTheVideo) {
  test_support::TempDir dir;
  encode(dir.path / "video.ts", seconds(4).no_audio());
  encode(dir.path / "audio.ts", seconds(4).no_video());
  const fs::path out = dir.path / "out.mkv";
  auto joined = remux::join_ts_into_matroska(
      {{{{dir.path / "video.ts", 4.0}}, false}, {{{dir.path / "audio.ts", 4.0}}, true}}, out);
  ASSERT_TRUE(joined) << joined.error().message;
  EXPECT_EQ(probe_streams(out), "h264,320,240\naac,48000\n");
  EXPECT_NEAR(probe_duration(out), 4.0, 0.1);
  EXPECT_EQ(decode_errors(out), "");
  // Interleaved: no stretch of one track runs ahead of the other by more than a second.
  std::istringstream in(run_tool(
      {"ffprobe", "-v", "error", "-show_entries", "packet=stream_index,pts_time", "-of", "csv=p=0", out.string()}));
  double last[2] = {0, 0};
  for (std::string line; std::getline(in, line);) {
    const auto comma = line.find(',');
    if (comma == std::string::npos) continue;
    const int stream = std::stoi(line.substr(0, comma));
    last[stream] = std::stod(line.substr(comma + 1));
    EXPECT_LT(std::abs(last[0] - last[1]), 1.0) << line;
  }
}

TEST(Remux, TimestampsThatWrapAroundStayContinuous) {
  test_support::TempDir dir;
  // 2^33 ticks of 90 kHz is 95443.7 s: this encode's clock (muxed from 1.4 s on) wraps in its first second.
  encode(dir.path / "wraps.ts", seconds(5).offset("95441.7"));
  const fs::path out = dir.path / "out.mkv";
  auto joined = remux::join_ts_into_matroska({{{{dir.path / "wraps.ts", 5.0}}, false}}, out);
  ASSERT_TRUE(joined) << joined.error().message;
  EXPECT_NEAR(probe_duration(out), 5.0, 0.1);
  EXPECT_EQ(decode_errors(out), "");
}

TEST(Remux, WhatItCannotWriteIsRefusedBeforeAnythingIsWritten) {
  test_support::TempDir dir;
  encode(dir.path / "mp2.ts", seconds(1).with_audio("mp2"));
  auto mp2 = remux::join_ts_into_matroska({{{{dir.path / "mp2.ts", 1.0}}, false}}, dir.path / "a.mkv");
  ASSERT_FALSE(mp2);
  EXPECT_EQ(mp2.error().code, remux::kRemuxUnsupported);
  EXPECT_NE(mp2.error().message.find("stream type 0x03"), std::string::npos) << mp2.error().message;
  EXPECT_FALSE(fs::exists(dir.path / "a.mkv"));

  std::ofstream(dir.path / "page.ts") << std::string(std::size_t{188} * 4, 'x');
  auto garbage = remux::join_ts_into_matroska({{{{dir.path / "page.ts", 1.0}}, false}}, dir.path / "b.mkv");
  ASSERT_FALSE(garbage);
  EXPECT_EQ(garbage.error().code, remux::kRemuxUnsupported);
  EXPECT_NE(garbage.error().message.find("lost MPEG-TS sync"), std::string::npos) << garbage.error().message;

  encode(dir.path / "cut.ts", seconds(1));
  fs::resize_file(dir.path / "cut.ts", fs::file_size(dir.path / "cut.ts") - 100);
  auto cut = remux::join_ts_into_matroska({{{{dir.path / "cut.ts", 1.0}}, false}}, dir.path / "c.mkv");
  ASSERT_FALSE(cut);
  EXPECT_EQ(cut.error().code, remux::kRemuxUnsupported);
}

TEST(RemuxCodecs, AnnexBIsSplitAtThreeAndFourByteStartCodes) {
  const std::vector<std::uint8_t> au = {0, 0, 0, 1, 0x09, 0xF0, 0, 0, 1, 0x67, 1, 2, 0, 0, 0, 0, 1, 0x65, 0, 3, 1, 0};
  std::vector<remux::NalUnit> nals;
  remux::split_annex_b(au.data(), au.size(), nals);
  ASSERT_EQ(nals.size(), 3u);
  EXPECT_EQ(nals[0].type, 9);
  EXPECT_EQ(nals[0].size, 2u);
  EXPECT_EQ(nals[1].type, remux::kNalSps);
  EXPECT_EQ(nals[1].size, 3u) << "the zeros of a four-byte start code are not the SPS's";
  EXPECT_EQ(nals[2].type, remux::kNalIdr);
  EXPECT_EQ(nals[2].size, 4u) << "an emulation prevention byte stays; a trailing zero goes";
}

TEST(RemuxCodecs, AdtsHeadersAreReadAndWhatMatroskaCannotCarryRefused) {
  // AAC LC, 48 kHz, stereo, 371 bytes, no CRC.
  const std::uint8_t lc[] = {0xFF, 0xF1, 0x4C, 0x80, 0x2E, 0x7F, 0xFC};
  const auto f = remux::parse_adts(lc, sizeof lc);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->sample_rate, 48000);
  EXPECT_EQ(f->channels, 2);
  EXPECT_EQ(f->frame_size, 371u);
  EXPECT_EQ(f->header_size, 7u);
  EXPECT_EQ(f->audio_specific_config[0], 0x11);
  EXPECT_EQ(f->audio_specific_config[1], 0x90);
  std::uint8_t blocks[sizeof lc];
  std::copy(std::begin(lc), std::end(lc), blocks);
  blocks[6] |= 0x01;  // two raw data blocks in one frame
  EXPECT_FALSE(remux::parse_adts(blocks, sizeof blocks));
  EXPECT_FALSE(remux::parse_adts(lc, 6));
}

TEST(Remux, ChaptersAreWrittenWhereFfprobeAndPlayersFindThem) {
  test_support::TempDir dir;
  encode(dir.path / "run-1.ts", seconds(3).at("320x240"));
  const fs::path out = dir.path / "chapters.mkv";
  const std::vector<remux::Chapter> chapters = {
      {0, "Start: the show"}, {1500, "Interruption: no data for 9.7 s"}, {2250, "Title: Q&A = \"live\""}};
  auto joined = remux::join_ts_into_matroska({{{{dir.path / "run-1.ts", 3.0}}, false}}, out, chapters);
  ASSERT_TRUE(joined) << joined.error().message;
  EXPECT_EQ(
      run_tool({"ffprobe", "-v", "error", "-show_entries", "chapter=start_time:chapter_tags=title", "-of", "csv=p=0",
                out.string()}),
      // (ffprobe's CSV quotes the title with quotes in it)
      "0.000000,Start: the show\n1.500000,Interruption: no data for 9.7 s\n2.250000,\"Title: Q&A = \"\"live\"\"\"\n");
  EXPECT_EQ(decode_errors(out), "");
  // Without chapters the seek head keeps its room as a Void, and the file is as before.
  const fs::path plain = dir.path / "plain.mkv";
  ASSERT_TRUE(remux::join_ts_into_matroska({{{{dir.path / "run-1.ts", 3.0}}, false}}, plain));
  EXPECT_EQ(
      run_tool({"ffprobe", "-v", "error", "-show_entries", "chapter=start_time", "-of", "csv=p=0", plain.string()}),
      "");
  EXPECT_NEAR(probe_duration(plain), 3.0, 0.1);
}
