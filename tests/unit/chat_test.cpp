// Twitch's IRC dialect read into what the chat archive keeps.
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "chat/irc.hpp"
#include "chat/twitch.hpp"
#include "chat/youtube.hpp"
#include "contract/jobs.hpp"
#include "record/chat_capture.hpp"
#include "store/sqlite/sqlite_job_store.hpp"
#include "sys/process.hpp"
#include "temp_dir.hpp"

using namespace chronicle::chat;
namespace fs = std::filesystem;

TEST(Irc, TagsPrefixCommandAndTrailingAreRead) {
  auto m = parse_irc(
      "@badge-info=;badges=broadcaster/1,premium/1;color=#8A2BE2;display-name=Ronni;emotes=25:0-4,12-16/1902:6-10;"
      "id=b34ccfc7-4977-403a-8a94-33c6bac34fb8;mod=0;tmi-sent-ts=1507246572675;user-type= "
      ":ronni!ronni@ronni.tmi.twitch.tv PRIVMSG #channel :Kappa Keepo Kappa\r\n");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->command, "PRIVMSG");
  EXPECT_EQ(m->nick(), "ronni");
  EXPECT_EQ(m->params, (std::vector<std::string>{"#channel", "Kappa Keepo Kappa"}));
  EXPECT_EQ(m->tags.at("badge-info"), "");
  auto r = chat_record(*m);
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)["type"], "message");
  EXPECT_EQ((*r)["author"], "Ronni");
  EXPECT_EQ((*r)["login"], "ronni");
  EXPECT_EQ((*r)["color"], "#8A2BE2");
  EXPECT_EQ((*r)["badges"], nlohmann::json({"broadcaster/1", "premium/1"}));
  EXPECT_EQ((*r)["emotes"], nlohmann::json::parse(R"([{"id":"25","start":0,"end":4},{"id":"25","start":12,"end":16},
                                                    {"id":"1902","start":6,"end":10}])"));
  EXPECT_EQ((*r)["text"], "Kappa Keepo Kappa");
  EXPECT_EQ((*r)["sent_ms"], 1507246572675LL);
  EXPECT_EQ((*r)["id"], "b34ccfc7-4977-403a-8a94-33c6bac34fb8");
}

TEST(Irc, EscapedTagValuesAndActionsAndBits) {
  auto m = parse_irc(
      "@bits=100;display-name=;system-msg=a\\sb\\:c\\\\d\\ne :cheer!cheer@x PRIVMSG #c :\x01"
      "ACTION waves\x01");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->tags.at("system-msg"), "a b;c\\d\ne");
  auto r = chat_record(*m);
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)["text"], "waves");
  EXPECT_EQ((*r)["action"], true);
  EXPECT_EQ((*r)["bits"], 100);
  EXPECT_EQ((*r)["author"], "cheer") << "no display name: the login";
}

TEST(Irc, ModerationIsKeptAsEvents) {
  auto deleted = chat_record(*parse_irc(
      "@login=ronni;target-msg-id=abc-1;tmi-sent-ts=1642720582342 :tmi.twitch.tv CLEARMSG #dallas :HeyGuys"));
  ASSERT_TRUE(deleted);
  EXPECT_EQ((*deleted)["type"], "delete");
  EXPECT_EQ((*deleted)["target_id"], "abc-1");
  auto timeout = chat_record(*parse_irc("@ban-duration=350;target-user-id=1 :tmi.twitch.tv CLEARCHAT #dallas :ronni"));
  ASSERT_TRUE(timeout);
  EXPECT_EQ((*timeout)["type"], "clear");
  EXPECT_EQ((*timeout)["login"], "ronni");
  EXPECT_EQ((*timeout)["duration_s"], 350);
  auto ban = chat_record(*parse_irc("@room-id=1 :tmi.twitch.tv CLEARCHAT #dallas :ronni"));
  EXPECT_TRUE((*ban)["duration_s"].is_null()) << "a ban has no duration";
  auto all = chat_record(*parse_irc(":tmi.twitch.tv CLEARCHAT #dallas"));
  EXPECT_TRUE((*all)["login"].is_null()) << "the whole chat";
  auto raid =
      chat_record(*parse_irc("@msg-id=raid;login=raider;display-name=Raider;msg-param-viewerCount=42;"
                             "system-msg=42\\sraiders\\sfrom\\sRaider :tmi.twitch.tv USERNOTICE #dallas"));
  ASSERT_TRUE(raid);
  EXPECT_EQ((*raid)["kind"], "raid");
  EXPECT_EQ((*raid)["viewers"], 42);
  EXPECT_EQ((*raid)["system_text"], "42 raiders from Raider");
  EXPECT_TRUE((*raid)["text"].is_null());
  auto resub = chat_record(*parse_irc("@msg-id=resub;login=a :tmi.twitch.tv USERNOTICE #dallas :Great stream"));
  EXPECT_EQ((*resub)["text"], "Great stream");
}

TEST(Irc, WhatIsNotChatIsLeftOutAndNothingThrows) {
  EXPECT_FALSE(chat_record(*parse_irc("PING :tmi.twitch.tv")));
  EXPECT_FALSE(chat_record(*parse_irc(":justinfan1!justinfan1@x JOIN #dallas")));
  EXPECT_FALSE(chat_record(*parse_irc(":tmi.twitch.tv CAP * ACK :twitch.tv/tags twitch.tv/commands")));
  EXPECT_FALSE(parse_irc(""));
  EXPECT_FALSE(parse_irc("@a=b"));
  EXPECT_FALSE(parse_irc(":prefix-only"));
  // Invalid UTF-8, control characters and bidi overrides stay as text; the record still serializes.
  auto odd = chat_record(
      *parse_irc(std::string(":x!x@x PRIVMSG #c :\xff\xfe\x1b[31m\xe2\x80\xae<script>") + std::string(30 << 10, 'a')));
  ASSERT_TRUE(odd);
  const std::string line = odd->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  EXPECT_NE(line.find("\\u001b[31m"), std::string::npos);
  EXPECT_NE(line.find("<script>"), std::string::npos) << "text, escaped when shown, never dropped";
  EXPECT_GT(line.size(), 30u << 10);
  for (const char* broken :
       {"@", "@;;;", "@=x :p CMD", "@a=\\ :p CMD x", ": CMD", "CMD :", "@emotes=25:4-1,x-y/:/ :a PRIVMSG #c :t"})
    if (auto m = parse_irc(broken)) (void)chat_record(*m);
}

TEST(YoutubeChat, LinesOfYtDlpsLiveChatFileBecomeRecords) {
  // A message as yt-dlp writes it for a live chat: the action wrapped as a replay action.
  const std::string text = R"({"replayChatItemAction": {"actions": [{"addChatItemAction": {"item": {
    "liveChatTextMessageRenderer": {"id": "m1", "timestampUsec": "1796597093074123",
      "authorName": {"simpleText": "Ann"}, "authorExternalChannelId": "UCann",
      "authorBadges": [{"liveChatAuthorBadgeRenderer": {"tooltip": "Moderator"}}],
      "message": {"runs": [{"text": "hé "}, {"emoji": {"emojiId": "a/b", "shortcuts": [":_hi:"],
        "isCustomEmoji": true}}, {"text": " "}, {"emoji": {"emojiId": "😀", "shortcuts": [":grin:"]}}]}}}}}]},
    "videoOffsetTimeMsec": "1200", "isLive": true})";
  auto records = chronicle::chat::youtube_chat_records(text);
  ASSERT_EQ(records.size(), 1u);
  const auto& m = records[0];
  EXPECT_EQ(m["type"], "message");
  EXPECT_EQ(m["id"], "m1");
  EXPECT_EQ(m["author"], "Ann");
  EXPECT_EQ(m["login"], "UCann");
  EXPECT_EQ(m["badges"], nlohmann::json::array({"Moderator"}));
  EXPECT_EQ(m["text"], "hé :_hi: 😀");
  // Ranges in code points, as Twitch gives them: "hé " is 3.
  EXPECT_EQ(m["emotes"], nlohmann::json::parse(R"([{"id": "a/b", "start": 3, "end": 7}])"));
  EXPECT_EQ(m["sent_ms"], 1796597093074);

  auto paid = chronicle::chat::youtube_chat_records(
      R"({"addChatItemAction": {"item": {"liveChatPaidMessageRenderer": {"id": "p", "authorName": {"simpleText": "B"},
      "purchaseAmountText": {"simpleText": "€2.00"}}}}})");
  ASSERT_EQ(paid.size(), 1u);
  EXPECT_EQ(paid[0]["paid"], "€2.00");
  EXPECT_EQ(paid[0]["text"], "");

  auto member = chronicle::chat::youtube_chat_records(
      R"({"addChatItemAction": {"item": {"liveChatMembershipItemRenderer": {"id": "s", "authorName": {"simpleText": "C"},
      "headerSubtext": {"runs": [{"text": "Welcome to "}, {"text": "the club"}]}}}}})");
  ASSERT_EQ(member.size(), 1u);
  EXPECT_EQ(member[0]["type"], "notice");
  EXPECT_EQ(member[0]["kind"], "membership");
  EXPECT_EQ(member[0]["system_text"], "Welcome to the club");

  auto deleted = chronicle::chat::youtube_chat_records(
      R"({"replayChatItemAction": {"actions": [{"markChatItemAsDeletedAction": {"targetItemId": "m1",
      "deletedStateMessage": {"runs": [{"text": "[message deleted]"}]}}},
      {"markChatItemsByAuthorAsDeletedAction": {"externalChannelId": "UCann"}}]}})");
  ASSERT_EQ(deleted.size(), 2u);
  EXPECT_EQ(deleted[0]["type"], "delete");
  EXPECT_EQ(deleted[0]["target_id"], "m1");
  EXPECT_EQ(deleted[1]["type"], "clear");
  EXPECT_EQ(deleted[1]["login"], "UCann");
}

TEST(YoutubeChat, WhatIsNotChatAndBrokenLinesGiveNothing) {
  for (const char* line :
       {"", "{", "[]", "null", R"({"replayChatItemAction": {"actions": 5}})",
        R"({"addLiveChatTickerItemAction": {"item": {}}})", R"({"addChatItemAction": {"item": {"x": {}}}})",
        R"({"addChatItemAction": {"item": {"liveChatTextMessageRenderer": 7}}})",
        R"({"addChatItemAction": {"item": {"liveChatTextMessageRenderer": {"message": {"runs": [5, {"emoji": 1}]},
        "timestampUsec": "99999999999999999999999"}}}})",
        R"({"replayChatItemAction": {"actions": [{"addChatItemAction": {"item": {"liveChatTextMessageRenderer")"}) {
    auto records = chronicle::chat::youtube_chat_records(line);
    for (const auto& r : records) EXPECT_FALSE(r.contains("sent_ms")) << line;
  }
  EXPECT_TRUE(chronicle::chat::is_youtube_url("https://www.youtube.com/watch?v=x"));
  EXPECT_TRUE(chronicle::chat::is_youtube_url("youtu.be/x"));
  EXPECT_FALSE(chronicle::chat::is_youtube_url("https://www.youtube.com.example/watch?v=x"));
}

// tests/e2e/twitch_irc.py for #somebody with `args`, on a port of its own; stopped (by its PID)
// when the test ends, whatever the test asserted.
struct TwitchServer {
  chronicle::sys::Child child;
  std::string port;
  explicit TwitchServer(const std::vector<std::string>& args) {
    chronicle::sys::SpawnOptions spawn;
    spawn.argv = {"/usr/bin/python3", std::string(CHRONICLE_SOURCE_DIR) + "/tests/e2e/twitch_irc.py", "--channel",
                  "somebody"};
    spawn.argv.insert(spawn.argv.end(), args.begin(), args.end());
    spawn.capture_stdout = true;
    auto started = chronicle::sys::spawn(spawn);
    if (!started) return;
    child = *started;
    char c = 0;
    while (::read(child.stdout_fd, &c, 1) == 1 && c != '\n') port += c;
  }
  ~TwitchServer() {
    if (child.pid <= 0) return;
    ::kill(child.pid, SIGTERM);
    chronicle::sys::wait_for(child.pid);
    if (child.stdout_fd >= 0) ::close(child.stdout_fd);
  }
  TwitchServer(const TwitchServer&) = delete;
  TwitchServer& operator=(const TwitchServer&) = delete;
};

// The client against a local server speaking Twitch's dialect over WebSocket (tests/e2e/twitch_irc.py):
// every message the server delivered or replayed is passed once and in order, PINGs are answered,
// a forced disconnect is marked and followed by a reconnect, a deleted message is an event.
TEST(TwitchChat, ReadsAChannelThroughADisconnectAndMarksIt) {
  namespace fs = std::filesystem;
  const fs::path log = fs::temp_directory_path() / ("chat-sent-" + std::to_string(::getpid()) + ".jsonl");
  fs::remove(log);
  TwitchServer server({"--messages", "60", "--interval-ms", "20", "--drop-after", "30", "--replay", "5", "--ping-ms",
                       "300", "--log", log.string()});
  const std::string& port = server.port;
  ASSERT_FALSE(port.empty()) << "the test server did not start (python3-websockets installed?)";

  std::mutex mutex;
  std::vector<nlohmann::json> got;
  std::atomic<bool> done{false};
  TwitchChatOptions o;
  o.url = "ws://127.0.0.1:" + port + "/";
  o.channel = "somebody";
  o.policy.allow_private_networks = true;
  o.resolve = [](const std::string& host) -> chronicle::Result<std::vector<chronicle::IpAddress>> {
    return std::vector<chronicle::IpAddress>{*chronicle::parse_ip_literal(host)};
  };
  o.on_record = [&](nlohmann::json r) {
    std::lock_guard lock(mutex);
    got.push_back(std::move(r));
  };
  o.stop = [&] { return done.load(); };
  o.first_backoff = std::chrono::milliseconds(100);
  std::thread reader([&] { EXPECT_TRUE(run_twitch_chat(o)); });
  // The server logs "done" once it has sent everything.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  std::vector<nlohmann::json> sent;
  while (std::chrono::steady_clock::now() < deadline) {
    sent.clear();
    std::ifstream in(log);
    for (std::string line; std::getline(in, line);) sent.push_back(nlohmann::json::parse(line));
    if (!sent.empty() && sent.back()["type"] == "done") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  done = true;
  reader.join();
  ASSERT_FALSE(sent.empty());
  ASSERT_EQ(sent.back()["type"], "done");
  EXPECT_GE(sent.back()["pongs"].get<int>(), 1) << "PINGs are answered";
  EXPECT_EQ(sent.back()["connections"].get<int>(), 2) << "one reconnect after the forced disconnect";

  std::vector<std::string> ids, expected;
  std::set<std::string> delivered;
  for (const auto& s : sent)
    if (s["type"] == "message" && s["delivered"].get<bool>()) delivered.insert(s["id"].get<std::string>());
  // What a reconnect gets back: the last five made before it rejoined.
  bool disconnected = false, reconnected = false, deleted = false, raid = false;
  std::size_t marks_at = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const auto& r = got[i];
    if (r["type"] == "message") ids.push_back(r["id"].get<std::string>());
    if (r["type"] == "disconnected") {
      disconnected = true;
      marks_at = ids.size();
    }
    if (r["type"] == "connected") reconnected = disconnected;
    if (r["type"] == "delete") deleted = r["target_id"] == "msg-3";
    if (r["type"] == "notice") raid = r["kind"] == "raid" && r["viewers"] == 42;
  }
  EXPECT_TRUE(disconnected && reconnected && deleted && raid);
  EXPECT_EQ(marks_at, 30u) << "the disconnect is marked right after the last message before it";
  std::set<std::string> unique(ids.begin(), ids.end());
  EXPECT_EQ(unique.size(), ids.size()) << "a replayed message is kept once";
  for (const auto& id : delivered) EXPECT_TRUE(unique.count(id)) << id << " was delivered and is missing";
  // In order: message numbers only go up.
  int last = 0;
  for (const auto& id : ids) {
    const int n = std::stoi(id.substr(4));
    EXPECT_GT(n, last) << id;
    last = n;
  }
  EXPECT_EQ(ids.back(), "msg-60");
  fs::remove(log);
}

// A recorder that takes over a job goes on with its chat file, and what the site sends again at
// the new connection (Twitch's replay of recent messages) is not kept a second time.
TEST(ChatCapture, ARecorderTakingOverKeepsEachMessageOnce) {
  namespace fs = std::filesystem;
  chronicle::test_support::TempDir dir;
  const fs::path log = dir.path / "sent.jsonl";
  TwitchServer server({"--messages", "40", "--interval-ms", "30", "--replay", "10", "--log", log.string()});
  const std::string& port = server.port;
  ASSERT_FALSE(port.empty());

  auto db = *chronicle::sqlite::Db::open(dir.path / "db");
  auto store = std::move(*chronicle::sqlite::SqliteJobStore::open(db));
  const auto job = store->create_or_get_active(chronicle::contract::new_job("https://www.twitch.tv/somebody"))->job;
  chronicle::Config config;
  config.chat = true;
  config.twitch_irc_url = "ws://127.0.0.1:" + port + "/";
  config.allow_private_networks = true;
  const fs::path work = dir.path / "work";
  fs::create_directories(work);
  const auto lines = [&](const fs::path& file) {
    std::vector<nlohmann::json> out;
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
    return out;
  };
  const auto started = std::chrono::steady_clock::now();
  const auto position = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  };
  // The first recorder ends (a crash, as far as the file knows) after 15 messages...
  chronicle::record::capture_chat(
      config, *store, job, "twitch", work, "",
      {position, [] { return false; }, [&] { return lines(chronicle::record::chat_file(work)).size() >= 15; }});
  // ... and the next goes on until the server has sent everything.
  chronicle::record::capture_chat(config, *store, job, "twitch", work, "",
                                  {position, [] { return false; },
                                   [&] {
                                     const auto sent = lines(log);
                                     return !sent.empty() && sent.back()["type"] == "done";
                                   }});

  std::vector<std::string> ids;
  for (const auto& r : lines(chronicle::record::chat_file(work)))
    if (r["type"] == "message") ids.push_back(r["id"].get<std::string>());
  const std::set<std::string> unique(ids.begin(), ids.end());
  EXPECT_EQ(unique.size(), ids.size()) << "the replay at the second connection is not kept twice";
  EXPECT_GE(ids.size(), 15u);
  const auto counted = chronicle::record::chat_counts(chronicle::record::chat_file(work));
  EXPECT_EQ(counted.first, ids.size());
}
