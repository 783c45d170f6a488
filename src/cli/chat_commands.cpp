#include "cli/chat_commands.hpp"

#include <chrono>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <thread>

#include "cli/clip_commands.hpp"
#include "cli/output.hpp"

namespace chronicle::cli {
namespace {

bool terminal(const std::string& status) { return status == "completed" || status == "failed" || status == "canceled"; }

}  // namespace

std::string terminal_safe(const std::string& text) {
  // Through JSON's own UTF-8 check first: invalid sequences become U+FFFD.
  const std::string valid = nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  const std::string decoded = nlohmann::json::parse(valid).get<std::string>();
  std::string out;
  for (std::size_t i = 0; i < decoded.size(); ++i) {
    const auto c = static_cast<unsigned char>(decoded[i]);
    char escaped[16];
    if (c < 0x20 || c == 0x7f) {
      std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
      out += escaped;
      continue;
    }
    // C1 controls (U+0080..U+009F) and the bidi overrides and isolates (U+202A..U+202E,
    // U+2066..U+2069), which would reorder what the terminal shows.
    if (c == 0xC2 && i + 1 < decoded.size() && static_cast<unsigned char>(decoded[i + 1]) <= 0x9F) {
      std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned char>(decoded[i + 1]));
      out += escaped;
      ++i;
      continue;
    }
    if (c == 0xE2 && i + 2 < decoded.size()) {
      const auto b1 = static_cast<unsigned char>(decoded[i + 1]), b2 = static_cast<unsigned char>(decoded[i + 2]);
      const unsigned cp = ((c & 0x0Fu) << 12) | ((b1 & 0x3Fu) << 6) | (b2 & 0x3Fu);
      if ((cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069)) {
        std::snprintf(escaped, sizeof escaped, "\\u%04x", cp);
        out += escaped;
        i += 2;
        continue;
      }
    }
    out += static_cast<char>(c);
  }
  return out;
}

std::string chat_line(const nlohmann::json& r) {
  const std::string type = str(r, "type");
  const double at = r.value("at_s", 0.0);
  std::string line = "[" + position_text(at) + "] ";
  if (type == "message") {
    line += terminal_safe(str(r, "author")) + (r.value("action", false) ? " " : ": ") + terminal_safe(str(r, "text"));
    if (r.contains("bits")) line += " (" + std::to_string(r.value("bits", 0)) + " bits)";
  } else if (type == "notice") {
    line += "* " + terminal_safe(str(r, "system_text").empty() ? str(r, "kind") : str(r, "system_text"));
    if (!str(r, "text").empty()) line += ": " + terminal_safe(str(r, "text"));
  } else if (type == "delete") {
    line += "* a message of " + terminal_safe(str(r, "login")) + " was deleted";
  } else if (type == "clear") {
    line += str(r, "login").empty() ? "* the chat was cleared"
                                    : "* " + terminal_safe(str(r, "login")) + "'s messages were removed";
  } else if (type == "disconnected") {
    line += "* chat lost (" + terminal_safe(str(r, "reason")) + "): messages may be missing from here";
  } else if (type == "connected") {
    line += "* chat back";
  } else {
    return "";
  }
  if (r.value("in_gap", false)) line += "  (while the video was away)";
  return line;
}

ChatCommands::ChatCommands(CLI::App& app) {
  chat_ = app.add_subcommand("chat", "print a recording's live chat (Twitch, YouTube), or follow it while it records");
  chat_->add_option("id", id_, "job id (its first characters are enough)")->required();
  chat_->add_flag("-f,--follow", follow_, "keep printing new messages until the recording ends");
  chat_->add_flag("--json", json_, "print the NDJSON lines as they are stored");
}

std::optional<int> ChatCommands::run(Client& client) const {
  if (!chat_->parsed()) return std::nullopt;
  double after = -1;        // the last at_s printed
  std::size_t at_last = 0;  // lines printed with that at_s (a later fetch from it repeats them)
  bool ended = false;
  for (;;) {
    const std::string path = "/api/v1/jobs/" + id_ + "/chat" + (after >= 0 ? "?from_s=" + std::to_string(after) : "");
    auto answer = client.request("GET", path);
    if (!answer) return fail(answer.error());
    if (answer->status >= 400) {
      auto body = nlohmann::json::parse(answer->body, nullptr, false);
      Error e{"http_" + std::to_string(answer->status),
              body.is_object() && body.contains("error") ? str(body["error"], "message") : answer->body};
      e.kind = answer->status == 404 ? ErrorKind::not_found : ErrorKind::invalid;
      return fail(e);
    }
    std::istringstream lines(answer->body);
    // The read starts at the last at_s printed: the lines with it that were printed come again.
    const double from = after;
    const std::size_t repeated = at_last;
    std::size_t skipped = 0;
    for (std::string text; std::getline(lines, text);) {
      auto r = nlohmann::json::parse(text, nullptr, false);
      if (!r.is_object()) continue;
      const double t = r.value("at_s", 0.0);
      if (from >= 0 && t <= from + 1e-9 && skipped < repeated) {
        ++skipped;
        continue;
      }
      if (t > after + 1e-9) {
        after = t;
        at_last = 0;
      }
      ++at_last;
      if (json_) {
        std::cout << text << "\n";
      } else if (auto shown = chat_line(r); !shown.empty()) {
        std::cout << shown << "\n";
      }
    }
    std::cout.flush();
    if (!follow_ || ended) return 0;
    auto job = client.call("GET", "/api/v1/jobs/" + id_);
    if (!job) return fail(job.error());
    // Ended: one more read for what arrived between the last one and the end, then done.
    if (terminal(str(*job, "status"))) {
      ended = true;
      continue;
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

}  // namespace chronicle::cli
