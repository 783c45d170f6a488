#pragma once
// One table of settings with their defaults. Sources apply in order: defaults, the TOML
// file (--config), the environment (CHRONICLE_*), then command-line flags.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "core/url_policy.hpp"

namespace chronicle {

struct Config {
  std::filesystem::path data_dir;         // CHRONICLE_DATA, data_dir
  std::string listen = "127.0.0.1:8080";  // CHRONICLE_LISTEN, listen
  std::string public_url;                 // CHRONICLE_PUBLIC_URL, public_url (default http://<listen>)
  bool allow_private_networks = false;    // CHRONICLE_ALLOW_PRIVATE_NETWORKS: every local network
  // Local networks a recording may reach, e.g. "127.0.0.2/32,10.1.0.0/16"; metadata never.
  std::vector<Network> allowed_networks;  // CHRONICLE_ALLOW_NETWORKS, allow_networks
  // Needed for every API request when set. A server that listens beyond loopback without one
  // creates one in the data directory (token_file) and uses it from then on.
  std::string token;  // CHRONICLE_TOKEN
  // Download links (recording, torrent) in job JSON carry a signature valid this long, so they
  // work without the token; the web seed inside a .torrent is signed for web_seed_ttl_s.
  double link_ttl_s = 7 * 86400;        // CHRONICLE_LINK_TTL
  double web_seed_ttl_s = 365 * 86400;  // CHRONICLE_WEB_SEED_TTL
  // Host names the API answers to besides IP addresses, localhost and the public URL's host:
  // a page on another name (DNS rebinding) gets 421.
  std::vector<std::string> allowed_hosts;  // CHRONICLE_ALLOWED_HOSTS (comma-separated)
  std::string backend = "embedded";        // CHRONICLE_BACKEND: embedded | aws
  int max_concurrent_recordings = 4;       // CHRONICLE_MAX_RECORDINGS
  double heartbeat_interval_s = 5;         // CHRONICLE_HEARTBEAT_INTERVAL
  double heartbeat_stale_s = 30;           // CHRONICLE_HEARTBEAT_STALE
  double probe_timeout_s = 30;             // CHRONICLE_PROBE_TIMEOUT
  int max_receive_count = 5;               // CHRONICLE_MAX_RECEIVES: deliveries before dead-lettering
  // Jobs probed at once. A burst of already-live streams must all start inside their playlists'
  // window (often 6 s), so probes run side by side rather than one after the other.
  int dispatch_concurrency = 16;  // CHRONICLE_DISPATCH_CONCURRENCY, dispatch_concurrency
  // Probes go to one resident yt-dlp (a Python worker importing it once) instead of a process
  // per probe; off, or when yt-dlp is not a Python script, each probe runs `yt-dlp -J`.
  bool resident_extractor = true;          // CHRONICLE_RESIDENT_EXTRACTOR, resident_extractor
  std::string ytdlp = "yt-dlp";            // CHRONICLE_YTDLP
  std::string ffmpeg = "ffmpeg";           // CHRONICLE_FFMPEG
  std::string ytdlp_format = "bv*+ba/b";   // CHRONICLE_YTDLP_FORMAT
  std::filesystem::path web_root;          // CHRONICLE_WEB_ROOT: built dashboard
  std::size_t max_body_bytes = 64 * 1024;  // request bodies above this get 413
  // Open HTTP connections (SSE clients included); also kept below the process's descriptor limit.
  int max_connections = 10000;     // CHRONICLE_MAX_CONNECTIONS, max_connections
  double header_timeout_s = 10;    // CHRONICLE_HEADER_TIMEOUT: a request must arrive within this
  std::string log_level = "info";  // CHRONICLE_LOG_LEVEL

  // Streams that drop, stall or restart: the recorder goes back to the URL within a window.
  double stall_timeout_s = 30;      // CHRONICLE_STALL_TIMEOUT: no new media this long counts as a drop
  double reconnect_window_s = 600;  // CHRONICLE_RECONNECT_WINDOW: how long to wait for the stream to return
  // Free space on the data filesystem. 0 means automatic: the reserve is the larger of 2 GiB and
  // 5% of the filesystem, the floor a quarter of the reserve.
  std::uint64_t disk_reserve_bytes = 0;  // CHRONICLE_DISK_RESERVE: below it, new submits get 507
  std::uint64_t disk_floor_bytes = 0;    // CHRONICLE_DISK_FLOOR: below it, a recording stops and is stored

  // BitTorrent
  bool torrent_enabled = true;  // CHRONICLE_TORRENT: make a .torrent per recording
  // Hybrid v1+v2 torrents are opt-in: Debian 12's aria2c (1.36) computes a wrong infohash for
  // them and its transmission (3.00) refuses them, so v1 is what ordinary clients can use.
  bool torrent_hybrid = false;                  // CHRONICLE_TORRENT_HYBRID: hybrid v1+v2 instead of v1
  std::vector<std::string> trackers;            // CHRONICLE_TRACKERS (comma-separated): external announce URLs
  bool tracker_enabled = true;                  // CHRONICLE_TRACKER: run and supervise opentracker
  std::string tracker_listen = "0.0.0.0:6969";  // CHRONICLE_TRACKER_LISTEN (TCP and UDP)
  std::string opentracker = "opentracker";      // CHRONICLE_OPENTRACKER
  bool seed_enabled = true;                     // CHRONICLE_SEED: seed completed recordings from serve
  std::string seed_listen = "0.0.0.0:6881";     // CHRONICLE_SEED_LISTEN
  bool seed_dht = false, seed_lsd = false, seed_upnp = false, seed_natpmp = false;  // CHRONICLE_SEED_DHT, ...
  double seed_ratio_limit = 0;              // CHRONICLE_SEED_RATIO: stop seeding a torrent at this ratio (0: never)
  double seed_time_limit_s = 0;             // CHRONICLE_SEED_TIME: stop seeding after this long (0: never)
  int seed_active_limit = 200;              // CHRONICLE_SEED_ACTIVE: torrents seeding at once
  std::filesystem::path torrent_watch_dir;  // CHRONICLE_TORRENT_WATCH_DIR: copy each .torrent here

  // AWS backend (credentials, region and endpoint come from the standard AWS_* variables)
  std::string s3_bucket = "chronicle-recordings";                 // CHRONICLE_S3_BUCKET
  std::string s3_addressing = "auto";                             // CHRONICLE_S3_ADDRESSING: auto | path | virtual
  std::string sqs_queue = "chronicle-jobs.fifo";                  // CHRONICLE_SQS_QUEUE
  std::string sqs_dead_letter_queue = "chronicle-jobs-dlq.fifo";  // CHRONICLE_SQS_DLQ
  std::string dynamodb_table = "chronicle-jobs";                  // CHRONICLE_DYNAMODB_TABLE
  std::string launcher = "process";                               // CHRONICLE_LAUNCHER: process | ecs
  std::string ecs_cluster = "chronicle";                          // CHRONICLE_ECS_CLUSTER
  std::string ecs_task_definition = "chronicle-recorder";         // CHRONICLE_ECS_TASK_DEFINITION
  std::string ecs_container = "recorder";                         // CHRONICLE_ECS_CONTAINER
  std::vector<std::string> ecs_subnets, ecs_security_groups;  // CHRONICLE_ECS_SUBNETS, _SECURITY_GROUPS (comma lists)
  int job_retention_days = 90;  // CHRONICLE_JOB_RETENTION_DAYS: finished jobs expire (DynamoDB TTL)

  std::filesystem::path db_path() const { return data_dir / "chronicle.db"; }
  std::filesystem::path token_file() const { return data_dir / "token"; }
  // Whether the API listens on a loopback address only.
  bool listens_on_loopback() const;
  std::filesystem::path recordings_dir() const { return data_dir / "recordings"; }
  std::filesystem::path work_dir() const { return data_dir / "work"; }
  std::filesystem::path logs_dir() const { return data_dir / "logs"; }
  std::filesystem::path seed_state_dir() const { return data_dir / "seed"; }
  // Where a seeding node keeps copies of recordings held in a remote store (S3).
  std::filesystem::path seed_cache_dir() const { return data_dir / "seed" / "cache"; }
  UrlPolicy url_policy() const { return UrlPolicy{allow_private_networks, allowed_networks}; }
  std::string effective_public_url() const;
  // The stall timeout for a stream whose segments last `target_duration_s`: 3 segments when longer.
  double stall_timeout_for(double target_duration_s) const;
  std::uint64_t disk_reserve_for(std::uint64_t filesystem_bytes) const;
  std::uint64_t disk_floor_for(std::uint64_t filesystem_bytes) const;
  std::string public_host() const;
  // The announce URLs put into new torrents: the configured trackers, else the built-in one.
  std::vector<std::string> announce_urls() const;
};

std::filesystem::path default_data_dir();
// Defaults, then the file (if given), then the environment.
Result<Config> load_config(const std::optional<std::filesystem::path>& file);
Result<Ok> validate(const Config& c);
// "2G", "512M", "1048576": bytes with an optional binary suffix (K, M, G, T).
Result<std::uint64_t> parse_bytes(const std::string& name, const std::string& text);

}  // namespace chronicle
