#pragma once
// The settings table: every setting declared once, with its TOML key, environment name, flag where
// it has one, type, default and one line of help. Loading (file, environment, flags), the checks of
// each value, `chronicle config` and the README's configuration table all come from it.
#include <nlohmann/json_fwd.hpp>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.hpp"

namespace chronicle {

struct Setting {
  std::string_view key;          // TOML key, and the name `chronicle config` shows
  std::string_view env;          // CHRONICLE_...
  std::string_view flag;         // "--data"; empty when there is none
  std::string_view type;         // what a value looks like: "integer", "on/off", "embedded|aws", ...
  std::string_view help;         // one line
  std::string_view default_doc;  // the default in words, when the value alone does not say it
  bool secret = false;           // masked by `chronicle config`
  // Reads a value given as text (environment, flag, or a TOML value turned to text) into the config.
  // Errors name the setting and say what was expected.
  std::function<Result<Ok>(Config&, const std::string&)> set;
  std::function<std::string(const Config&)> get;
};

const std::vector<Setting>& settings();
const Setting* find_setting(std::string_view key);

// Where each setting's value came from: "default", "file <path>", "env CHRONICLE_X", "flag --x".
struct LoadedConfig {
  Config config;
  std::map<std::string, std::string, std::less<>> sources;
};
// Defaults, then the TOML file, then the environment, then `flags` (setting key -> text).
Result<LoadedConfig> load_settings(const std::optional<std::filesystem::path>& file,
                                   const std::map<std::string, std::string>& flags = {});

// The value as `chronicle config` shows it: secrets masked.
std::string shown_value(const Setting& setting, const Config& config);
// Every setting with its value (as shown_value) and source, its help and default: `config --json`
// and the dashboard's settings view.
nlohmann::json settings_json(const LoadedConfig& loaded);
// The README's configuration table (a test keeps the README equal to it).
std::string settings_markdown();

}  // namespace chronicle
