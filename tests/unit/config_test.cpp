// Every documented environment variable reaches the config, and a TOML file applies below it.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include "core/settings.hpp"

using namespace chronicle;

namespace {
struct Env {
  std::vector<std::string> names;
  void set(const char* name, const char* value) {
    ::setenv(name, value, 1);
    names.push_back(name);
  }
  ~Env() {
    for (const auto& n : names) ::unsetenv(n.c_str());
  }
};
}  // namespace

TEST(Config, EnvironmentOverridesEverySetting) {
  Env e;
  e.set("CHRONICLE_DATA", "/srv/chr");
  e.set("CHRONICLE_LISTEN", "0.0.0.0:9000");
  e.set("CHRONICLE_PUBLIC_URL", "https://rec.example/");
  e.set("CHRONICLE_ALLOW_PRIVATE_NETWORKS", "1");
  e.set("CHRONICLE_TOKEN", "t0k");
  e.set("CHRONICLE_BACKEND", "aws");
  e.set("CHRONICLE_MAX_RECORDINGS", "7");
  e.set("CHRONICLE_HEARTBEAT_INTERVAL", "2");
  e.set("CHRONICLE_HEARTBEAT_STALE", "9");
  e.set("CHRONICLE_PROBE_TIMEOUT", "11");
  e.set("CHRONICLE_MAX_RECEIVES", "3");
  e.set("CHRONICLE_YTDLP", "/opt/yt-dlp");
  e.set("CHRONICLE_FFMPEG", "/opt/ffmpeg");
  e.set("CHRONICLE_YTDLP_FORMAT", "best");
  e.set("CHRONICLE_WEB_ROOT", "/srv/web");
  e.set("CHRONICLE_LOG_LEVEL", "debug");
  e.set("CHRONICLE_TORRENT", "0");
  e.set("CHRONICLE_TORRENT_HYBRID", "1");
  e.set("CHRONICLE_TRACKERS", "http://t1/announce,udp://t2:80/announce");
  e.set("CHRONICLE_TRACKER", "0");
  e.set("CHRONICLE_TRACKER_LISTEN", "127.0.0.1:7000");
  e.set("CHRONICLE_OPENTRACKER", "/opt/ot");
  e.set("CHRONICLE_SEED", "0");
  e.set("CHRONICLE_SEED_LISTEN", "127.0.0.1:7001");
  e.set("CHRONICLE_SEED_DHT", "1");
  e.set("CHRONICLE_SEED_LSD", "1");
  e.set("CHRONICLE_SEED_UPNP", "1");
  e.set("CHRONICLE_SEED_NATPMP", "1");
  e.set("CHRONICLE_SEED_RATIO", "2.5");
  e.set("CHRONICLE_SEED_TIME", "3600");
  e.set("CHRONICLE_SEED_ACTIVE", "12");
  e.set("CHRONICLE_TORRENT_WATCH_DIR", "/srv/watch");
  e.set("CHRONICLE_S3_BUCKET", "b");
  e.set("CHRONICLE_S3_ADDRESSING", "virtual");
  e.set("CHRONICLE_SQS_QUEUE", "q.fifo");
  e.set("CHRONICLE_SQS_DLQ", "d.fifo");
  e.set("CHRONICLE_DYNAMODB_TABLE", "t");
  e.set("CHRONICLE_JOB_RETENTION_DAYS", "30");
  e.set("CHRONICLE_LAUNCHER", "ecs");
  e.set("CHRONICLE_ECS_CLUSTER", "cl");
  e.set("CHRONICLE_ECS_TASK_DEFINITION", "td:3");
  e.set("CHRONICLE_ECS_CONTAINER", "rec");
  e.set("CHRONICLE_ECS_SUBNETS", "subnet-a,subnet-b");
  e.set("CHRONICLE_ECS_SECURITY_GROUPS", "sg-1");
  auto c = load_config(std::nullopt);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->data_dir, "/srv/chr");
  EXPECT_EQ(c->listen, "0.0.0.0:9000");
  EXPECT_EQ(c->effective_public_url(), "https://rec.example");
  EXPECT_EQ(c->public_host(), "rec.example");
  EXPECT_TRUE(c->allow_private_networks);
  EXPECT_EQ(c->token, "t0k");
  EXPECT_EQ(c->backend, BackendKind::aws);
  EXPECT_EQ(c->max_concurrent_recordings, 7);
  EXPECT_EQ(c->heartbeat_interval_s, 2);
  EXPECT_EQ(c->heartbeat_stale_s, 9);
  EXPECT_EQ(c->probe_timeout_s, 11);
  EXPECT_EQ(c->max_receive_count, 3);
  EXPECT_EQ(c->ytdlp, "/opt/yt-dlp");
  EXPECT_EQ(c->ffmpeg, "/opt/ffmpeg");
  EXPECT_EQ(c->ytdlp_format, "best");
  EXPECT_EQ(c->web_root, "/srv/web");
  EXPECT_EQ(c->log_level, "debug");
  EXPECT_FALSE(c->torrent_enabled);
  EXPECT_TRUE(c->torrent_hybrid);
  EXPECT_EQ(c->trackers, (std::vector<std::string>{"http://t1/announce", "udp://t2:80/announce"}));
  EXPECT_EQ(c->announce_urls(), c->trackers);
  EXPECT_FALSE(c->tracker_enabled);
  EXPECT_EQ(c->tracker_listen, "127.0.0.1:7000");
  EXPECT_EQ(c->opentracker, "/opt/ot");
  EXPECT_FALSE(c->seed_enabled);
  EXPECT_EQ(c->seed_listen, "127.0.0.1:7001");
  EXPECT_TRUE(c->seed_dht && c->seed_lsd && c->seed_upnp && c->seed_natpmp);
  EXPECT_EQ(c->seed_ratio_limit, 2.5);
  EXPECT_EQ(c->seed_time_limit_s, 3600);
  EXPECT_EQ(c->seed_active_limit, 12);
  EXPECT_EQ(c->torrent_watch_dir, "/srv/watch");
  EXPECT_EQ(c->s3_bucket, "b");
  EXPECT_EQ(c->s3_addressing, S3Addressing::virtual_hosted);
  EXPECT_EQ(c->sqs_queue, "q.fifo");
  EXPECT_EQ(c->sqs_dead_letter_queue, "d.fifo");
  EXPECT_EQ(c->dynamodb_table, "t");
  EXPECT_EQ(c->job_retention_days, 30);
  EXPECT_EQ(c->launcher, LauncherKind::ecs);
  EXPECT_EQ(c->ecs_cluster, "cl");
  EXPECT_EQ(c->ecs_task_definition, "td:3");
  EXPECT_EQ(c->ecs_container, "rec");
  EXPECT_EQ(c->ecs_subnets, (std::vector<std::string>{"subnet-a", "subnet-b"}));
  EXPECT_EQ(c->ecs_security_groups, std::vector<std::string>{"sg-1"});
}

TEST(Config, FileBelowEnvironmentAndClearErrors) {
  const auto path = std::filesystem::temp_directory_path() / "chronicle-config-test.toml";
  std::ofstream(path)
      << "listen = \"127.0.0.1:9100\"\nmax_concurrent_recordings = 2\ntrackers = [\"http://x/announce\"]\n"
         "seed_ratio_limit = 1.5\n";
  Env e;
  e.set("CHRONICLE_MAX_RECORDINGS", "5");
  auto c = load_config(path);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->listen, "127.0.0.1:9100");
  EXPECT_EQ(c->max_concurrent_recordings, 5) << "the environment wins over the file";
  EXPECT_EQ(c->trackers, std::vector<std::string>{"http://x/announce"});
  EXPECT_EQ(c->seed_ratio_limit, 1.5);
  e.set("CHRONICLE_HEARTBEAT_INTERVAL", "soon");
  auto bad = load_config(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message,
            "CHRONICLE_HEARTBEAT_INTERVAL: heartbeat_interval_s must be a number of at least 0.001, got 'soon'");
  std::ofstream(path) << "listen = \n";
  ::unsetenv("CHRONICLE_HEARTBEAT_INTERVAL");
  auto broken = load_config(path);
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.error().message.find("cannot read"), std::string::npos);
  std::filesystem::remove(path);
}

TEST(Config, Validation) {
  Config c;
  c.data_dir = "/tmp";
  EXPECT_TRUE(validate(c).ok());
  c.heartbeat_stale_s = c.heartbeat_interval_s;
  EXPECT_NE(validate(c).error().message.find("twice the heartbeat interval"), std::string::npos);
}

TEST(Config, StreamsAndDiskSettings) {
  EXPECT_EQ(*parse_bytes("x", "2G"), 2ull << 30);
  EXPECT_EQ(*parse_bytes("x", "512MiB"), 512ull << 20);
  EXPECT_EQ(*parse_bytes("x", "1048576"), 1048576u);
  EXPECT_EQ(*parse_bytes("x", "1.5k"), 1536u);
  EXPECT_EQ(parse_bytes("CHRONICLE_DISK_RESERVE", "lots").error().code, "invalid_config");
  EXPECT_NE(parse_bytes("CHRONICLE_DISK_RESERVE", "2X").error().message.find("CHRONICLE_DISK_RESERVE"),
            std::string::npos);
  Config c;
  EXPECT_EQ(c.disk_reserve_for(10ull << 30), 2ull << 30) << "at least 2 GiB";
  EXPECT_EQ(c.disk_reserve_for(1000ull << 30), 50ull << 30) << "5% of a large filesystem";
  EXPECT_EQ(c.disk_floor_for(1000ull << 30), (50ull << 30) / 4);
  c.disk_reserve_bytes = 100;
  c.disk_floor_bytes = 10;
  EXPECT_EQ(c.disk_reserve_for(1ull << 40), 100u);
  EXPECT_EQ(c.disk_floor_for(1ull << 40), 10u);
  EXPECT_DOUBLE_EQ(c.stall_timeout_for(2), 30) << "the stall timeout, or";
  EXPECT_DOUBLE_EQ(c.stall_timeout_for(12), 36) << "three target durations when longer";
  c.disk_floor_bytes = 1000;
  EXPECT_FALSE(validate(c)) << "a floor above the reserve";
}

// Each value is read as its type: integers as integers, enums as one of their names, on/off as
// on/off; the error names where the value came from and what was expected.
TEST(Config, TrackerAndSeederFollowTheApiOffTheNetwork) {
  Config c;  // the API on loopback: nothing offered to the network by default
  EXPECT_EQ(c.effective_tracker_listen(), "127.0.0.1:6969");
  EXPECT_EQ(c.effective_seed_listen(), "127.0.0.1:6881");
  EXPECT_EQ(c.announce_urls().front(), "http://127.0.0.1:6969/announce");
  c.public_url = "https://rec.example.org";  // peers come from wherever that is reached
  EXPECT_EQ(c.effective_tracker_listen(), "0.0.0.0:6969");
  EXPECT_EQ(c.announce_urls().front(), "http://rec.example.org:6969/announce");
  c.public_url.clear();
  c.listen = "0.0.0.0:8080";
  EXPECT_EQ(c.effective_seed_listen(), "0.0.0.0:6881");
  c.seed_listen = "10.0.0.5:7000";  // as set, whatever the API
  EXPECT_EQ(c.effective_seed_listen(), "10.0.0.5:7000");
}

TEST(Settings, ValuesAreCheckedAsTheirTypes) {
  struct Case {
    const char* env;
    const char* value;
    const char* message;
  };
  const Case cases[] = {
      {"CHRONICLE_MAX_RECORDINGS", "7.5",
       "CHRONICLE_MAX_RECORDINGS: max_concurrent_recordings must be a whole number of at least 1, got '7.5'"},
      {"CHRONICLE_MAX_RECORDINGS", "0",
       "CHRONICLE_MAX_RECORDINGS: max_concurrent_recordings must be a whole number of at least 1, got '0'"},
      {"CHRONICLE_DISPATCH_CONCURRENCY", "300",
       "CHRONICLE_DISPATCH_CONCURRENCY: dispatch_concurrency must be a whole number between 1 and 256, got '300'"},
      {"CHRONICLE_BACKEND", "cloud", "CHRONICLE_BACKEND: backend must be one of embedded|aws, got 'cloud'"},
      {"CHRONICLE_LAUNCHER", "k8s", "CHRONICLE_LAUNCHER: launcher must be one of process|ecs, got 'k8s'"},
      {"CHRONICLE_LOG_LEVEL", "loud",
       "CHRONICLE_LOG_LEVEL: log_level must be one of trace|debug|info|warn|error|critical|off, got 'loud'"},
      {"CHRONICLE_SEED", "maybe",
       "CHRONICLE_SEED: seed_enabled must be on or off (1/0, true/false, yes/no), got 'maybe'"},
      {"CHRONICLE_ALLOW_NETWORKS", "10.0.0.0/99", "CHRONICLE_ALLOW_NETWORKS: allow_networks: "},
      {"CHRONICLE_MAX_BODY", "lots", "CHRONICLE_MAX_BODY: max_body_bytes must be a size in bytes"},
  };
  for (const auto& c : cases) {
    Env e;
    e.set(c.env, c.value);
    auto loaded = load_config(std::nullopt);
    ASSERT_FALSE(loaded.ok()) << c.env << "=" << c.value;
    EXPECT_EQ(loaded.error().message.substr(0, std::string(c.message).size()), c.message) << loaded.error().message;
  }
}

TEST(Settings, EverySettingIsNamedOnceAndReadableFromTheFile) {
  std::set<std::string_view> keys, envs;
  const Config defaults;
  const auto path = std::filesystem::temp_directory_path() / "chronicle-settings-test.toml";
  for (const auto& s : settings()) {
    EXPECT_TRUE(keys.insert(s.key).second) << "TOML key twice: " << s.key;
    EXPECT_TRUE(envs.insert(s.env).second) << "environment name twice: " << s.env;
    EXPECT_TRUE(s.env.starts_with("CHRONICLE_")) << s.env;
    EXPECT_FALSE(s.help.empty()) << s.key;
    // What `chronicle config` shows is read back as the same value, from a file.
    Config c;
    const std::string shown = s.get(defaults);
    if (shown.empty()) continue;
    std::ofstream(path) << s.key << " = \"" << shown << "\"\n";
    auto loaded = load_settings(path);
    ASSERT_TRUE(loaded.ok()) << s.key << ": " << loaded.error().message;
    EXPECT_EQ(s.get(loaded->config), shown) << s.key;
    EXPECT_EQ(loaded->sources.at(std::string(s.key)), "file " + path.string()) << s.key;
  }
  std::filesystem::remove(path);
}

TEST(Settings, SourcesAreReportedAndFlagsComeLast) {
  const auto path = std::filesystem::temp_directory_path() / "chronicle-settings-sources.toml";
  std::ofstream(path)
      << "listen = \"127.0.0.1:9100\"\nmax_concurrent_recordings = 3\ntrackers = [\"http://a/x\", \"http://b/y\"]\n";
  Env e;
  e.set("CHRONICLE_MAX_RECORDINGS", "6");
  e.set("CHRONICLE_TOKEN", "s3cret");
  auto loaded = load_settings(path, {{"data_dir", "/srv/flag"}});
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->sources.at("listen"), "file " + path.string());
  EXPECT_EQ(loaded->sources.at("max_concurrent_recordings"), "env CHRONICLE_MAX_RECORDINGS");
  EXPECT_EQ(loaded->config.max_concurrent_recordings, 6);
  EXPECT_EQ(loaded->sources.at("data_dir"), "flag --data");
  EXPECT_EQ(loaded->config.data_dir, "/srv/flag");
  EXPECT_EQ(loaded->sources.at("probe_timeout_s"), "default");
  EXPECT_EQ(loaded->config.trackers, (std::vector<std::string>{"http://a/x", "http://b/y"}));
  const Setting* token = find_setting("token");
  ASSERT_TRUE(token);
  EXPECT_EQ(shown_value(*token, loaded->config).find("s3cret"), std::string::npos) << "secrets are masked";

  std::ofstream(path) << "max_concurent_recordings = 3\n";
  auto typo = load_settings(path);
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.error().message.find("max_concurent_recordings is not a setting"), std::string::npos);
  std::ofstream(path) << "max_concurrent_recordings = 2.5\n";
  auto fractional = load_settings(path);
  ASSERT_FALSE(fractional.ok());
  EXPECT_NE(fractional.error().message.find("must be a whole number"), std::string::npos);
  std::filesystem::remove(path);
}

// The README's configuration table is the settings table: nothing documented that does not exist,
// nothing that exists undocumented.
TEST(Settings, TheReadmeTableIsTheSettingsTable) {
  std::ifstream in(std::filesystem::path(CHRONICLE_SOURCE_DIR) / "README.md");
  const std::string readme((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string begin = "<!-- settings table: `chronicle config --markdown` -->\n",
                    end = "<!-- end of settings table -->";
  const auto from = readme.find(begin);
  ASSERT_NE(from, std::string::npos) << "README.md has no settings table";
  const auto to = readme.find(end, from);
  ASSERT_NE(to, std::string::npos);
  EXPECT_EQ(readme.substr(from + begin.size(), to - from - begin.size()), settings_markdown())
      << "update README.md with the output of `chronicle config --markdown`";
}
