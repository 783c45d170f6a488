#include <cmath>
#include <cstdlib>
#include <fstream>

#include "core/ids.hpp"
#include "http/routes.hpp"

namespace chronicle::http {

Reply Router::chat(const std::string& id, const std::map<std::string, std::string>& query) {
  auto job = service_.get(id);
  if (!job) return error_reply(job.error());
  // A window of the recording's timeline: what a player fetches as playback moves.
  double from = -INFINITY, to = INFINITY;
  for (const auto& [name, into] : {std::pair{"from_s", &from}, std::pair{"to_s", &to}}) {
    const auto it = query.find(name);
    if (it == query.end()) continue;
    char* end = nullptr;
    const double v = std::strtod(it->second.c_str(), &end);
    if (it->second.empty() || *end != '\0' || !std::isfinite(v))
      return error_reply(400, "invalid_query", std::string(name) + " must be a number of seconds");
    *into = v;
  }
  const bool window = std::isfinite(from) || std::isfinite(to);
  std::optional<std::filesystem::path> file;
  if (job->chat && !job->chat->key.empty()) {
    file = service_.local_file(job->chat->key);
    if (!file) {
      // A store that is not local (S3): the whole file from there.
      if (auto url = service_.download_url(job->chat->key); url && !window) {
        Reply r;
        r.status = 302;
        r.headers.emplace_back("Location", *url);
        return r;
      }
      // A window (a player moving along) from a copy kept in the work directory: a stored chat
      // never changes, so one fetch serves every window a warm API process is asked for.
      const auto cached = config_.work_dir() / "chat-cache" / (job->id + ".ndjson");
      std::error_code ec;
      const auto info = service_.stat_object(job->chat->key);
      if (!info) return error_reply(info.error());
      if (!std::filesystem::exists(cached, ec) || std::filesystem::file_size(cached, ec) != info->size) {
        std::filesystem::create_directories(cached.parent_path(), ec);
        // Each request its own partial file: two first readers never write into one.
        const auto partial = cached.string() + ".part-" + new_job_id();
        if (auto fetched = service_.fetch_object(job->chat->key, partial); !fetched)
          return error_reply(fetched.error());
        std::filesystem::rename(partial, cached, ec);
        if (ec) return error_reply(500, "internal", "the chat's copy cannot be kept: " + ec.message());
      }
      file = cached;
    }
  } else if (!is_terminal(job->status)) {
    // Recording: the recorder's file as it grows (embedded backend).
    const auto growing = config_.work_dir() / id / "chat.ndjson";
    std::error_code ec;
    if (std::filesystem::exists(growing, ec)) file = growing;
  }
  if (!file)
    return error_reply(404, "not_found",
                       "job " + id + " has no chat" +
                           (job->chat && job->chat->error ? ": " + job->chat->error->message
                            : !job->chat_enabled          ? " (it was recorded with chat: false)"
                                                 : " (chronicle records the chat of Twitch and YouTube streams)"));
  Reply r;
  r.content_type = "application/x-ndjson; charset=utf-8";
  r.headers.emplace_back("Cache-Control", "no-cache");
  if (!window) {
    r.file = *file;
    return r;
  }
  // Lines are in the order they arrived, so `at_s` only grows: the window is one pass.
  std::ifstream in(*file, std::ios::binary);
  for (std::string line; std::getline(in, line);) {
    const auto at = line.find("\"at_s\":");
    if (at == std::string::npos) continue;
    const double t = std::strtod(line.c_str() + at + 7, nullptr);
    if (t < from) continue;
    if (t >= to) break;
    r.body += line;
    r.body += '\n';
  }
  return r;
}

}  // namespace chronicle::http
