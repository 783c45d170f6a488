#pragma once
// Wiring of modules into the long-running roles; main.cpp only parses arguments.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/settings.hpp"

namespace chronicle::app {

// Printed by --version and reported by /api/v1/info.
inline constexpr const char* kVersion = "0.1.0";

void setup_logging(const Config& config);
// `settings`: every setting as the dashboard's settings view shows it (settings_json).
int run_serve(Config config, const std::optional<std::filesystem::path>& config_file, nlohmann::json settings);
int run_record(const Config& config, const std::string& job_id);
int run_seed(Config config);
// `chronicle provision`: creates the AWS resources idempotently and says what is there.
int run_provision(const Config& config);
// `chronicle lambda`: the function's bootstrap, serving Runtime API events until Lambda stops it.
int run_lambda(const Config& config, const std::optional<std::filesystem::path>& config_file);

struct MakeTorrentOptions {
  std::string file, output;
  bool hybrid = false;
  std::uint32_t piece_size = 0;  // 0: chosen from the file size
  unsigned threads = 0;          // 0: one per core
  std::vector<std::string> trackers, web_seeds;
};
// `chronicle torrent FILE`: the recorder's torrent creator on any file.
int run_make_torrent(const MakeTorrentOptions& options);
// `chronicle config`: every setting's effective value (secrets masked) and where it came from.
int run_show_config(LoadedConfig loaded, bool json);
// `chronicle token`: the token the server of a data directory uses (configured or created).
int run_show_token(const std::string& data_dir);

}  // namespace chronicle::app
