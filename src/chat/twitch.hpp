#pragma once
// A Twitch channel's chat, read anonymously as Twitch's own web player does: IRC over WebSocket
// (`justinfan` login, `CAP REQ :twitch.tv/tags twitch.tv/commands`, `JOIN #channel`), PING
// answered, RECONNECT obeyed, and a dropped connection opened again with backoff. Every
// connection goes to an address the URL policy allows, the one that was checked.
#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <string>

#include "core/result.hpp"
#include "core/url_policy.hpp"

namespace chronicle::chat {

inline constexpr const char* kTwitchIrcUrl = "wss://irc-ws.chat.twitch.tv:443";

struct TwitchChatOptions {
  std::string url = kTwitchIrcUrl;  // ws:// or wss://
  std::string channel;              // the channel's login, without '#'
  UrlPolicy policy;
  Resolver resolve;
  // Called for every chat record (chat_record) as it arrives, and for {"type": "disconnected"} /
  // {"type": "connected"} around a connection that was lost, so the archive says where it may
  // miss messages. A message the server sends again after a reconnect (same id) is passed once.
  std::function<void(nlohmann::json record)> on_record;
  std::function<bool()> stop;                    // polled about every 200 ms
  std::chrono::seconds idle_timeout{360};        // Twitch PINGs about every 5 minutes
  std::chrono::milliseconds first_backoff{500};  // doubled after each failed attempt
  std::chrono::milliseconds max_backoff{30000};
};

// Reads the chat until `stop` says so; returns why it ended when it could not even start (a bad
// URL, a refused address), else Ok once stopped. Connection failures after a start are retried.
Result<Ok> run_twitch_chat(const TwitchChatOptions& options);

// The channel's login from a Twitch URL ("https://www.twitch.tv/somebody" -> "somebody"); empty
// when the URL is not a Twitch channel's page.
std::string twitch_channel_of(const std::string& url);

}  // namespace chronicle::chat
