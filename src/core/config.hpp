#pragma once
// One table of settings with their defaults. Sources apply in order: defaults, the TOML
// file (--config), the environment (CHRONICLE_*), then command-line flags.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "core/result.hpp"

namespace chronicle {

struct Config {
  std::filesystem::path data_dir;          // CHRONICLE_DATA, data_dir
  std::string listen = "127.0.0.1:8080";   // CHRONICLE_LISTEN, listen
  std::string public_url;                  // CHRONICLE_PUBLIC_URL, public_url (default http://<listen>)
  bool allow_private_networks = false;     // CHRONICLE_ALLOW_PRIVATE_NETWORKS
  std::string token;                       // CHRONICLE_TOKEN
  std::string backend = "embedded";        // CHRONICLE_BACKEND: embedded | aws
  int max_concurrent_recordings = 4;       // CHRONICLE_MAX_RECORDINGS
  double heartbeat_interval_s = 5;         // CHRONICLE_HEARTBEAT_INTERVAL
  double heartbeat_stale_s = 30;           // CHRONICLE_HEARTBEAT_STALE
  double probe_timeout_s = 30;             // CHRONICLE_PROBE_TIMEOUT
  int max_receive_count = 5;               // CHRONICLE_MAX_RECEIVES: deliveries before dead-lettering
  std::string ytdlp = "yt-dlp";            // CHRONICLE_YTDLP
  std::string ffmpeg = "ffmpeg";           // CHRONICLE_FFMPEG
  std::string ytdlp_format = "bv*+ba/b";   // CHRONICLE_YTDLP_FORMAT
  std::filesystem::path web_root;          // CHRONICLE_WEB_ROOT: built dashboard
  std::size_t max_body_bytes = 64 * 1024;  // request bodies above this get 413
  std::string log_level = "info";          // CHRONICLE_LOG_LEVEL

  std::filesystem::path db_path() const { return data_dir / "chronicle.db"; }
  std::filesystem::path recordings_dir() const { return data_dir / "recordings"; }
  std::filesystem::path work_dir() const { return data_dir / "work"; }
  std::filesystem::path logs_dir() const { return data_dir / "logs"; }
  std::string effective_public_url() const;
};

std::filesystem::path default_data_dir();
// Defaults, then the file (if given), then the environment.
Result<Config> load_config(const std::optional<std::filesystem::path>& file);
Result<Ok> validate(const Config& c);

}  // namespace chronicle
