// Every documented environment variable reaches the config, and a TOML file applies below it.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/config.hpp"

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
  EXPECT_EQ(c->backend, "aws");
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
  EXPECT_EQ(c->s3_addressing, "virtual");
  EXPECT_EQ(c->sqs_queue, "q.fifo");
  EXPECT_EQ(c->sqs_dead_letter_queue, "d.fifo");
  EXPECT_EQ(c->dynamodb_table, "t");
  EXPECT_EQ(c->job_retention_days, 30);
  EXPECT_EQ(c->launcher, "ecs");
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
  EXPECT_NE(bad.error().message.find("CHRONICLE_HEARTBEAT_INTERVAL must be a number"), std::string::npos);
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
  c.backend = "cloud";
  EXPECT_FALSE(validate(c).ok());
  c.backend = "embedded";
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
