#pragma once
// `chronicle webhook add|ls|show|test|rm`: the webhooks API from the command line. The commands
// register themselves, so the executable only hands over the parsed app.
#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

#include "cli/client.hpp"

namespace chronicle::cli {

class WebhookCommands {
 public:
  explicit WebhookCommands(CLI::App& app);
  // The exit code of the webhook command given; nullopt when none was.
  std::optional<int> run(Client& client) const;

 private:
  int add(Client& client) const;
  CLI::App* add_ = nullptr;
  CLI::App* ls_ = nullptr;
  CLI::App* show_ = nullptr;
  CLI::App* test_ = nullptr;
  CLI::App* rm_ = nullptr;
  std::string id_, url_, format_, secret_, secret_file_;
  std::vector<std::string> events_;
  bool json_ = false;
};

}  // namespace chronicle::cli
