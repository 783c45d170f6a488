#include <iostream>

#include "app/app.hpp"
#include "sys/access.hpp"

namespace chronicle::app {

int run_show_token(const std::string& data_dir) {
  auto config = load_config(std::nullopt);
  if (!config) {
    std::cerr << "chronicle: " << config.error().message << "\n";
    return 2;
  }
  if (!data_dir.empty()) config->data_dir = data_dir;
  if (!config->token.empty()) {
    std::cout << config->token << "\n";
    return 0;
  }
  auto stored = sys::read_token_file(config->token_file());
  if (!stored) {
    std::cerr << "chronicle: " << stored.error().message << "\n";
    return 6;
  }
  if (stored->empty()) {
    std::cerr << "chronicle: no token in " << config->data_dir.string()
              << ": the server there runs without one (it listens on loopback only); set CHRONICLE_TOKEN to "
                 "require one\n";
    return 3;
  }
  std::cout << *stored << "\n";
  return 0;
}

}  // namespace chronicle::app
