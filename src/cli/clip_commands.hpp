#pragma once
// `chronicle clip ID --from 1:02:03 --to 1:05:00 [--name N]`: cuts a clip and waits for it;
// `--list` shows a job's clips, `--rm CLIP` deletes one.
#include <CLI/CLI.hpp>

#include <optional>
#include <string>

#include "cli/client.hpp"

namespace chronicle::cli {

// "1:02:03", "62:03", "3723" or "3723.5" as seconds; nullopt when it is none of them.
std::optional<double> parse_position(const std::string& text);
// 3723.5 -> "1:02:03.5"
std::string position_text(double seconds);

class ClipCommands {
 public:
  explicit ClipCommands(CLI::App& app);
  // The exit code of the clip command; nullopt when it was not given.
  std::optional<int> run(Client& client) const;

 private:
  int make(Client& client) const;
  CLI::App* clip_ = nullptr;
  std::string id_, from_, to_, name_, remove_;
  bool list_ = false, no_wait_ = false, json_ = false;
};

}  // namespace chronicle::cli
