#pragma once
// YouTube's live chat as yt-dlp's `live_chat` downloader writes it (one JSON action per line, each
// wrapped as a replay action with `videoOffsetTimeMsec`), read into the records a chat archive
// keeps, the same shape as Twitch's (irc.hpp): messages with their author, badges and emoji (with
// their ranges), Super Chats with their amount, memberships as notices, and the moderation that
// removed messages viewers had seen.
#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace chronicle::chat {

// The records in one line of yt-dlp's live_chat file, without their place in the recording (the
// caller adds `at_s`, `at`). Empty for what is not chat (tickers, banners, placeholders) and for a
// line that is not JSON: a line yt-dlp cut short when it was stopped is left out, never thrown on.
std::vector<nlohmann::json> youtube_chat_records(std::string_view line);

// Whether `url` is on YouTube (www, m, youtu.be): its live chat is read through yt-dlp.
bool is_youtube_url(const std::string& url);

}  // namespace chronicle::chat
