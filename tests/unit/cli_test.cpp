#include <gtest/gtest.h>

#include "cli/chat_commands.hpp"
#include "cli/commands.hpp"

using namespace chronicle::cli;

TEST(Format, HumanUnits) {
  EXPECT_EQ(human_bytes(0), "0 B");
  EXPECT_EQ(human_bytes(1536), "1.5 KiB");
  EXPECT_EQ(human_bytes(5ULL << 30), "5.0 GiB");
  EXPECT_EQ(human_duration(3723.9), "01:02:03");
  EXPECT_EQ(human_bitrate(250000, 1.0), "2.00 Mbit/s");
  EXPECT_EQ(human_bitrate(1000, 0), "-- bit/s");
}

TEST(Format, ProgressLineShowsWhatAUserWatches) {
  nlohmann::json job = {{"id", "01M86KG5H2EFXSSYY3NRPQ5ZFW"},
                        {"status", "recording"},
                        {"bytes", 2 * 1024 * 1024},
                        {"duration_s", 8.0},
                        {"heartbeat_at", nullptr},
                        {"error", nullptr}};
  const auto line = progress_line(job);
  EXPECT_NE(line.find("recording"), std::string::npos);
  EXPECT_NE(line.find("2.0 MiB"), std::string::npos);
  EXPECT_NE(line.find("00:00:08"), std::string::npos);
  EXPECT_NE(line.find("Mbit/s"), std::string::npos);
  job["status"] = "failed";
  job["error"] = {{"code", "recorder_lost"}, {"message", "the recorder died"}};
  EXPECT_NE(progress_line(job).find("the recorder died"), std::string::npos);
}

TEST(Cli, DurationsReadAsUsersWriteThem) {
  EXPECT_EQ(parse_duration("90"), 90.0);
  EXPECT_EQ(parse_duration("90s"), 90.0);
  EXPECT_EQ(parse_duration("15m"), 900.0);
  EXPECT_EQ(parse_duration("2h"), 7200.0);
  EXPECT_EQ(parse_duration("1h30m"), 5400.0);
  EXPECT_EQ(parse_duration("1.5h"), 5400.0);
  EXPECT_EQ(parse_duration("1d"), 86400.0);
  for (const char* bad : {"", "soon", "-5", "+5", "1h30", "5x", "h", "2h-1m"}) EXPECT_FALSE(parse_duration(bad)) << bad;
}

TEST(Cli, ChatLinesAreSafeForATerminal) {
  using chronicle::cli::chat_line;
  using chronicle::cli::terminal_safe;
  EXPECT_EQ(terminal_safe("plain é ✓"), "plain é ✓");
  EXPECT_EQ(terminal_safe("\x1b[2Jgone"), "\\u001b[2Jgone") << "no escape sequence reaches the terminal";
  EXPECT_EQ(terminal_safe("a\xe2\x80\xae"
                          "b"),
            "a\\u202eb")
      << "no bidi override reorders the line";
  EXPECT_EQ(terminal_safe("\xc2\x9b"
                          "x"),
            "\\u009bx")
      << "nor a C1 control";
  EXPECT_EQ(terminal_safe("bad \xff"), "bad \xef\xbf\xbd");
  EXPECT_EQ(
      chat_line(nlohmann::json::parse(R"({"type":"message","author":"Ronni","text":"hi","at_s":62.5,"bits":100})")),
      "[1:02.5] Ronni: hi (100 bits)");
  EXPECT_EQ(chat_line(nlohmann::json::parse(
                R"({"type":"message","author":"R","text":"waves","action":true,"at_s":1,"in_gap":true})")),
            "[0:01.0] R waves  (while the video was away)");
  EXPECT_EQ(chat_line(nlohmann::json::parse(R"({"type":"clear","login":null,"at_s":0})")),
            "[0:00.0] * the chat was cleared");
  EXPECT_EQ(chat_line(nlohmann::json::parse(R"({"type":"somethingnew","at_s":0})")), "");
}
