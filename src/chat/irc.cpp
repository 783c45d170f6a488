#include "chat/irc.hpp"

#include <charconv>

namespace chronicle::chat {
namespace {

std::string unescape_tag(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] != '\\') {
      out += value[i];
      continue;
    }
    if (++i >= value.size()) break;  // a lone trailing backslash is dropped (IRCv3)
    switch (value[i]) {
      case ':':
        out += ';';
        break;
      case 's':
        out += ' ';
        break;
      case 'r':
        out += '\r';
        break;
      case 'n':
        out += '\n';
        break;
      default:
        out += value[i];  // "\\" and any other escaped character stand for themselves
    }
  }
  return out;
}

std::string tag(const IrcMessage& m, const char* name) {
  const auto it = m.tags.find(name);
  return it == m.tags.end() ? std::string() : it->second;
}

nlohmann::json text_or_null(const std::string& s) { return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s); }

std::optional<long long> number(const std::string& s) {
  long long v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// "25:0-4,12-16/1902:6-10" -> [{"id":"25","start":0,"end":4}, ...] (character ranges, inclusive).
nlohmann::json emotes(const std::string& value) {
  nlohmann::json out = nlohmann::json::array();
  std::size_t at = 0;
  while (at < value.size()) {
    auto slash = value.find('/', at);
    if (slash == std::string::npos) slash = value.size();
    const std::string one = value.substr(at, slash - at);
    at = slash + 1;
    const auto colon = one.find(':');
    if (colon == std::string::npos) continue;
    const std::string id = one.substr(0, colon);
    std::size_t r = colon + 1;
    while (r < one.size()) {
      auto comma = one.find(',', r);
      if (comma == std::string::npos) comma = one.size();
      const std::string range = one.substr(r, comma - r);
      r = comma + 1;
      const auto dash = range.find('-');
      if (dash == std::string::npos) continue;
      const auto start = number(range.substr(0, dash)), end = number(range.substr(dash + 1));
      if (start && end && *start <= *end) out.push_back({{"id", id}, {"start", *start}, {"end", *end}});
    }
  }
  return out;
}

nlohmann::json badges(const std::string& value) {
  nlohmann::json out = nlohmann::json::array();
  std::size_t at = 0;
  while (at < value.size()) {
    auto comma = value.find(',', at);
    if (comma == std::string::npos) comma = value.size();
    if (comma > at) out.push_back(value.substr(at, comma - at));
    at = comma + 1;
  }
  return out;
}

// The author as viewers saw it: the display name, else the login.
void author(nlohmann::json& r, const IrcMessage& m, const std::string& login) {
  const std::string shown = tag(m, "display-name");
  r["author"] = shown.empty() ? login : shown;
  r["login"] = login;
  r["color"] = text_or_null(tag(m, "color"));
  r["badges"] = badges(tag(m, "badges"));
}

void sent_at(nlohmann::json& r, const IrcMessage& m) {
  if (auto ms = number(tag(m, "tmi-sent-ts"))) r["sent_ms"] = *ms;
}

}  // namespace

std::string IrcMessage::nick() const { return prefix.substr(0, prefix.find('!')); }

std::optional<IrcMessage> parse_irc(std::string_view line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
  IrcMessage m;
  auto word = [&line]() {
    const auto space = line.find(' ');
    std::string_view w = line.substr(0, space);
    line = space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    return w;
  };
  if (!line.empty() && line.front() == '@') {
    std::string_view tags = word().substr(1);
    while (!tags.empty()) {
      const auto semi = tags.find(';');
      const std::string_view one = tags.substr(0, semi);
      tags = semi == std::string_view::npos ? std::string_view() : tags.substr(semi + 1);
      const auto eq = one.find('=');
      if (one.empty()) continue;
      m.tags[std::string(one.substr(0, eq))] =
          eq == std::string_view::npos ? std::string() : unescape_tag(one.substr(eq + 1));
    }
  }
  if (!line.empty() && line.front() == ':') m.prefix = std::string(word().substr(1));
  m.command = std::string(word());
  if (m.command.empty()) return std::nullopt;
  while (!line.empty()) {
    if (line.front() == ':') {
      m.params.emplace_back(line.substr(1));
      break;
    }
    m.params.emplace_back(word());
  }
  return m;
}

std::optional<nlohmann::json> chat_record(const IrcMessage& m) {
  nlohmann::json r;
  const std::string trailing = m.params.size() >= 2 ? m.params.back() : std::string();
  if (m.command == "PRIVMSG" && m.params.size() >= 2) {
    std::string text = trailing;
    r["type"] = "message";
    // "/me waves" arrives as a CTCP ACTION.
    if (text.starts_with("\x01"
                         "ACTION ") &&
        text.ends_with("\x01")) {
      text = text.substr(8, text.size() - 9);
      r["action"] = true;
    }
    r["id"] = text_or_null(tag(m, "id"));
    author(r, m, m.nick());
    r["text"] = text;
    r["emotes"] = emotes(tag(m, "emotes"));
    if (auto bits = number(tag(m, "bits"))) r["bits"] = *bits;
    sent_at(r, m);
    return r;
  }
  if (m.command == "CLEARMSG") {
    r["type"] = "delete";
    r["target_id"] = text_or_null(tag(m, "target-msg-id"));
    r["login"] = text_or_null(tag(m, "login"));
    r["text"] = trailing;
    sent_at(r, m);
    return r;
  }
  if (m.command == "CLEARCHAT") {
    r["type"] = "clear";
    // With a user: that user's messages are removed (a timeout or a ban); without: the whole chat.
    r["login"] = m.params.size() >= 2 ? nlohmann::json(trailing) : nlohmann::json(nullptr);
    if (auto seconds = number(tag(m, "ban-duration")))
      r["duration_s"] = *seconds;
    else if (m.params.size() >= 2)
      r["duration_s"] = nullptr;  // a ban
    sent_at(r, m);
    return r;
  }
  if (m.command == "USERNOTICE") {
    r["type"] = "notice";
    r["kind"] = tag(m, "msg-id");  // sub, resub, subgift, raid, ...
    r["id"] = text_or_null(tag(m, "id"));
    author(r, m, tag(m, "login"));
    r["system_text"] = tag(m, "system-msg");
    r["text"] = text_or_null(trailing);
    if (auto viewers = number(tag(m, "msg-param-viewerCount"))) r["viewers"] = *viewers;
    sent_at(r, m);
    return r;
  }
  return std::nullopt;
}

}  // namespace chronicle::chat
