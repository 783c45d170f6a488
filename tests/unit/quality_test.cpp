// Quality presets and selectors (what a job asks yt-dlp for) and what ffprobe says was recorded.
#include <gtest/gtest.h>

#include "core/job.hpp"
#include "core/quality.hpp"

using namespace chronicle;

TEST(Quality, PresetsMapToSelectorsThatCapTheHeightAndFallBack) {
  EXPECT_EQ(format_selector("", "bv*+ba/b"), "bv*+ba/b") << "unset: the configured default";
  EXPECT_EQ(format_selector("best", "x"), "bv*+ba/b");
  EXPECT_EQ(format_selector("720p", "x"), "bv*[height<=720]+ba/b[height<=720]/wv*+ba/w");
  EXPECT_EQ(format_selector("480p", "x"), "bv*[height<=480]+ba/b[height<=480]/wv*+ba/w");
  EXPECT_EQ(format_selector("1080p", "x").substr(0, 20), "bv*[height<=1080]+ba");
  EXPECT_EQ(format_selector("audio", "x"), "ba/w");
  EXPECT_EQ(format_selector("bv[vcodec^=avc1]+ba", "x"), "bv[vcodec^=avc1]+ba") << "a raw selector as given";
}

TEST(Quality, ASelectorIsOneArgumentOfSelectorCharacters) {
  for (const char* good : {"", "best", "1080p", "720p", "480p", "audio", "bv*[height<=?720][fps>30]+ba/b",
                           "137+140/best", "bv[vcodec^=avc1]+ba[acodec~='mp4a']"})
    EXPECT_TRUE(validate_format(good).ok()) << good;
  const std::pair<const char*, const char*> bad[] = {
      {"-o /etc/passwd", "begin with '-'"},
      {"best; rm -rf /", "';'"},
      {"bv`id`", "'`'"},
      {"bv\n", "'\n'"},
  };
  for (const auto& [format, says] : bad) {
    auto r = validate_format(format);
    ASSERT_FALSE(r.ok()) << format;
    EXPECT_EQ(r.error().code, "invalid_format");
    EXPECT_NE(r.error().message.find(says), std::string::npos) << r.error().message;
  }
  EXPECT_FALSE(validate_format(std::string(201, 'b')).ok()) << "at most 200 characters";
}

TEST(Quality, FfprobeOutputGivesResolutionCodecsRateAndBitrate) {
  const auto probe = nlohmann::json::parse(R"({
    "streams": [
      {"codec_type": "video", "codec_name": "mjpeg", "width": 300, "height": 300, "disposition": {"attached_pic": 1}},
      {"codec_type": "video", "codec_name": "h264", "width": 1280, "height": 720, "avg_frame_rate": "30000/1001"},
      {"codec_type": "audio", "codec_name": "aac"}
    ],
    "format": {"duration": "12.5", "bit_rate": "2100000"}})");
  auto m = media_from_ffprobe(probe);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->width, 1280) << "a cover picture is not the video";
  EXPECT_EQ(m->height, 720);
  EXPECT_EQ(m->video_codec, "h264");
  EXPECT_EQ(m->audio_codec, "aac");
  EXPECT_DOUBLE_EQ(m->fps, 29.97);
  EXPECT_EQ(m->bitrate, 2'100'000u);
  EXPECT_EQ(media_from_json(to_json(*m)), m) << "round trip through the job's JSON";

  auto audio = media_from_ffprobe(nlohmann::json::parse(R"({"streams":[{"codec_type":"audio","codec_name":"opus"}]})"));
  ASSERT_TRUE(audio);
  EXPECT_EQ(audio->height, 0);
  EXPECT_TRUE(to_json(*audio)["height"].is_null()) << "no video: no resolution";
  EXPECT_FALSE(media_from_ffprobe(nlohmann::json::parse(R"({"streams":[]})")));
}

TEST(Quality, AJobKeepsWhatWasAskedWhatWasRecordedAndItsThumbnail) {
  Job job;
  job.id = "01J";
  job.format = "720p";
  job.media = MediaInfo{1280, 720, "h264", "aac", 25, 1'500'000};
  job.thumbnail = Thumbnail{"show.jpg", "http://h/api/v1/jobs/01J/thumbnail", false};
  const auto pub = to_public_json(job);
  EXPECT_EQ(pub["format"], "720p");
  EXPECT_EQ(pub["media"]["height"], 720);
  EXPECT_EQ(pub["thumbnail"]["url"], "http://h/api/v1/jobs/01J/thumbnail");
  job.pinned = true;
  job.recording_deleted_at = TimePoint(std::chrono::seconds(1'800'000'000));
  EXPECT_EQ(to_public_json(job)["pinned"], true);
  const auto back = from_storage_json(to_storage_json(job));
  EXPECT_TRUE(back.pinned);
  EXPECT_EQ(back.recording_deleted_at, job.recording_deleted_at);
  EXPECT_EQ(back.format, "720p");
  EXPECT_EQ(back.media, job.media);
  EXPECT_EQ(back.thumbnail, job.thumbnail);
  EXPECT_TRUE(to_public_json(Job{})["format"].is_null()) << "not asked: the server's default";
}
