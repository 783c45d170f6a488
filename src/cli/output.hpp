#pragma once
// What every subcommand prints the same way: a failure as one line on stderr with its exit code,
// and one API call shown as JSON (--json) or in words.
#include <nlohmann/json.hpp>

#include <functional>
#include <iostream>
#include <optional>
#include <string>

#include "cli/client.hpp"

namespace chronicle::cli {

inline int fail(const std::string& message) {
  std::cerr << "chronicle: " << message << "\n";
  return 1;
}

// The exit code says what kind of error it was (report_for).
inline int fail(const Error& e) {
  fail(e.message);
  return report_for(e).exit_code;
}

inline std::string str(const nlohmann::json& j, const char* key) {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

// One call: the answer as JSON with --json, else what `describe` says of it.
inline int call_and_show(Client& client, const char* method, const std::string& path,
                         const std::optional<nlohmann::json>& body, bool json,
                         const std::function<void(const nlohmann::json&)>& describe) {
  auto answer = client.call(method, path, body);
  if (!answer) return fail(answer.error());
  if (json)
    std::cout << answer->dump() << "\n";
  else
    describe(*answer);
  return 0;
}

}  // namespace chronicle::cli
