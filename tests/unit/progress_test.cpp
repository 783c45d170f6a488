#include <gtest/gtest.h>

#include "egress/proxy.hpp"
#include "record/attempt.hpp"
#include "record/progress.hpp"

using namespace chronicle;
using namespace chronicle::record;

TEST(FfmpegProgress, ParsesTheStatusLine) {
  auto p = parse_ffmpeg_progress(
      "frame=  250 fps= 31 q=-1.0 size=    2304kB time=00:00:10.02 bitrate=1882.4kbits/s speed=1.25x    ");
  ASSERT_TRUE(p);
  EXPECT_NEAR(*p->time_s, 10.02, 1e-9);
  EXPECT_EQ(*p->size_bytes, 2304u * 1024);
  auto final_line =
      parse_ffmpeg_progress("frame=  249 fps= 31 q=-1.0 Lsize=    2467kB time=01:02:03.50 bitrate=2015.7kbits/s");
  ASSERT_TRUE(final_line);
  EXPECT_NEAR(*final_line->time_s, 3723.5, 1e-9);
  EXPECT_EQ(*final_line->size_bytes, 2467u * 1024);
}

TEST(FfmpegProgress, IgnoresOtherLinesAndOddValues) {
  EXPECT_FALSE(parse_ffmpeg_progress("[hls @ 0x55] Opening 'live7.ts' for reading"));
  EXPECT_FALSE(parse_ffmpeg_progress("[download] Destination: rec.mp4"));
  auto early = parse_ffmpeg_progress("frame=    0 fps=0.0 q=0.0 size=       0kB time=-00:00:00.04 bitrate=N/A");
  ASSERT_TRUE(early);
  EXPECT_FALSE(early->time_s);
  EXPECT_EQ(*early->size_bytes, 0u);
  auto na = parse_ffmpeg_progress("size=N/A time=N/A bitrate=N/A");
  EXPECT_FALSE(na);
}

TEST(ErrorLines, CarryTheReason) {
  EXPECT_EQ(*parse_error_line("ERROR: [generic] Unable to download webpage: HTTP Error 404: Not Found\n"),
            "[generic] Unable to download webpage: HTTP Error 404: Not Found");
  EXPECT_FALSE(parse_error_line("WARNING: something"));
  EXPECT_FALSE(parse_error_line("ERROR: "));
}

TEST(LineSplitter, SplitsOnCarriageReturnsAndNewlines) {
  LineSplitter s;
  auto a = s.feed("frame=1 time=00:00:01.00\rframe=2 time=00:00:02");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0], "frame=1 time=00:00:01.00");
  auto b = s.feed(".00\r\n[info] done\n");
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0], "frame=2 time=00:00:02.00");
  EXPECT_EQ(b[1], "[info] done");
  EXPECT_FALSE(s.flush());
  s.feed("tail");
  EXPECT_EQ(*s.flush(), "tail");
}

TEST(DownloaderArgv, IsSafeAndFollowsLivePlaylists) {
  Config config;
  Job job;
  job.url = "https://example.com/live.m3u8";
  job.protocol = "m3u8_native";
  auto argv = downloader_argv(config, job, "/w/part-001.%(ext)s", 0, 0);
  ASSERT_GE(argv.size(), 3u);
  EXPECT_EQ(argv[argv.size() - 2], "--") << "the URL can never be read as an option";
  EXPECT_EQ(argv.back(), job.url);
  auto has = [&](const std::string& a) { return std::find(argv.begin(), argv.end(), a) != argv.end(); };
  auto has_prefix = [&](const std::string& a) {
    return std::any_of(argv.begin(), argv.end(), [&](const std::string& x) { return x.starts_with(a); });
  };
  EXPECT_TRUE(has("--hls-use-mpegts"));
  EXPECT_FALSE(has("--proxy")) << "the guard's URL holds its credential: given in the environment";
  const auto env = egress::proxy_environment("http://chronicle:c@127.0.0.1:4321");
  for (const char* name : {"http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy"})
    EXPECT_NE(std::find(env.begin(), env.end(),
                        std::pair<std::string, std::string>{name, "http://chronicle:c@127.0.0.1:4321"}),
              env.end())
        << name << ": everything goes through the egress guard";
  EXPECT_NE(std::find(env.begin(), env.end(), std::pair<std::string, std::string>{"no_proxy", ""}), env.end())
      << "no exception the machine's NO_PROXY would make";
  EXPECT_TRUE(has("ffmpeg"));
  EXPECT_TRUE(
      has("ffmpeg_i:-protocol_whitelist http,https,tcp,tls,crypto,data,httpproxy -live_start_index 0 "
          "-m3u8_hold_counters 60"))
      << "ffmpeg ends a stalled playlist itself after the 30 s stall timeout (reloads every 0.5 s)";
  EXPECT_TRUE(has("bv*+ba/b"));
  EXPECT_FALSE(has("--ffmpeg-location")) << "a bare ffmpeg name is left to yt-dlp's PATH lookup";
  EXPECT_FALSE(has("--remux-video")) << "parts stay MPEG-TS until they are joined";
  argv = downloader_argv(config, job, "/w/part-002.%(ext)s", 7, 6);
  EXPECT_TRUE(
      has("ffmpeg_i:-protocol_whitelist http,https,tcp,tls,crypto,data,httpproxy -live_start_index 7 "
          "-m3u8_hold_counters 10"))
      << "a later part starts after what was recorded; 6 s segments are reloaded every 3 s";
  job.protocol = "https";
  config.ffmpeg = "/opt/ffmpeg/bin/ffmpeg";
  argv = downloader_argv(config, job, "/w/part-001.%(ext)s", std::nullopt);
  EXPECT_TRUE(has("ffmpeg_i:-protocol_whitelist http,https,tcp,tls,crypto,data,httpproxy"))
      << "no RTMP, RTSP, UDP or files, whatever the format";
  EXPECT_FALSE(has_prefix("ffmpeg_i:-live"));
  EXPECT_TRUE(has("/opt/ffmpeg/bin/ffmpeg"));
}
