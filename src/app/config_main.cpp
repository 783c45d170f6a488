#include <nlohmann/json.hpp>

#include <iostream>

#include "app/app.hpp"
#include "sys/access.hpp"

namespace chronicle::app {

int run_show_config(LoadedConfig loaded, bool json) {
  // A server beyond loopback creates a token in its data directory and uses it from then on.
  if (loaded.config.token.empty())
    if (auto stored = sys::read_token_file(loaded.config.token_file()); stored && !stored->empty()) {
      loaded.config.token = *stored;
      loaded.sources["token"] = "created by serve in " + loaded.config.token_file().string();
    }
  const auto valid = validate(loaded.config);
  if (json) {
    std::cout << settings_json(loaded).dump(2) << "\n";
  } else {
    std::size_t key_width = 0, value_width = 0;
    for (const auto& s : settings()) {
      key_width = std::max(key_width, s.key.size());
      value_width = std::max(value_width, std::min<std::size_t>(48, shown_value(s, loaded.config).size()));
    }
    for (const auto& s : settings()) {
      const std::string value = shown_value(s, loaded.config);
      std::cout << s.key << std::string(key_width - s.key.size() + 2, ' ') << value
                << std::string(value.size() < value_width ? value_width - value.size() + 2 : 2, ' ')
                << loaded.sources.at(std::string(s.key)) << "\n";
    }
  }
  if (!valid) {
    std::cerr << "chronicle: these settings do not work together: " << valid.error().message << "\n";
    return 2;
  }
  return 0;
}

}  // namespace chronicle::app
