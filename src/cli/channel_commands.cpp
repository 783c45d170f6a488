#include <cstdio>
#include <fstream>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "core/time.hpp"

namespace chronicle::cli {
namespace {

// "in 42 s" / "12 s ago" for a time the server gave.
std::string relative(const std::string& rfc3339) {
  const auto t = from_rfc3339(rfc3339);
  if (!t) return "";
  const auto s = static_cast<long long>(seconds_between(now(), *t));
  return s >= 0 ? "in " + human_duration(static_cast<double>(s)) : human_duration(static_cast<double>(-s)) + " ago";
}

void print_channel(const nlohmann::json& c) {
  std::cout << "id:        " << str(c, "id") << "\n"
            << "url:       " << str(c, "url") << "\n"
            << "name:      " << str(c, "name") << "\n";
  if (!str(c, "prefix").empty()) std::cout << "prefix:    " << str(c, "prefix") << "\n";
  std::cout << "names:     " << str(c, "name_format") << "\n"
            << "quality:   " << (str(c, "format").empty() ? "best" : str(c, "format")) << "\n"
            << "chat:      " << (c.value("chat", true) ? "recorded" : "not recorded") << "\n"
            << "every:     " << human_duration(c.value("poll_interval_s", 0.0))
            << (c.value("enabled", true) ? "" : " (paused)") << "\n"
            << "state:     " << str(c, "state") << "\n";
  if (!str(c, "last_check_at").empty())
    std::cout << "checked:   " << str(c, "last_check_at") << " (" << relative(str(c, "last_check_at")) << ")\n";
  if (!str(c, "next_check_at").empty() && c.value("enabled", true))
    std::cout << "next:      " << str(c, "next_check_at") << " (" << relative(str(c, "next_check_at")) << ")\n";
  if (!str(c, "last_result").empty() && str(c, "state") != "error")
    std::cout << "found:     " << str(c, "last_result") << "\n";
  if (!str(c, "last_live_at").empty()) std::cout << "live at:   " << str(c, "last_live_at") << "\n";
  if (!str(c, "scheduled_start").empty()) std::cout << "starts:    " << str(c, "scheduled_start") << "\n";
  if (c.contains("last_error") && c["last_error"].is_object())
    std::cout << "error:     " << str(c["last_error"], "message") << " [" << str(c["last_error"], "code") << "]\n";
  if (!str(c, "active_job_id").empty()) std::cout << "recording: job " << str(c, "active_job_id") << "\n";
  if (!str(c, "last_job_id").empty()) std::cout << "last job:  " << str(c, "last_job_id") << "\n";
  if (c.value("skip_until_offline", false))
    std::cout << "note:      its live session was stopped by hand; the next session is recorded\n";
}

}  // namespace

std::optional<double> parse_duration(const std::string& text) {
  if (text.empty()) return std::nullopt;
  double total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t used = 0;
    double value = 0;
    try {
      value = std::stod(text.substr(i), &used);
    } catch (const std::exception&) {
      return std::nullopt;
    }
    if (used == 0 || value < 0 || text[i] == '+' || text[i] == '-') return std::nullopt;
    i += used;
    double unit = 1;
    if (i < text.size()) {
      switch (text[i]) {
        case 's':
          unit = 1;
          break;
        case 'm':
          unit = 60;
          break;
        case 'h':
          unit = 3600;
          break;
        case 'd':
          unit = 86400;
          break;
        default:
          return std::nullopt;
      }
      ++i;
    } else if (total > 0) {
      return std::nullopt;  // "1h30" is ambiguous
    }
    total += value * unit;
  }
  return total;
}

int cmd_channel_add(Client& client, const ChannelOptions& o) {
  nlohmann::json body{{"url", o.url}};
  if (!o.name.empty()) body["name"] = o.name;
  if (!o.prefix.empty()) body["prefix"] = o.prefix;
  if (!o.name_format.empty()) body["name_format"] = o.name_format;
  if (!o.format.empty()) body["format"] = o.format;
  if (o.poll_interval_s) body["poll_interval_s"] = *o.poll_interval_s;
  if (o.paused) body["enabled"] = false;
  if (o.no_chat) body["chat"] = false;
  return call_and_show(client, "POST", "/api/v1/channels", body, o.json, [](const nlohmann::json& c) {
    std::cout << str(c, "id") << "\n";
    std::cerr << "watching " << str(c, "url") << " every " << human_duration(c.value("poll_interval_s", 0.0))
              << (c.value("enabled", true) ? "" : " (paused)") << "\n";
  });
}

int cmd_channel_edit(Client& client, const std::string& id, const ChannelEdit& e) {
  nlohmann::json body = nlohmann::json::object();
  if (e.name) body["name"] = *e.name;
  if (e.prefix) body["prefix"] = *e.prefix;
  if (e.name_format) body["name_format"] = *e.name_format;
  if (e.format) body["format"] = *e.format;
  if (e.poll_interval_s) body["poll_interval_s"] = *e.poll_interval_s;
  if (e.chat) body["chat"] = *e.chat;
  if (body.empty()) {
    std::cerr << "chronicle: nothing to change: give --name, --prefix, --name-format, --quality, --every or --chat\n";
    return 2;
  }
  return call_and_show(client, "PATCH", "/api/v1/channels/" + id, body, e.json, print_channel);
}

int cmd_channel_ls(Client& client, bool json) {
  return call_and_show(client, "GET", "/api/v1/channels", std::nullopt, json, [](const nlohmann::json& answer) {
    const auto& channels = answer.value("channels", nlohmann::json::array());
    if (channels.empty()) {
      std::cout << "no channels\n";
      return;
    }
    std::printf("%-26s  %-9s  %-7s  %-12s  %s\n", "ID", "STATE", "EVERY", "CHECKED", "NAME / URL");
    for (const auto& c : channels) {
      const std::string state = c.value("enabled", true) ? str(c, "state") : "paused";
      std::printf("%-26s  %-9s  %-7s  %-12s  %s (%s)\n", str(c, "id").c_str(), state.c_str(),
                  human_duration(c.value("poll_interval_s", 0.0)).c_str(),
                  str(c, "last_check_at").empty() ? "never" : relative(str(c, "last_check_at")).c_str(),
                  str(c, "name").c_str(), str(c, "url").c_str());
    }
  });
}

int cmd_channel_show(Client& client, const std::string& id, bool json) {
  return call_and_show(client, "GET", "/api/v1/channels/" + id, std::nullopt, json, [&](const nlohmann::json& c) {
    print_channel(c);
    auto jobs = client.call("GET", "/api/v1/jobs?limit=10&channel=" + str(c, "id"));
    if (!jobs) return;
    const auto& list = jobs->value("jobs", nlohmann::json::array());
    std::cout << "recordings:" << (list.empty() ? " none yet" : "") << "\n";
    for (const auto& j : list)
      std::printf("  %-26s  %-10s  %10s  %9s  %s\n", str(j, "id").c_str(), str(j, "status").c_str(),
                  human_bytes(j.value("bytes", std::uint64_t{0})).c_str(),
                  human_duration(j.value("duration_s", 0.0)).c_str(), str(j, "name").c_str());
  });
}

int cmd_channel_set_enabled(Client& client, const std::string& id, bool enabled, bool json) {
  return call_and_show(client, "PATCH", "/api/v1/channels/" + id, nlohmann::json{{"enabled", enabled}}, json,
                       [&](const nlohmann::json&) { std::cout << id << (enabled ? " resumed\n" : " paused\n"); });
}

int cmd_channel_check(Client& client, const std::string& id, bool json) {
  return call_and_show(client, "POST", "/api/v1/channels/" + id + "/check", nlohmann::json::object(), json,
                       print_channel);
}

int cmd_channel_rm(Client& client, const std::string& id, bool json) {
  return call_and_show(client, "DELETE", "/api/v1/channels/" + id, std::nullopt, json,
                       [&](const nlohmann::json&) { std::cout << id << " removed (its recordings stay)\n"; });
}

int cmd_cookies_add(Client& client, const std::string& domain, const std::string& file, bool json) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail(make_error("invalid_file", "cannot read " + file));
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return call_and_show(client, "PUT", "/api/v1/cookies/" + domain, nlohmann::json{{"cookies", text}}, json,
                       [](const nlohmann::json& c) {
                         std::cout << str(c, "domain") << ": " << c.value("count", 0) << " cookies stored";
                         if (!str(c, "expires_at").empty()) std::cout << ", the first expires " << str(c, "expires_at");
                         std::cout << "\n";
                         if (!str(c, "warning").empty()) std::cerr << "warning: " << str(c, "warning") << "\n";
                       });
}

int cmd_cookies_ls(Client& client, bool json) {
  return call_and_show(client, "GET", "/api/v1/cookies", std::nullopt, json, [](const nlohmann::json& answer) {
    const auto& list = answer.value("cookies", nlohmann::json::array());
    if (list.empty()) {
      std::cout << "no cookies stored\n";
      return;
    }
    std::printf("%-40s  %7s  %s\n", "DOMAIN", "COOKIES", "FIRST EXPIRY");
    for (const auto& c : list)
      std::printf("%-40s  %7d  %s%s\n", str(c, "domain").c_str(), c.value("count", 0),
                  str(c, "expires_at").empty() ? "session" : str(c, "expires_at").c_str(),
                  str(c, "warning").empty() ? "" : "  (not for this domain: see cookies add)");
  });
}

int cmd_cookies_rm(Client& client, const std::string& domain, bool json) {
  return call_and_show(client, "DELETE", "/api/v1/cookies/" + domain, std::nullopt, json,
                       [&](const nlohmann::json&) { std::cout << "the cookies of " << domain << " are deleted\n"; });
}

}  // namespace chronicle::cli
