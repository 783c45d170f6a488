#include <gtest/gtest.h>

#include "record/tools.hpp"

namespace chronicle::record {
namespace {

using std::chrono::sys_days;
constexpr auto kToday = sys_days{std::chrono::year{2026} / 12 / 6};

TEST(ToolWarnings, AYtDlpOlderThanNinetyDaysIsStaleAndSaysHowOld) {
  const auto warnings = tool_warnings({{"yt-dlp", "2023.03.04"}, {"ffmpeg", "5.1.6-0+deb12u1"}}, kToday);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("yt-dlp 2023.03.04 is 1373 days old"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[0].find("CHRONICLE_YTDLP"), std::string::npos);
}

TEST(ToolWarnings, ACurrentYtDlpAndFfmpegSayNothing) {
  EXPECT_TRUE(tool_warnings({{"yt-dlp", "2026.11.20"}, {"ffmpeg", "7.1"}}, kToday).empty());
  EXPECT_TRUE(tool_warnings({{"yt-dlp", "2026.09.07.232831"}}, kToday).empty()) << "a nightly, 90 days old";
  EXPECT_EQ(tool_warnings({{"yt-dlp", "2026.09.06.232831"}}, kToday).size(), 1u) << "91 days old";
}

TEST(ToolWarnings, AnFfmpegBeforeFiveIsTooOld) {
  const auto warnings = tool_warnings({{"ffmpeg", "4.4.2-0ubuntu0.22.04.1"}}, kToday);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("older than 5.0"), std::string::npos);
  EXPECT_EQ(tool_warnings({{"ffmpeg", "n4.3"}}, kToday).size(), 1u);
}

TEST(ToolWarnings, VersionsThatAreNotReleasesAreNotJudged) {
  EXPECT_TRUE(tool_warnings({{"yt-dlp", ""}, {"ffmpeg", "N-112233-gabcdef"}}, kToday).empty());
  EXPECT_TRUE(tool_warnings({{"yt-dlp", "unknown"}, {"ffmpeg", ""}}, kToday).empty());
}

}  // namespace
}  // namespace chronicle::record
