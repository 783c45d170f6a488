#pragma once
// The settings every role runs with, and their defaults. How each is named in the TOML file, the
// environment and on the command line, and how it is read and shown, is declared once in the
// settings table (core/settings.hpp). Sources apply in order: defaults, the TOML file (--config),
// the environment (CHRONICLE_*), then command-line flags.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "core/retention.hpp"
#include "core/url_policy.hpp"

namespace chronicle {

enum class BackendKind { embedded, aws };
enum class LauncherKind { process, ecs };
enum class S3Addressing { automatic, path, virtual_hosted };
std::string_view to_string(BackendKind b);
std::string_view to_string(LauncherKind l);
std::string_view to_string(S3Addressing a);

struct Config {
  std::filesystem::path data_dir;
  std::string listen = "127.0.0.1:8080";
  std::string public_url;               // default http://<listen>
  bool allow_private_networks = false;  // every local network
  // Local networks a recording may reach, e.g. "127.0.0.2/32,10.1.0.0/16"; metadata never.
  std::vector<Network> allowed_networks;
  // Needed for every API request when set. A server that listens beyond loopback without one
  // creates one in the data directory (token_file) and uses it from then on.
  std::string token;
  // Download links (recording, torrent) in job JSON carry a signature valid this long, so they
  // work without the token; the web seed inside a .torrent is signed for web_seed_ttl_s.
  double link_ttl_s = 7 * 86400;
  double web_seed_ttl_s = 365 * 86400;
  // Host names the API answers to besides IP addresses, localhost and the public URL's host:
  // a page on another name (DNS rebinding) gets 421.
  std::vector<std::string> allowed_hosts;
  BackendKind backend = BackendKind::embedded;  // embedded | aws
  int max_concurrent_recordings = 4;
  double heartbeat_interval_s = 5;
  double heartbeat_stale_s = 30;
  double probe_timeout_s = 30;
  int max_receive_count = 5;  // deliveries before dead-lettering
  // Jobs probed at once. A burst of already-live streams must all start inside their playlists'
  // window (often 6 s), so probes run side by side rather than one after the other.
  int dispatch_concurrency = 16;
  // Probes go to one resident yt-dlp (a Python worker importing it once) instead of a process
  // per probe; off, or when yt-dlp is not a Python script, each probe runs `yt-dlp -J`.
  bool resident_extractor = true;
  std::string ytdlp = "yt-dlp";
  std::string ffmpeg = "ffmpeg";
  std::string ytdlp_format = "bv*+ba/b";
  std::filesystem::path web_root;               // built dashboard
  std::uint64_t max_body_bytes = 64ull * 1024;  // request bodies above this get 413
  // Open HTTP connections (SSE clients included); also kept below the process's descriptor limit.
  int max_connections = 10000;
  double header_timeout_s = 10;  // a request must arrive within this
  std::string log_level = "info";

  // Streams that drop, stall or restart: the recorder goes back to the URL within a window.
  double stall_timeout_s = 30;      // no new media this long counts as a drop
  double reconnect_window_s = 600;  // how long to wait for the stream to return
  // Free space on the data filesystem. 0 means automatic: the reserve is the larger of 2 GiB and
  // 5% of the filesystem, the floor a quarter of the reserve.
  std::uint64_t disk_reserve_bytes = 0;                            // below it, new submits get 507
  std::uint64_t disk_floor_bytes = 0;                              // below it, a recording stops and is stored
  bool chat = true;                                                // record live chat beside recordings
  std::string twitch_irc_url = "wss://irc-ws.chat.twitch.tv:443";  // Twitch chat's IRC over WebSocket
  double title_interval_s = 300;   // a recording asks its site for the stream's title this often; 0: never
  double preview_interval_s = 30;  // a recording's live preview is renewed this often; 0: none
  // Retention: recordings older than this are deleted (0: kept), and the oldest while the
  // recordings exceed the budget (0: none). Pinned jobs are kept. A pass runs every interval.
  double retention_days = 0;
  std::uint64_t storage_budget_bytes = 0;
  double retention_interval_s = 60;
  double retention_min_age_s = 86400;
  RetentionPolicy retention_policy() const { return {retention_days, storage_budget_bytes, retention_min_age_s}; }

  // Channels and streams that are not live yet (see "Channels" in the README).
  double channel_poll_interval_s = 60;      // a channel's default interval between checks
  double channel_min_poll_interval_s = 10;  // the shortest interval a channel may ask for
  int channel_check_concurrency = 4;        // channel checks side by side
  int max_channels = 1000;                  // channels kept at once
  int max_webhooks = 100;                   // webhooks kept at once
  int max_pending_tests = 10;               // test deliveries one webhook may have waiting
  double live_check_max_interval_s = 60;    // a waiting job is checked at least this often
  double upcoming_wait_s = 3600;            // a stream announced for later is waited for this long past its start

  // BitTorrent
  bool torrent_enabled = true;  // make a .torrent per recording
  // Hybrid v1+v2 torrents are opt-in: Debian 12's aria2c (1.36) computes a wrong infohash for
  // them and its transmission (3.00) refuses them, so v1 is what ordinary clients can use.
  bool torrent_hybrid = false;        // hybrid v1+v2 instead of v1
  std::vector<std::string> trackers;  // external announce URLs
  bool tracker_enabled = true;        // run and supervise opentracker
  std::string tracker_listen;         // empty: effective_tracker_listen()
  std::string opentracker = "opentracker";
  bool seed_enabled = true;  // seed completed recordings from serve
  std::string seed_listen;   // empty: effective_seed_listen()
  bool seed_dht = false, seed_lsd = false, seed_upnp = false, seed_natpmp = false;
  double seed_ratio_limit = 0;              // stop seeding a torrent at this ratio (0: never)
  double seed_time_limit_s = 0;             // stop seeding after this long (0: never)
  int seed_active_limit = 200;              // torrents seeding at once
  std::filesystem::path torrent_watch_dir;  // copy each .torrent here

  // AWS backend (credentials, region and endpoint come from the standard AWS_* variables)
  std::string cookies_key;  // hex; see sys::parse_seal_key
  std::string s3_bucket = "chronicle-recordings";
  S3Addressing s3_addressing = S3Addressing::automatic;  // auto | path | virtual
  std::string sqs_queue = "chronicle-jobs.fifo";
  std::string sqs_dead_letter_queue = "chronicle-jobs-dlq.fifo";
  std::string dynamodb_table = "chronicle-jobs";
  LauncherKind launcher = LauncherKind::process;  // process | ecs
  std::string ecs_cluster = "chronicle";
  std::string clip_function;    // the Lambda function that cuts clips (aws backend's API function)
  std::string lambda_endpoint;  // Lambda's API; empty: AWS_ENDPOINT_URL, else AWS's own
  std::string ecs_task_definition = "chronicle-recorder";
  std::string ecs_container = "recorder";
  std::vector<std::string> ecs_subnets, ecs_security_groups;
  int job_retention_days = 90;  // finished jobs expire (DynamoDB TTL)

  std::filesystem::path db_path() const { return data_dir / "chronicle.db"; }
  std::filesystem::path token_file() const { return data_dir / "token"; }
  // Whether the API listens on a loopback address only.
  bool listens_on_loopback() const;
  // The tracker's and the seeder's addresses: as set, else on loopback while the API is (and no
  // public URL says peers come from elsewhere), else on every interface. A server only its own
  // machine can use does not offer its recordings to the network.
  std::string effective_tracker_listen() const;
  std::string effective_seed_listen() const;
  // The host both listen on by default (see above).
  std::string peers_host() const;
  std::filesystem::path recordings_dir() const { return data_dir / "recordings"; }
  std::filesystem::path work_dir() const { return data_dir / "work"; }
  std::filesystem::path cookies_dir() const { return data_dir / "cookies"; }
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
// Defaults, then the file (if given), then the environment (see load_settings for flags too).
Result<Config> load_config(const std::optional<std::filesystem::path>& file);
// What must hold between settings; each setting's own range is checked as it is read.
Result<Ok> validate(const Config& c);
// "2G", "512M", "1048576": bytes with an optional binary suffix (K, M, G, T).
Result<std::uint64_t> parse_bytes(const std::string& name, const std::string& text);

}  // namespace chronicle
