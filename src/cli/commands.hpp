#pragma once
// The CLI's subcommands. Each returns the process exit code: 0 on success, non-zero with a
// one-line message on stderr otherwise. With --json, stdout holds exactly one JSON document.
#include <optional>
#include <string>

#include "cli/client.hpp"
#include "core/names.hpp"

namespace chronicle::cli {

struct SubmitOptions {
  std::string url, name, prefix, format;
  bool wait = false;
  bool json = false;
  bool no_chat = false;
  std::optional<double> reconnect_window_s;
  std::optional<double> wait_for_live_s;
};
int cmd_submit(Client& client, const SubmitOptions& o);
int cmd_ls(Client& client, const std::string& status, int limit, bool json);
int cmd_show(Client& client, const std::string& id, bool json, bool verbose = false);
int cmd_stop(Client& client, const std::string& id, bool json);
int cmd_rm(Client& client, const std::string& id, bool json);
int cmd_pin(Client& client, const std::string& id, bool pinned, bool json);
int cmd_watch(Client& client, const std::string& id, bool json);
int cmd_download(Client& client, const std::string& id, bool torrent, const std::string& output, bool force);

struct ChannelOptions {
  std::string url, name, prefix, name_format, format;
  std::optional<double> poll_interval_s;
  bool paused = false;
  bool no_chat = false;
  bool json = false;
};
int cmd_channel_add(Client& client, const ChannelOptions& o);
// What `channel edit` changes: only the options given.
struct ChannelEdit {
  std::optional<std::string> name, prefix, name_format, format;
  std::optional<double> poll_interval_s;
  std::optional<bool> chat;
  bool json = false;
};
int cmd_channel_edit(Client& client, const std::string& id, const ChannelEdit& e);
int cmd_channel_ls(Client& client, bool json);
int cmd_channel_show(Client& client, const std::string& id, bool json);
// pause/resume: PATCH enabled; check: one check now; rm: delete (its jobs stay).
int cmd_channel_set_enabled(Client& client, const std::string& id, bool enabled, bool json);
int cmd_channel_check(Client& client, const std::string& id, bool json);
int cmd_channel_rm(Client& client, const std::string& id, bool json);

// Cookies per site: the file is read here and sent once; nothing shows it again.
int cmd_cookies_add(Client& client, const std::string& domain, const std::string& file, bool json);
int cmd_cookies_ls(Client& client, bool json);
int cmd_cookies_rm(Client& client, const std::string& domain, bool json);

// "90", "90s", "15m", "2h", "1h30m", "1d" -> seconds; nullopt for anything else.
std::optional<double> parse_duration(const std::string& text);

// Rendering helpers (exposed for tests).
using chronicle::human_bytes;
std::string human_duration(double seconds);
std::string human_bitrate(std::uint64_t bytes, double seconds);
std::string progress_line(const nlohmann::json& job);
std::string describe_media(const nlohmann::json& media);

}  // namespace chronicle::cli
