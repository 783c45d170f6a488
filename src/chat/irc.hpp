#pragma once
// Twitch chat's dialect of IRC (IRCv3 message tags, RFC 1459 framing): one line read into the
// parts a chat archive keeps. Written here because no Debian library parses IRCv3 tags, and a
// line is a few splits.
#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chronicle::chat {

struct IrcMessage {
  std::map<std::string, std::string> tags;  // unescaped values (IRCv3: \s \: \\ \r \n)
  std::string prefix;                       // "nick!user@host" or a server name, without ':'
  std::string command;                      // "PRIVMSG", "PING", "001", ...
  std::vector<std::string> params;          // the trailing parameter last, without its ':'
  std::string nick() const;                 // the prefix up to '!'
};

// nullopt for an empty line or one without a command.
std::optional<IrcMessage> parse_irc(std::string_view line);

// What the archive keeps of a message that changed what viewers saw, as one NDJSON record without
// its place in the recording (the caller adds `at_s`, `at`): a chat message with its author, colour,
// badges, emotes (with their ranges) and bits; a deleted message (CLEARMSG); a cleared chat or a
// user's messages removed (CLEARCHAT); a sub, resub, gift or raid (USERNOTICE). nullopt for what
// is not part of the chat (PING, joins, capability answers).
std::optional<nlohmann::json> chat_record(const IrcMessage& message);

}  // namespace chronicle::chat
