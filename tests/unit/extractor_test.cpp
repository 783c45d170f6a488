// The resident extraction worker (real Debian yt-dlp, imported once) and what the recorder makes
// of its answer.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/ids.hpp"
#include "record/extractor.hpp"
#include "record/hls_recording.hpp"
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

TEST(HlsSource, HlsFormatsOverHttpAreFollowedByChronicle) {
  auto one = hls_source_from(R"({"extractor": "generic", "url": "https://cdn/x.m3u8", "protocol": "m3u8_native",
                                 "format_id": "hls-720", "http_headers": {"Referer": "https://site/", "Cookie": "a=b"}})");
  ASSERT_TRUE(one);
  ASSERT_EQ(one->targets.size(), 1u);
  EXPECT_EQ(one->targets[0].rendition, "main");
  EXPECT_EQ(one->targets[0].url, "https://cdn/x.m3u8");
  EXPECT_EQ(one->targets[0].format_id, "hls-720");
  EXPECT_EQ(one->extractor, "generic");
  EXPECT_EQ(one->headers.size(), 2u) << "the client, not the source, drops the Cookie header";
  // Separate audio: the video first, whatever order yt-dlp gives.
  auto two = hls_source_from(R"({"requested_formats": [
      {"url": "http://a/audio.m3u8", "protocol": "m3u8", "vcodec": "none", "acodec": "mp4a.40.2", "format_id": "a"},
      {"url": "http://a/video.m3u8", "protocol": "m3u8", "vcodec": "avc1", "acodec": "none", "format_id": "v"}]})");
  ASSERT_TRUE(two);
  ASSERT_EQ(two->targets.size(), 2u);
  EXPECT_EQ(two->targets[0].rendition, "video");
  EXPECT_EQ(two->targets[0].url, "http://a/video.m3u8");
  EXPECT_EQ(two->targets[1].rendition, "audio");
  // What is not HLS over http(s) stays with yt-dlp's downloader.
  EXPECT_FALSE(hls_source_from(R"({"url": "https://cdn/x.mpd", "protocol": "http_dash_segments"})"));
  EXPECT_FALSE(hls_source_from(R"({"url": "rtmp://cdn/live", "protocol": "m3u8"})"));
  EXPECT_FALSE(hls_source_from(R"({"requested_formats": [{"url": "http://a/v.m3u8", "protocol": "m3u8"},
                                  {"url": "http://a/a.mp4", "protocol": "https"}]})"));
  EXPECT_FALSE(hls_source_from("not json"));
}
