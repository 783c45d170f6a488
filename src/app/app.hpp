#pragma once
// Wiring of modules into the long-running roles; main.cpp only parses arguments.
#include <filesystem>
#include <optional>
#include <string>

#include "core/config.hpp"

namespace chronicle::app {

void setup_logging(const Config& config);
int run_serve(Config config, const std::optional<std::filesystem::path>& config_file);
int run_record(const Config& config, const std::string& job_id);
int run_seed(const Config& config);

}  // namespace chronicle::app
