#include "cli/clip_commands.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <thread>

#include "cli/output.hpp"

namespace chronicle::cli {
namespace {

std::string clip_line(const nlohmann::json& c) {
  const auto number = [&](const char* key) {
    return c.value(key, nlohmann::json()).is_number() ? c[key].get<double>() : 0.0;
  };
  std::string line = str(c, "id") + "  " + str(c, "status");
  if (c.value("cut_start_s", nlohmann::json()).is_number())
    line += "  " + position_text(number("cut_start_s")) + " to " + position_text(number("cut_end_s"));
  else
    line += "  " + position_text(number("start_s")) + " to " + position_text(number("end_s"));
  line += "  " + str(c, "name");
  return line;
}

void print_clip(const nlohmann::json& c) {
  const auto number = [&](const char* key) {
    return c.value(key, nlohmann::json()).is_number() ? c[key].get<double>() : 0.0;
  };
  std::cout << "clip:    " << str(c, "id") << " (" << str(c, "status") << ")\n"
            << "name:    " << str(c, "name") << "\n"
            << "asked:   " << position_text(number("start_s")) << " to " << position_text(number("end_s")) << "\n";
  if (c.value("cut_start_s", nlohmann::json()).is_number()) {
    const double early = number("start_s") - number("cut_start_s");
    std::cout << "cut:     " << position_text(number("cut_start_s")) << " to " << position_text(number("cut_end_s"))
              << " (" << position_text(number("cut_end_s") - number("cut_start_s")) << " long";
    if (early > 0.0005) {
      char text[96];
      std::snprintf(text, sizeof text, "; begins %.2f s early, on the keyframe before the start asked", early);
      std::cout << text;
    }
    std::cout << ")\n";
  }
  if (c.value("size", 0) > 0) std::cout << "size:    " << c.value("size", std::uint64_t{0}) << " bytes\n";
  if (!str(c, "sha256").empty()) std::cout << "sha256:  " << str(c, "sha256") << "\n";
  if (!str(c, "url").empty()) std::cout << "url:     " << str(c, "url") << "\n";
  if (c.value("error", nlohmann::json()).is_object()) std::cout << "error:   " << str(c["error"], "message") << "\n";
}

}  // namespace

std::optional<double> parse_position(const std::string& text) {
  if (text.empty() || text.size() > 32) return std::nullopt;
  double total = 0;
  std::size_t start = 0;
  int fields = 0;
  for (;;) {
    const auto colon = text.find(':', start);
    const std::string field = text.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    if (field.empty() || field.find_first_not_of("0123456789.") != std::string::npos ||
        field.find('.') != field.rfind('.'))
      return std::nullopt;
    const bool last = colon == std::string::npos;
    if (!last && field.find('.') != std::string::npos) return std::nullopt;  // only seconds have decimals
    const double value = std::atof(field.c_str());
    if (fields > 0 && value >= 60) return std::nullopt;  // "1:75" is not a time
    total = total * 60 + value;
    if (++fields > 3) return std::nullopt;
    if (last) break;
    start = colon + 1;
  }
  // Minutes and seconds after the first field must be below 60; the first may be anything.
  return std::isfinite(total) ? std::optional<double>(total) : std::nullopt;
}

std::string position_text(double seconds) {
  if (seconds < 0) seconds = 0;
  const auto tenths = static_cast<long long>(std::llround(seconds * 10));
  const long long s = tenths / 10;
  char text[48];
  if (s >= 3600)
    std::snprintf(text, sizeof text, "%lld:%02lld:%02lld.%lld", s / 3600, s / 60 % 60, s % 60, tenths % 10);
  else
    std::snprintf(text, sizeof text, "%lld:%02lld.%lld", s / 60, s % 60, tenths % 10);
  return text;
}

ClipCommands::ClipCommands(CLI::App& app) {
  clip_ = app.add_subcommand("clip", "cut a clip out of a recording (also one still recording), or list its clips");
  clip_->add_option("id", id_, "job id (its first characters are enough)")->required();
  clip_->add_option("--from", from_, "where the clip starts: 1:02:03, 62:03 or 3723 (seconds)");
  clip_->add_option("--to", to_, "where it ends, the same way");
  clip_->add_option("--name", name_, "the clip's name (default: the job's name and the times)");
  clip_->add_flag("--no-wait", no_wait_, "return once the server has taken the clip, not when it is cut");
  clip_->add_flag("--list", list_, "list the job's clips");
  clip_->add_option("--rm", remove_, "delete this clip (its id)");
  clip_->add_flag("--json", json_, "print JSON");
}

std::optional<int> ClipCommands::run(Client& client) const {
  if (!clip_->parsed()) return std::nullopt;
  if (list_)
    return call_and_show(client, "GET", "/api/v1/jobs/" + id_ + "/clips", std::nullopt, json_,
                         [](const nlohmann::json& answer) {
                           const auto& clips = answer.value("clips", nlohmann::json::array());
                           if (clips.empty()) std::cout << "no clips\n";
                           for (const auto& c : clips) std::cout << clip_line(c) << "\n";
                         });
  if (!remove_.empty())
    return call_and_show(client, "DELETE", "/api/v1/jobs/" + id_ + "/clips/" + remove_, std::nullopt, json_,
                         [this](const nlohmann::json&) { std::cout << "clip " << remove_ << " deleted\n"; });
  return make(client);
}

int ClipCommands::make(Client& client) const {
  if (from_.empty() || to_.empty()) {
    std::cerr << "chronicle: clip needs --from and --to (or --list, or --rm CLIP)\n";
    return 2;
  }
  const auto from = parse_position(from_), to = parse_position(to_);
  for (const auto& [given, parsed, flag] : {std::tuple{from_, from, "--from"}, std::tuple{to_, to, "--to"}})
    if (!parsed) {
      std::cerr << "chronicle: " << flag << " takes a place in the recording such as 1:02:03, 62:03 or 3723.5, not '"
                << given << "'\n";
      return 2;
    }
  nlohmann::json body = {{"start_s", *from}, {"end_s", *to}};
  if (!name_.empty()) body["name"] = name_;
  auto made = client.call("POST", "/api/v1/jobs/" + id_ + "/clips", body);
  if (!made) return fail(made.error());
  nlohmann::json clip = *made;
  const std::string path = "/api/v1/jobs/" + id_ + "/clips/" + str(clip, "id");
  if (!no_wait_) {
    if (!json_) std::cerr << "cutting " << position_text(*from) << " to " << position_text(*to) << "...\n";
    // A stream copy takes seconds; the clip says when it is done.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(30);
    while (str(clip, "status") == "cutting" && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      auto now = client.call("GET", path);
      if (!now) return fail(now.error());
      clip = *now;
    }
  }
  if (json_)
    std::cout << clip.dump() << "\n";
  else
    print_clip(clip);
  if (str(clip, "status") == "failed") return 1;
  return 0;
}

}  // namespace chronicle::cli
