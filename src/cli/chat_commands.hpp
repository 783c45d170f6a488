#pragma once
// `chronicle chat ID [--follow]`: a recording's chat as lines people read ("[0:12:03] Name: text"),
// following one still recording.
#include <CLI/CLI.hpp>

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "cli/client.hpp"

namespace chronicle::cli {

// Text from a chat made safe for a terminal: control characters (escape sequences), C1 controls
// and bidi overrides become visible \u escapes; invalid UTF-8 becomes U+FFFD.
std::string terminal_safe(const std::string& text);
// One chat record in words; empty for records without anything to show.
std::string chat_line(const nlohmann::json& record);

class ChatCommands {
 public:
  explicit ChatCommands(CLI::App& app);
  std::optional<int> run(Client& client) const;

 private:
  CLI::App* chat_ = nullptr;
  std::string id_;
  bool follow_ = false, json_ = false;
};

}  // namespace chronicle::cli
