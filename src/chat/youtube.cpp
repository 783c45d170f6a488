#include "chat/youtube.hpp"

#include <cstdint>
#include <optional>

#include "core/url_policy.hpp"

namespace chronicle::chat {
namespace {

using nlohmann::json;

const json* child(const json& j, std::string_view key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

const json* path(const json& j, std::initializer_list<std::string_view> keys) {
  const json* at = &j;
  for (auto key : keys)
    if (!(at = child(*at, key))) return nullptr;
  return at;
}

std::string text_at(const json& j, std::initializer_list<std::string_view> keys) {
  const json* at = path(j, keys);
  return at && at->is_string() ? at->get<std::string>() : std::string();
}

std::size_t codepoints(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

// YouTube sends a message as runs of text and emoji. The archive keeps the text viewers read (an
// emoji as its shortcut, ":_custom:", or the character itself) and each emoji's range in it, in
// code points as Twitch gives emote ranges, so one renderer shows both.
void message_runs(json& r, const json& renderer, std::string_view field) {
  std::string text;
  json emotes = json::array();
  if (const json* runs = path(renderer, {field, "runs"}); runs && runs->is_array())
    for (const json& run : *runs) {
      if (const json* t = child(run, "text"); t && t->is_string()) {
        text += t->get<std::string>();
        continue;
      }
      const json* emoji = child(run, "emoji");
      if (!emoji) continue;
      std::string shown;
      if (const json* shortcuts = child(*emoji, "shortcuts");
          shortcuts && shortcuts->is_array() && !shortcuts->empty() && (*shortcuts)[0].is_string())
        shown = (*shortcuts)[0].get<std::string>();
      const std::string id = text_at(*emoji, {"emojiId"});
      const bool custom = path(*emoji, {"isCustomEmoji"}) && path(*emoji, {"isCustomEmoji"})->is_boolean() &&
                          path(*emoji, {"isCustomEmoji"})->get<bool>();
      // A standard emoji's id is the character itself: shown as it is, not as ":smile:".
      if (!custom && !id.empty()) shown = id;
      if (shown.empty()) continue;
      const std::size_t start = codepoints(text);
      text += shown;
      if (custom) emotes.push_back({{"id", id}, {"start", start}, {"end", codepoints(text) - 1}});
    }
  else if (const std::string simple = text_at(renderer, {field, "simpleText"}); !simple.empty())
    text = simple;
  r["text"] = text;
  r["emotes"] = emotes;
}

void author(json& r, const json& renderer) {
  r["author"] = text_at(renderer, {"authorName", "simpleText"});
  r["login"] = text_at(renderer, {"authorExternalChannelId"});
  r["color"] = nullptr;
  json badges = json::array();
  if (const json* list = child(renderer, "authorBadges"); list && list->is_array())
    for (const json& badge : *list)
      if (const std::string tip = text_at(badge, {"liveChatAuthorBadgeRenderer", "tooltip"}); !tip.empty())
        badges.push_back(tip);
  r["badges"] = badges;
}

void sent_at(json& r, const json& renderer) {
  const std::string usec = text_at(renderer, {"timestampUsec"});
  if (usec.empty() || usec.size() > 19 || usec.find_first_not_of("0123456789") != std::string::npos) return;
  r["sent_ms"] = static_cast<std::int64_t>(std::stoll(usec) / 1000);
}

std::optional<json> item_record(const json& item) {
  json r;
  if (const json* text = child(item, "liveChatTextMessageRenderer")) {
    r["type"] = "message";
    r["id"] = text_at(*text, {"id"});
    author(r, *text);
    message_runs(r, *text, "message");
    sent_at(r, *text);
    return r;
  }
  if (const json* paid = child(item, "liveChatPaidMessageRenderer")) {
    r["type"] = "message";
    r["id"] = text_at(*paid, {"id"});
    author(r, *paid);
    message_runs(r, *paid, "message");
    r["paid"] = text_at(*paid, {"purchaseAmountText", "simpleText"});
    sent_at(r, *paid);
    return r;
  }
  if (const json* sticker = child(item, "liveChatPaidStickerRenderer")) {
    r["type"] = "notice";
    r["kind"] = "sticker";
    r["id"] = text_at(*sticker, {"id"});
    author(r, *sticker);
    r["system_text"] = text_at(*sticker, {"sticker", "accessibility", "accessibilityData", "label"});
    r["text"] = nullptr;
    r["paid"] = text_at(*sticker, {"purchaseAmountText", "simpleText"});
    sent_at(r, *sticker);
    return r;
  }
  if (const json* member = child(item, "liveChatMembershipItemRenderer")) {
    r["type"] = "notice";
    r["kind"] = "membership";
    r["id"] = text_at(*member, {"id"});
    author(r, *member);
    json header;
    message_runs(header, *member, "headerSubtext");
    r["system_text"] = header["text"];
    json said;
    message_runs(said, *member, "message");
    r["text"] = said["text"].get<std::string>().empty() ? json(nullptr) : said["text"];
    sent_at(r, *member);
    return r;
  }
  return std::nullopt;
}

std::optional<json> action_record(const json& action) {
  if (const json* item = path(action, {"addChatItemAction", "item"})) return item_record(*item);
  if (const json* deleted = child(action, "markChatItemAsDeletedAction")) {
    json r{{"type", "delete"}, {"target_id", text_at(*deleted, {"targetItemId"})}, {"login", nullptr}};
    json shown;
    message_runs(shown, *deleted, "deletedStateMessage");
    r["text"] = shown["text"];
    return r;
  }
  if (const json* by_author = child(action, "markChatItemsByAuthorAsDeletedAction"))
    return json{{"type", "clear"}, {"login", text_at(*by_author, {"externalChannelId"})}, {"duration_s", nullptr}};
  return std::nullopt;
}

}  // namespace

std::vector<json> youtube_chat_records(std::string_view line) {
  std::vector<json> out;
  const json parsed = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) return out;
  // yt-dlp wraps each live action as a replay action; a chat replay's lines hold several.
  const json* actions = path(parsed, {"replayChatItemAction", "actions"});
  if (!actions || !actions->is_array()) {
    if (auto r = action_record(parsed)) out.push_back(std::move(*r));
    return out;
  }
  for (const json& action : *actions)
    if (auto r = action_record(action)) out.push_back(std::move(*r));
  return out;
}

bool is_youtube_url(const std::string& url) {
  auto parsed = parse_url(with_default_scheme(url));
  if (!parsed) return false;
  const std::string& h = parsed->host;
  return h == "youtube.com" || h == "www.youtube.com" || h == "m.youtube.com" || h == "youtu.be";
}

}  // namespace chronicle::chat
