#include "core/job.hpp"

#include <array>

#include "core/json_fields.hpp"

namespace chronicle {
namespace {
constexpr std::array<std::string_view, 8> kStatusNames{"pending",   "waiting",   "starting", "recording",
                                                       "uploading", "completed", "failed",   "canceled"};
}  // namespace

std::string_view to_string(JobStatus s) { return kStatusNames[static_cast<size_t>(s)]; }

std::optional<JobStatus> parse_status(std::string_view s) {
  for (size_t i = 0; i < kStatusNames.size(); ++i)
    if (kStatusNames[i] == s) return static_cast<JobStatus>(i);
  return std::nullopt;
}

bool is_terminal(JobStatus s) {
  return s == JobStatus::completed || s == JobStatus::failed || s == JobStatus::canceled;
}

bool is_active(JobStatus s) {
  return s == JobStatus::pending || s == JobStatus::waiting || s == JobStatus::starting || s == JobStatus::recording;
}

bool can_transition(JobStatus from, JobStatus to) {
  using S = JobStatus;
  switch (from) {
    case S::pending:
    case S::waiting:
      // A waiting job is claimed for its next check (the probe) from a queue message as a pending
      // one is for its first; failed: the stream did not go live before the deadline.
      return to == S::starting || to == S::canceled || to == S::failed;
    case S::starting:
      // canceled: a stop arrived before a single byte was recorded, so there is nothing to keep.
      // waiting: the probe found the stream not live yet, and the job may wait for it.
      return to == S::recording || to == S::failed || to == S::canceled || to == S::uploading || to == S::waiting;
    case S::recording:
      return to == S::uploading || to == S::failed;
    case S::uploading:
      return to == S::completed || to == S::failed;
    case S::completed:
    case S::failed:
    case S::canceled:
      return false;
  }
  return false;
}

void drop_open_interruption(Job& job) {
  if (!job.interruptions.empty() && !job.interruptions.back().gap_s) job.interruptions.pop_back();
}

Result<Ok> transition(Job& job, JobStatus to, TimePoint at) {
  if (!can_transition(job.status, to))
    return make_error("invalid_transition", "job " + job.id + " cannot go from " + std::string(to_string(job.status)) +
                                                " to " + std::string(to_string(to)));
  job.status = to;
  job.updated_at = at;
  job.milestones.emplace(std::string(to_string(to)), at);
  if (to == JobStatus::starting && !job.started_at) job.started_at = at;
  if (is_terminal(to)) job.finished_at = at;
  return Ok{};
}

nlohmann::json to_public_json(const Job& job) {
  nlohmann::json j;
  j["id"] = job.id;
  j["url"] = job.url;
  j["name"] = job.name;
  j["prefix"] = job.prefix;
  j["status"] = to_string(job.status);
  j["title"] = job.title.empty() ? nlohmann::json(nullptr) : nlohmann::json(job.title);
  j["created_at"] = to_rfc3339(job.created_at);
  j["started_at"] = time_or_null(job.started_at);
  j["updated_at"] = time_or_null(job.updated_at);
  j["heartbeat_at"] = time_or_null(job.heartbeat_at);
  j["finished_at"] = time_or_null(job.finished_at);
  j["bytes"] = job.bytes;
  j["duration_s"] = job.duration_s;
  j["stop_requested"] = job.stop_requested;
  j["error"] =
      job.error ? nlohmann::json{{"code", job.error->code}, {"message", job.error->message}} : nlohmann::json(nullptr);
  if (job.error && !job.error->detail.empty()) j["error"]["detail"] = job.error->detail;
  if (job.recording) {
    j["recording"] = {{"key", job.recording->key},
                      {"size", job.recording->size},
                      {"sha256", job.recording->sha256},
                      {"url", job.recording->url}};
  } else {
    j["recording"] = nullptr;
  }
  j["torrent"] = job.torrent ? to_json(*job.torrent) : nlohmann::json(nullptr);
  nlohmann::json milestones = nlohmann::json::object();
  milestones["pending"] = to_rfc3339(job.created_at);
  for (const auto& [status, at] : job.milestones) milestones[status] = to_rfc3339(at);
  j["milestones"] = milestones;
  nlohmann::json interruptions = nlohmann::json::array();
  for (const auto& i : job.interruptions)
    interruptions.push_back({{"at_s", i.at_s},
                             {"gap_s", i.gap_s ? nlohmann::json(*i.gap_s) : nlohmann::json(nullptr)},
                             {"started_at", to_rfc3339(i.started_at)}});
  j["interruptions"] = interruptions;
  nlohmann::json ad_breaks = nlohmann::json::array();
  for (const auto& b : job.ad_breaks) ad_breaks.push_back({{"at_s", b.at_s}, {"duration_s", b.duration_s}});
  j["ad_breaks"] = ad_breaks;
  j["keep_ads"] = job.keep_ads;
  j["start"] = job.start.empty() ? start_at::earliest : job.start;
  j["end_reason"] = job.end_reason.empty() ? nlohmann::json(nullptr) : nlohmann::json(job.end_reason);
  j["last_media_at"] = time_or_null(job.last_media_at);
  j["reconnect_window_s"] = job.reconnect_window_s ? nlohmann::json(*job.reconnect_window_s) : nlohmann::json(nullptr);
  j["warnings"] = job.warnings;
  j["channel_id"] = text_or_null(job.channel_id);
  j["wait_until"] = time_or_null(job.wait_until);
  j["next_check_at"] = time_or_null(job.next_check_at);
  j["scheduled_start"] = time_or_null(job.scheduled_start);
  j["live_checks"] = job.live_checks;
  j["waiting_reason"] = text_or_null(job.waiting_reason);
  j["format"] = text_or_null(job.format);
  j["media"] = job.media ? to_json(*job.media) : nlohmann::json(nullptr);
  j["thumbnail"] =
      job.thumbnail
          ? nlohmann::json{{"key", job.thumbnail->key}, {"url", job.thumbnail->url}, {"live", job.thumbnail->live}}
          : nlohmann::json(nullptr);
  j["pinned"] = job.pinned;
  j["recording_deleted_at"] = time_or_null(job.recording_deleted_at);
  nlohmann::json titles = nlohmann::json::array();
  for (const auto& t : job.titles) titles.push_back({{"at_s", t.at_s}, {"title", t.title}});
  j["titles"] = titles;
  nlohmann::json clips = nlohmann::json::array();
  for (const auto& c : job.clips) clips.push_back(to_json(c));
  j["clips"] = clips;
  j["chat"] = job.chat ? to_json(*job.chat) : nlohmann::json(nullptr);
  j["chat_enabled"] = job.chat_enabled;
  // What a player opens while the job records (the API signs it per read); once stored it leads to
  // the recording.
  // HLS recordings only: chronicle records those itself, into the journal the playlist is made of
  // (streams yt-dlp records play once stored).
  const bool journaled = job.protocol.find("m3u8") != std::string::npos;
  j["live_url"] =
      job.recording || (journaled && (job.status == JobStatus::recording || job.status == JobStatus::uploading))
          ? nlohmann::json("/api/v1/jobs/" + job.id + "/live.m3u8")
          : nlohmann::json(nullptr);
  return j;
}

nlohmann::json to_json(const ChatLog& c) {
  nlohmann::json j = {{"source", c.source}, {"state", c.state},           {"messages", c.messages},
                      {"bytes", c.bytes},   {"key", text_or_null(c.key)}, {"url", text_or_null(c.url)}};
  j["error"] =
      c.error ? nlohmann::json{{"code", c.error->code}, {"message", c.error->message}} : nlohmann::json(nullptr);
  return j;
}

std::optional<ChatLog> chat_from_json(const nlohmann::json& j) {
  if (!j.is_object()) return std::nullopt;
  auto text = [&j](const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  ChatLog c;
  c.source = text("source");
  c.state = text("state");
  c.messages = j.value("messages", std::uint64_t{0});
  c.bytes = j.value("bytes", std::uint64_t{0});
  c.key = text("key");
  c.url = text("url");
  if (auto it = j.find("error"); it != j.end() && it->is_object())
    c.error = Error{it->value("code", ""), it->value("message", "")};
  return c;
}

nlohmann::json to_json(const Clip& c) {
  auto number_or_null = [](const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  nlohmann::json j = {{"id", c.id},
                      {"name", c.name},
                      {"start_s", c.start_s},
                      {"end_s", c.end_s},
                      {"status", c.status},
                      {"cut_start_s", number_or_null(c.cut_start_s)},
                      {"cut_end_s", number_or_null(c.cut_end_s)},
                      {"size", c.size},
                      {"sha256", text_or_null(c.sha256)},
                      {"key", text_or_null(c.key)},
                      {"url", text_or_null(c.url)},
                      {"created_at", to_rfc3339(c.created_at)}};
  j["error"] =
      c.error ? nlohmann::json{{"code", c.error->code}, {"message", c.error->message}} : nlohmann::json(nullptr);
  // The chat's link follows the file's ("…/file" -> "…/chat"), signed the same way.
  std::string chat_url;
  if (c.url.ends_with("/file")) chat_url = c.url.substr(0, c.url.size() - 5) + "/chat";
  j["chat"] = c.chat_key.empty() ? nlohmann::json(nullptr)
                                 : nlohmann::json{{"messages", c.chat_messages},
                                                  {"bytes", c.chat_bytes},
                                                  {"key", c.chat_key},
                                                  {"url", text_or_null(chat_url)}};
  return j;
}

std::vector<std::string> Clip::stored_keys() const {
  std::vector<std::string> keys;
  if (!key.empty()) keys.push_back(key);
  if (!chat_key.empty()) keys.push_back(chat_key);
  return keys;
}

std::optional<Clip> clip_from_json(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("id") || !j["id"].is_string()) return std::nullopt;
  auto text = [&j](const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  auto number = [&j](const char* key) -> std::optional<double> {
    auto it = j.find(key);
    if (it == j.end() || !it->is_number()) return std::nullopt;
    return it->get<double>();
  };
  Clip c;
  c.id = text("id");
  c.name = text("name");
  c.start_s = number("start_s").value_or(0);
  c.end_s = number("end_s").value_or(0);
  c.status = text("status");
  if (c.status.empty()) c.status = clip_status::cutting;
  c.cut_start_s = number("cut_start_s");
  c.cut_end_s = number("cut_end_s");
  if (auto it = j.find("size"); it != j.end() && it->is_number_unsigned()) c.size = it->get<std::uint64_t>();
  c.sha256 = text("sha256");
  c.key = text("key");
  c.url = text("url");
  if (auto it = j.find("chat"); it != j.end() && it->is_object()) {
    c.chat_key = it->value("key", "");
    c.chat_messages = it->value("messages", std::uint64_t{0});
    c.chat_bytes = it->value("bytes", std::uint64_t{0});
  }
  if (auto it = j.find("error"); it != j.end() && it->is_object())
    c.error = Error{it->value("code", ""), it->value("message", "")};
  c.created_at = time_from(j, "created_at").value_or(TimePoint{});
  return c;
}

std::string json_text(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

nlohmann::json to_json(const TorrentInfo& t) {
  auto hash = [](const std::string& h) { return h.empty() ? nlohmann::json(nullptr) : nlohmann::json(h); };
  return {{"key", t.key},
          {"infohash_v1", hash(t.infohash_v1)},
          {"infohash_v2", hash(t.infohash_v2)},
          {"magnet", t.magnet},
          {"url", t.url},
          {"trackers", t.trackers},
          {"web_seeds", t.web_seeds},
          {"piece_size", t.piece_size}};
}

std::optional<TorrentInfo> torrent_from_json(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("key") || !j["key"].is_string()) return std::nullopt;
  auto text = [&j](const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  auto texts = [&j](const char* key) {
    std::vector<std::string> out;
    if (auto it = j.find(key); it != j.end() && it->is_array())
      for (const auto& v : *it)
        if (v.is_string()) out.push_back(v.get<std::string>());
    return out;
  };
  TorrentInfo t;
  t.key = text("key");
  t.infohash_v1 = text("infohash_v1");
  t.infohash_v2 = text("infohash_v2");
  t.magnet = text("magnet");
  t.url = text("url");
  t.trackers = texts("trackers");
  t.web_seeds = texts("web_seeds");
  t.piece_size = j.value("piece_size", std::uint32_t{0});
  return t;
}

nlohmann::json to_json(const SeedingStats& s) {
  return {
      {"state", s.state}, {"peers", s.peers}, {"uploaded", s.uploaded}, {"ratio", s.ratio}, {"announced", s.announced}};
}

Result<Job> parse_stored_job(const std::string& text, bool* removed) {
  try {
    const auto j = nlohmann::json::parse(text);
    if (!j.is_object()) return make_error("corrupt_job", "a stored job is not a JSON object");
    if (removed) *removed = j.value("removed", false);
    return from_storage_json(j);
  } catch (const nlohmann::json::exception& e) {
    return make_error("corrupt_job", std::string("a stored job cannot be read: ") + e.what());
  }
}

nlohmann::json to_storage_json(const Job& job) {
  nlohmann::json j = to_public_json(job);
  j["version"] = job.version;
  j["recorder_ref"] = job.recorder_ref;
  j["protocol"] = job.protocol;
  j["preview_wanted_at"] = time_or_null(job.preview_wanted_at);
  return j;
}

Job from_storage_json(const nlohmann::json& j) {
  Job job;
  job.id = j.value("id", "");
  job.url = j.value("url", "");
  job.name = j.value("name", "");
  job.prefix = j.value("prefix", "");
  job.status = parse_status(j.value("status", "pending")).value_or(JobStatus::pending);
  if (j.contains("title") && j["title"].is_string()) job.title = j["title"].get<std::string>();
  job.created_at = time_from(j, "created_at").value_or(TimePoint{});
  job.started_at = time_from(j, "started_at");
  job.updated_at = time_from(j, "updated_at");
  job.heartbeat_at = time_from(j, "heartbeat_at");
  job.finished_at = time_from(j, "finished_at");
  job.bytes = j.value("bytes", std::uint64_t{0});
  job.duration_s = j.value("duration_s", 0.0);
  job.stop_requested = j.value("stop_requested", false);
  if (j.contains("error") && j["error"].is_object())
    job.error = Error{j["error"].value("code", ""), j["error"].value("message", ""), ErrorKind::unset,
                      j["error"].value("detail", "")};
  if (j.contains("recording") && j["recording"].is_object()) {
    const auto& r = j["recording"];
    job.recording = StoredRecording{r.value("key", ""), r.value("size", std::uint64_t{0}), r.value("sha256", ""),
                                    r.value("url", "")};
  }
  if (auto it = j.find("torrent"); it != j.end()) job.torrent = torrent_from_json(*it);
  if (j.contains("milestones") && j["milestones"].is_object())
    for (const auto& [status, at] : j["milestones"].items())
      if (at.is_string() && status != "pending")
        if (auto t = from_rfc3339(at.get<std::string>())) job.milestones.emplace(status, *t);
  if (auto it = j.find("interruptions"); it != j.end() && it->is_array())
    for (const auto& i : *it) {
      Interruption gap;
      gap.at_s = i.value("at_s", 0.0);
      if (i.contains("gap_s") && i["gap_s"].is_number()) gap.gap_s = i["gap_s"].get<double>();
      gap.started_at = time_from(i, "started_at").value_or(TimePoint{});
      job.interruptions.push_back(gap);
    }
  if (auto it = j.find("ad_breaks"); it != j.end() && it->is_array())
    for (const auto& b : *it)
      if (b.is_object()) job.ad_breaks.push_back(AdBreak{b.value("at_s", 0.0), b.value("duration_s", 0.0)});
  job.keep_ads = j.value("keep_ads", false);
  if (j.contains("start") && j["start"].is_string() && j["start"] == start_at::live) job.start = start_at::live;
  if (j.contains("end_reason") && j["end_reason"].is_string()) job.end_reason = j["end_reason"].get<std::string>();
  job.last_media_at = time_from(j, "last_media_at");
  if (j.contains("reconnect_window_s") && j["reconnect_window_s"].is_number())
    job.reconnect_window_s = j["reconnect_window_s"].get<double>();
  if (auto it = j.find("warnings"); it != j.end() && it->is_array())
    for (const auto& w : *it)
      if (w.is_string()) job.warnings.push_back(w.get<std::string>());
  if (j.contains("channel_id") && j["channel_id"].is_string()) job.channel_id = j["channel_id"].get<std::string>();
  job.wait_until = time_from(j, "wait_until");
  job.next_check_at = time_from(j, "next_check_at");
  job.scheduled_start = time_from(j, "scheduled_start");
  job.live_checks = j.value("live_checks", 0);
  if (j.contains("waiting_reason") && j["waiting_reason"].is_string())
    job.waiting_reason = j["waiting_reason"].get<std::string>();
  if (j.contains("format") && j["format"].is_string()) job.format = j["format"].get<std::string>();
  if (auto it = j.find("media"); it != j.end()) job.media = media_from_json(*it);
  if (auto it = j.find("thumbnail");
      it != j.end() && it->is_object() && it->contains("key") && (*it)["key"].is_string())
    job.thumbnail = Thumbnail{(*it)["key"].get<std::string>(), it->value("url", ""), it->value("live", false)};
  job.pinned = j.value("pinned", false);
  job.recording_deleted_at = time_from(j, "recording_deleted_at");
  if (auto it = j.find("titles"); it != j.end() && it->is_array())
    for (const auto& t : *it)
      if (t.is_object() && t.contains("title") && t["title"].is_string())
        job.titles.push_back(TitleChange{t.value("at_s", 0.0), t["title"].get<std::string>()});
  job.chat_enabled = j.value("chat_enabled", true);
  if (auto it = j.find("chat"); it != j.end()) job.chat = chat_from_json(*it);
  if (auto it = j.find("clips"); it != j.end() && it->is_array())
    for (const auto& c : *it)
      if (auto clip = clip_from_json(c)) job.clips.push_back(std::move(*clip));
  job.version = j.value("version", std::int64_t{0});
  job.recorder_ref = j.value("recorder_ref", "");
  job.protocol = j.value("protocol", "");
  job.preview_wanted_at = time_from(j, "preview_wanted_at");
  return job;
}

}  // namespace chronicle
