#include "record/chat_capture.hpp"

#include <spdlog/spdlog.h>

#include <cmath>
#include <fstream>

#include "chat/twitch.hpp"
#include "core/time.hpp"
#include "sys/resolve.hpp"

namespace chronicle::record {
namespace fs = std::filesystem;

fs::path chat_file(const fs::path& work) { return work / "chat.ndjson"; }

std::string chat_source_of(const Job& job) {
  if (!job.chat_enabled) return "";
  if (!chat::twitch_channel_of(job.url).empty()) return "twitch";
  return "";
}

std::pair<std::uint64_t, std::uint64_t> chat_counts(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::uint64_t messages = 0, bytes = 0;
  for (std::string line; std::getline(in, line);) {
    bytes += line.size() + 1;
    if (line.find("\"type\":\"message\"") != std::string::npos) ++messages;
  }
  return {messages, bytes};
}

void capture_chat(const Config& config, JobStore& store, const Job& job, const fs::path& work, const ChatClock& clock) {
  if (!config.chat || chat_source_of(job) != "twitch") return;
  const fs::path file = chat_file(work);
  // A recorder taking over a job goes on with the same file.
  // (Plain variables, not a structured binding: the lambdas below capture them.)
  const auto counted = chat_counts(file);
  std::uint64_t messages = counted.first, bytes = counted.second;
  std::ofstream out(file, std::ios::app | std::ios::binary);
  const auto write_state = [&](const std::string& state, const std::optional<Error>& error) {
    auto written = update_job(store, job.id, [&](Job& j) -> Result<Ok> {
      if (is_terminal(j.status) || j.status == JobStatus::uploading) return make_error("skip", "the recording is over");
      ChatLog chat = j.chat.value_or(ChatLog{});
      chat.source = "twitch";
      chat.state = state;
      chat.messages = messages;
      chat.bytes = bytes;
      chat.error = error;
      j.chat = chat;
      return Ok{};
    });
    if (!written && written.error().code != "skip")
      spdlog::warn("job {}: cannot write the chat's state: {}", job.id, written.error().message);
  };
  write_state("recording", std::nullopt);
  auto last_write = std::chrono::steady_clock::now();
  bool changed = false;
  chat::TwitchChatOptions o;
  o.url = config.twitch_irc_url;
  o.channel = chat::twitch_channel_of(job.url);
  o.policy = config.url_policy();
  o.resolve = sys::resolve_host;
  o.stop = clock.over;
  o.on_record = [&](nlohmann::json r) {
    r["at_s"] = std::round(clock.position_s() * 1000) / 1000;
    r["at"] = to_rfc3339(now());
    if (clock.in_gap()) r["in_gap"] = true;
    // Invalid UTF-8 from the server is replaced, never thrown on: the line is stored either way.
    const std::string line = r.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    out << line << '\n';
    out.flush();
    bytes += line.size() + 1;
    if (r["type"] == "message") ++messages;
    changed = true;
    if (std::chrono::steady_clock::now() - last_write > std::chrono::seconds(5)) {
      write_state("recording", std::nullopt);
      last_write = std::chrono::steady_clock::now();
      changed = false;
    }
  };
  spdlog::info("job {}: recording the chat of #{} from {}", job.id, o.channel, o.url);
  auto ran = chat::run_twitch_chat(o);
  if (!ran) {
    spdlog::warn("job {}: the chat cannot be recorded: {}", job.id, ran.error().message);
    write_state("failed", Error{ran.error().code, "the chat cannot be recorded: " + ran.error().message});
    return;
  }
  if (changed) write_state("recording", std::nullopt);
}

}  // namespace chronicle::record
