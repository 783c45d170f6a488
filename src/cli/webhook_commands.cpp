#include "cli/webhook_commands.hpp"

#include <cstdio>
#include <fstream>
#include <iostream>

#include "cli/output.hpp"

namespace chronicle::cli {
namespace {

std::string joined(const nlohmann::json& list) {
  std::string out;
  for (const auto& e : list)
    if (e.is_string()) out += (out.empty() ? "" : ",") + e.get<std::string>();
  return out;
}

void print_webhook(const nlohmann::json& w) {
  std::cout << "id:      " << str(w, "id") << "\n"
            << "url:     " << str(w, "url") << "\n"
            << "format:  " << str(w, "format") << "\n"
            << "events:  " << joined(w.value("events", nlohmann::json::array())) << "\n"
            << "signed:  " << (w.value("signed", false) ? "yes (X-Chronicle-Signature)" : "no") << "\n";
  if (!w.contains("deliveries")) return;
  const auto& deliveries = w["deliveries"];
  if (deliveries.empty()) {
    std::cout << "no deliveries yet\n";
    return;
  }
  std::printf("%-24s  %-14s  %-9s  %8s  %s\n", "CREATED", "EVENT", "STATE", "ATTEMPTS", "LAST ANSWER");
  for (const auto& d : deliveries) {
    std::string last = d.value("last_status", nlohmann::json()).is_number()
                           ? "HTTP " + std::to_string(d["last_status"].get<int>())
                           : std::string();
    if (d.value("last_error", nlohmann::json()).is_string()) last = str(d, "last_error");
    if (str(d, "state") == "pending" && !str(d, "next_attempt_at").empty())
      last += (last.empty() ? "" : "; ") + std::string("next try ") + str(d, "next_attempt_at");
    std::printf("%-24s  %-14s  %-9s  %8d  %s\n", str(d, "created_at").c_str(), str(d, "event").c_str(),
                str(d, "state").c_str(), d.value("attempts", 0), last.c_str());
  }
}

}  // namespace

WebhookCommands::WebhookCommands(CLI::App& app) {
  auto* webhook = app.add_subcommand("webhook", "notify other services of recordings (webhooks, Discord, ntfy)");
  webhook->require_subcommand(1);
  add_ = webhook->add_subcommand("add", "POST events to a URL");
  add_->add_option("url", url_, "where the deliveries are POSTed (a Discord webhook or an ntfy topic URL too)")
      ->required();
  add_->add_option("--events", events_,
                   "job.recording, job.completed, job.failed, channel.live (comma-separated; default: all)")
      ->delimiter(',');
  add_->add_option("--format", format_, "json (default, signed with a secret), discord or ntfy");
  auto* secret = add_->add_option("--secret", secret_, "sign each delivery with this key (HMAC-SHA256)");
  add_->add_option("--secret-file", secret_file_, "read the signing key from this file (keeps it out of ps)")
      ->excludes(secret);
  ls_ = webhook->add_subcommand("ls", "list webhooks");
  auto with_id = [&](const char* name, const char* description) {
    auto* c = webhook->add_subcommand(name, description);
    c->add_option("id", id_, "webhook id")->required();
    return c;
  };
  show_ = with_id("show", "show a webhook and its last deliveries");
  test_ = with_id("test", "send a test delivery (ping)");
  rm_ = with_id("rm", "remove a webhook and its deliveries");
  for (auto* c : {add_, ls_, show_, test_, rm_}) c->add_flag("--json", json_, "print JSON");
}

std::optional<int> WebhookCommands::run(Client& client) const {
  if (add_->parsed()) return add(client);
  if (ls_->parsed())
    return call_and_show(client, "GET", "/api/v1/webhooks", std::nullopt, json_, [](const nlohmann::json& answer) {
      const auto& list = answer.value("webhooks", nlohmann::json::array());
      if (list.empty()) {
        std::cout << "no webhooks\n";
        return;
      }
      std::printf("%-26s  %-7s  %-6s  %-45s  %s\n", "ID", "FORMAT", "SIGNED", "EVENTS", "URL");
      for (const auto& w : list)
        std::printf("%-26s  %-7s  %-6s  %-45s  %s\n", str(w, "id").c_str(), str(w, "format").c_str(),
                    w.value("signed", false) ? "yes" : "no", joined(w.value("events", nlohmann::json::array())).c_str(),
                    str(w, "url").c_str());
    });
  if (show_->parsed())
    return call_and_show(client, "GET", "/api/v1/webhooks/" + id_, std::nullopt, json_, print_webhook);
  if (test_->parsed())
    return call_and_show(client, "POST", "/api/v1/webhooks/" + id_ + "/test", nlohmann::json::object(), json_,
                         [this](const nlohmann::json&) {
                           std::cout << "a test delivery is queued; `chronicle webhook show " << id_
                                     << "` shows how it went\n";
                         });
  if (rm_->parsed())
    return call_and_show(client, "DELETE", "/api/v1/webhooks/" + id_, std::nullopt, json_,
                         [this](const nlohmann::json&) { std::cout << id_ << " removed (its deliveries too)\n"; });
  return std::nullopt;
}

int WebhookCommands::add(Client& client) const {
  nlohmann::json body = {{"url", url_}};
  if (!events_.empty()) body["events"] = events_;
  if (!format_.empty()) body["format"] = format_;
  std::string secret = secret_;
  if (!secret_file_.empty()) {
    std::ifstream in(secret_file_);
    if (!in) return fail(make_error("invalid_file", "cannot read " + secret_file_));
    std::getline(in, secret);
    if (secret.empty()) return fail(make_error("invalid_file", secret_file_ + " holds no secret on its first line"));
  }
  if (!secret.empty()) body["secret"] = secret;
  return call_and_show(client, "POST", "/api/v1/webhooks", body, json_, [](const nlohmann::json& w) {
    std::cout << "webhook " << str(w, "id") << " added: " << joined(w.value("events", nlohmann::json::array()))
              << " to " << str(w, "url") << (w.value("signed", false) ? " (signed)" : "") << "\n";
  });
}

}  // namespace chronicle::cli
