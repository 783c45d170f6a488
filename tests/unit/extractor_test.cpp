// The resident extraction worker (real Debian yt-dlp, imported once) and what the recorder makes
// of its answer.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "core/ids.hpp"
#include "record/attempt.hpp"
#include "record/extractor.hpp"
#include "temp_dir.hpp"

using namespace chronicle;
using namespace chronicle::record;
namespace fs = std::filesystem;

namespace {
using test_support::TempDir;

fs::path script(const fs::path& dir, const std::string& name, const std::string& text) {
  const auto path = dir / name;
  std::ofstream(path) << text;
  fs::permissions(path, fs::perms::owner_all);
  return path;
}

bool has(const std::vector<std::string>& argv, const std::string& arg) {
  return std::find(argv.begin(), argv.end(), arg) != argv.end();
}
}  // namespace

TEST(YtdlpInterpreter, NamesThePythonOfAScriptImportingYtDlp) {
  TempDir dir;
  EXPECT_EQ(ytdlp_interpreter(script(dir.path, "a", "#!/usr/bin/python3\nfrom yt_dlp import main\n").string()),
            "/usr/bin/python3");
  EXPECT_EQ(ytdlp_interpreter(script(dir.path, "b", "#!/usr/bin/env python3\nimport yt_dlp\n").string()), "python3");
  // A wrapper in another language, or a Python script that is not yt-dlp: probes run it per probe.
  EXPECT_FALSE(ytdlp_interpreter(script(dir.path, "c", "#!/bin/sh\nexec yt-dlp \"$@\"\n").string()));
  EXPECT_FALSE(ytdlp_interpreter(script(dir.path, "d", "#!/usr/bin/python3\nprint('hi')\n").string()));
  EXPECT_FALSE(ytdlp_interpreter((dir.path / "missing").string()));
}

TEST(TrimInfo, KeepsWhatTheRecorderAndTheJobUse) {
  const auto info = nlohmann::json::parse(R"({"title": "t", "live_status": "is_live", "formats": [{"url": "x"}],
    "url": "http://h/v.m3u8", "protocol": "m3u8_native", "http_headers": {"User-Agent": "u"},
    "thumbnails": [{"url": "big"}], "description": "long"})");
  const auto t = trim_info(info);
  EXPECT_EQ(t["title"], "t");
  EXPECT_EQ(t["url"], "http://h/v.m3u8");
  EXPECT_EQ(t["http_headers"]["User-Agent"], "u");
  EXPECT_TRUE(t["has_formats"].get<bool>());
  EXPECT_FALSE(t.contains("thumbnails"));
  EXPECT_FALSE(t.contains("description"));
  EXPECT_FALSE(trim_info(nlohmann::json::parse(R"({"title": "t", "formats": []})"))["has_formats"].get<bool>());
}

TEST(MediaSource, OnlyOneHlsFormatOverHttpIsRecordedDirectly) {
  auto hls = MediaSource::from_extracted(
      R"({"url": "https://cdn/x.m3u8", "protocol": "m3u8_native", "http_headers": {"Referer": "https://site/",
          "X-Evil": "a\r\nHost: other", "Bad:Name": "v"}})");
  ASSERT_TRUE(hls);
  EXPECT_EQ(hls->url, "https://cdn/x.m3u8");
  // A header value or name that would break the header block is dropped, not passed on.
  ASSERT_EQ(hls->headers.size(), 1u);
  EXPECT_EQ(hls->headers[0].first, "Referer");
  EXPECT_FALSE(MediaSource::from_extracted(R"({"url": "https://cdn/x.mpd", "protocol": "http_dash_segments"})"));
  EXPECT_FALSE(MediaSource::from_extracted(R"({"url": "rtmp://cdn/live", "protocol": "m3u8"})"));
  EXPECT_FALSE(MediaSource::from_extracted(
      R"({"requested_formats": [{"url": "http://a/v.m3u8", "protocol": "m3u8"}, {"url": "http://a/a.m3u8", "protocol": "m3u8"}]})"));
  EXPECT_TRUE(
      MediaSource::from_extracted(R"({"requested_formats": [{"url": "http://a/v.m3u8", "protocol": "m3u8"}]})"));
  EXPECT_FALSE(MediaSource::from_extracted("not json"));
}

TEST(MediaSource, FfmpegRecordsItLikeTheDownloaderWould) {
  Config config;
  MediaSource source{"http://cdn/x.m3u8", {{"Referer", "https://site/"}}};
  const auto argv = direct_argv(config, source, "/w/part-001.ts", "/w/part-001.whole.mkv.writing", 0, 2);
  EXPECT_EQ(argv.front(), "ffmpeg");
  EXPECT_TRUE(has(argv, "-protocol_whitelist"));
  EXPECT_TRUE(has(argv, kDownloaderProtocols));
  EXPECT_TRUE(has(argv, "Referer: https://site/\r\n"));
  EXPECT_TRUE(has(argv, "-live_start_index"));
  EXPECT_TRUE(has(argv, "-m3u8_hold_counters"));
  EXPECT_EQ(*(std::find(argv.begin(), argv.end(), "-i") + 1), "http://cdn/x.m3u8");
  // Two outputs of one input: MPEG-TS (what survives a crash) and Matroska (stored as it is).
  const auto ts = std::find(argv.begin(), argv.end(), "mpegts");
  ASSERT_NE(ts, argv.end());
  EXPECT_EQ(*(ts + 1), "/w/part-001.ts");
  EXPECT_EQ(*(ts - 1), "-f");
  EXPECT_EQ(argv.back(), "/w/part-001.whole.mkv.writing");
  EXPECT_EQ(*(argv.end() - 2), "matroska");
}

// The real worker: Debian's yt-dlp imported once, its connections through a guard per slot.
TEST(Extractor, AnswersThroughTheResidentWorkerAndTellsRefusalsApart) {
  TempDir dir;
  Config config;
  config.data_dir = dir.path;
  auto extractor = Extractor::start(config, 2);
  if (!extractor && !ytdlp_interpreter(config.ytdlp)) GTEST_SKIP() << "yt-dlp is not a Python script here";
  ASSERT_TRUE(extractor) << extractor.error().message;
  const auto timeout = std::chrono::seconds(30);
  // Loopback is not allowed by default: the slot's egress guard refuses, and the probe says so.
  auto refused = (*extractor)->extract("http://127.0.0.1:9/live.m3u8", "best", timeout);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "forbidden_address") << refused.error().message;
  EXPECT_NE(refused.error().message.find("127.0.0.1"), std::string::npos) << refused.error().message;
  // Concurrent requests each get their own answer.
  auto a = (*extractor)->extract("http://127.0.0.1:9/a.m3u8", "best", timeout);
  auto b = (*extractor)->extract("not a url at all", "best", timeout);
  ASSERT_FALSE(a);
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().code, "extract_failed") << b.error().message;
}
