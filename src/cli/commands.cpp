#include "cli/commands.hpp"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <iostream>
#include <map>
#include <thread>

#include "cli/output.hpp"
#include "core/names.hpp"
#include "core/time.hpp"

namespace chronicle::cli {
namespace {

bool terminal(const std::string& status) { return status == "completed" || status == "failed" || status == "canceled"; }

std::string ago(const std::string& rfc3339) {
  auto t = from_rfc3339(rfc3339);
  if (!t) return "";
  return std::to_string(static_cast<long long>(std::max(0.0, seconds_between(*t, now())))) + "s ago";
}

}  // namespace

// "1280x720 h264 25 fps + aac, 2.1 Mb/s"
std::string describe_media(const nlohmann::json& m) {
  std::string out;
  if (m.contains("height") && m["height"].is_number()) {
    out = std::to_string(m.value("width", 0)) + "x" + std::to_string(m.value("height", 0));
    if (!str(m, "video_codec").empty()) out += " " + str(m, "video_codec");
    if (m.contains("fps") && m["fps"].is_number()) {
      char fps[32];
      std::snprintf(fps, sizeof fps, " %g fps", m["fps"].get<double>());
      out += fps;
    }
  }
  if (!str(m, "audio_codec").empty()) out += (out.empty() ? "audio " : " + ") + str(m, "audio_codec");
  if (const auto rate = m.value("bitrate", std::uint64_t{0}); rate > 0) {
    char text[32];
    std::snprintf(text, sizeof text, ", %.1f Mb/s", static_cast<double>(rate) / 1e6);
    out += text;
  }
  return out;
}

namespace {

// `error_shown`: the progress line just gave the job's error (each thing is said once).
void print_job(const nlohmann::json& j, bool verbose = false, bool error_shown = false) {
  std::cout << "id:        " << str(j, "id") << "\n"
            << "url:       " << str(j, "url") << "\n";
  if (!str(j, "name").empty()) std::cout << "name:      " << str(j, "name") << "\n";
  if (!str(j, "title").empty()) std::cout << "title:     " << str(j, "title") << "\n";
  std::cout << "status:    " << str(j, "status") << "\n"
            << "created:   " << str(j, "created_at") << "\n";
  if (!str(j, "started_at").empty()) std::cout << "started:   " << str(j, "started_at") << "\n";
  if (!str(j, "heartbeat_at").empty())
    std::cout << "heartbeat: " << str(j, "heartbeat_at") << " (" << ago(str(j, "heartbeat_at")) << ")\n";
  if (!str(j, "finished_at").empty()) std::cout << "finished:  " << str(j, "finished_at") << "\n";
  if (!str(j, "channel_id").empty()) std::cout << "channel:   " << str(j, "channel_id") << "\n";
  if (!str(j, "wait_until").empty() && str(j, "status") == "waiting") {
    std::cout << "waiting:   until " << str(j, "wait_until") << " for the stream to go live";
    if (!str(j, "waiting_reason").empty()) std::cout << " (last check: " << str(j, "waiting_reason") << ")";
    std::cout << "\n";
  }
  const auto bytes = j.value("bytes", std::uint64_t{0});
  const double duration = j.value("duration_s", 0.0);
  std::cout << "recorded:  " << human_bytes(bytes) << ", " << human_duration(duration) << ", "
            << human_bitrate(bytes, duration) << "\n";
  if (!str(j, "format").empty()) std::cout << "quality:   " << str(j, "format") << " (asked)\n";
  if (j.value("pinned", false)) std::cout << "pinned:    yes (retention keeps it)\n";
  if (j.contains("media") && j["media"].is_object()) std::cout << "media:     " << describe_media(j["media"]) << "\n";
  if (j.contains("error") && j["error"].is_object() && !error_shown) {
    std::cout << "error:     " << str(j["error"], "message") << " [" << str(j["error"], "code") << "]\n";
    // The tool's own words, whole, only when asked: they are for whoever digs further.
    if (verbose && !str(j["error"], "detail").empty()) std::cout << "detail:    " << str(j["error"], "detail") << "\n";
  }
  if (!str(j, "end_reason").empty())
    std::cout << "ended:     " << describe_end_reason(str(j, "end_reason")) << " [" << str(j, "end_reason") << "]\n";
  if (j.contains("interruptions") && j["interruptions"].is_array())
    for (const auto& i : j["interruptions"]) {
      std::cout << "gap:       at " << human_duration(i.value("at_s", 0.0));
      if (i.contains("gap_s") && i["gap_s"].is_number()) {
        char secs[32];
        std::snprintf(secs, sizeof secs, "%.1f", i["gap_s"].get<double>());
        std::cout << ", " << secs << " s missing (the stream was not delivering)\n";
      } else {
        std::cout << ", waiting for the stream to come back since " << ago(str(i, "started_at")) << "\n";
      }
    }
  if (j.contains("ad_breaks") && j["ad_breaks"].is_array())
    for (const auto& b : j["ad_breaks"]) {
      char secs[32];
      std::snprintf(secs, sizeof secs, "%.1f", b.value("duration_s", 0.0));
      std::cout << "ads:       at " << human_duration(b.value("at_s", 0.0)) << ", an ad break of " << secs
                << " s left out\n";
    }
  if (j.value("keep_ads", false)) std::cout << "ads:       kept (keep_ads)\n";
  if (j.contains("warnings") && j["warnings"].is_array())
    for (const auto& w : j["warnings"])
      if (w.is_string()) std::cout << "warning:   " << w.get<std::string>() << "\n";
  if (j.contains("recording") && j["recording"].is_object()) {
    const auto& r = j["recording"];
    std::cout << "file:      " << str(r, "key") << " (" << human_bytes(r.value("size", std::uint64_t{0})) << ")\n"
              << "sha256:    " << str(r, "sha256") << "\n"
              << "download:  " << str(r, "url") << "\n";
  }
  if (j.contains("torrent") && j["torrent"].is_object())
    std::cout << "magnet:    " << str(j["torrent"], "magnet") << "\n";
}

// Draws live progress: one redrawn line on a terminal, a line per change otherwise.
class ProgressView {
 public:
  ProgressView() : tty_(::isatty(STDERR_FILENO) != 0) {}
  void show(const nlohmann::json& job) {
    const std::string line = progress_line(job);
    if (line == last_) return;
    last_ = line;
    if (tty_)
      std::cerr << "\r\033[2K" << line << std::flush;
    else
      std::cerr << line << "\n";
  }
  void done() {
    if (tty_ && !last_.empty()) std::cerr << "\n";
  }

 private:
  bool tty_;
  std::string last_;
};

// `chronicle watch`: one line per active job. On a terminal the lines are redrawn in place, and a
// job that ends leaves its last line above them; piped, a line is printed when a job's status
// changes, and at most every 10 seconds while it records.
class JobBoard {
 public:
  explicit JobBoard(bool tty) : tty_(tty) {}

  void update(const nlohmann::json& job) {
    const std::string id = str(job, "id");
    if (id.empty()) return;
    const std::string line = board_line(job);
    const std::string status = str(job, "status");
    const bool ended = terminal(status);
    if (!tty_) {
      auto& last = printed_[id];
      const auto now = std::chrono::steady_clock::now();
      if (last.status != status || now - last.at >= std::chrono::seconds(10)) {
        std::cout << line << std::endl;
        last = {status, now};
      }
      if (ended) printed_.erase(id);
      return;
    }
    if (ended) {
      // Only a job seen running is reported as ended: the board is about what goes on.
      if (active_.erase(id) > 0) finished_.push_back(line);
    } else {
      active_[id] = line;
    }
  }

  void remove(const std::string& id) {
    if (active_.erase(id) > 0 && tty_) finished_.push_back(id.substr(0, 10) + "  deleted");
    printed_.erase(id);
  }

  void draw() {
    if (!tty_) return;
    std::string out;
    if (drawn_ > 0) out += "\033[" + std::to_string(drawn_) + "F\033[J";  // back to the block's start
    for (const auto& line : finished_) out += line + "\n";
    finished_.clear();
    for (const auto& [id, line] : active_) out += line + "\n";
    if (active_.empty()) out += "no job is recording (waiting for one; Ctrl-C to stop)\n";
    drawn_ = active_.empty() ? 1 : active_.size();
    std::cout << out << std::flush;
  }

 private:
  // id, name, status, bytes, duration, bitrate: the columns aligned for names up to 24 characters.
  static std::string board_line(const nlohmann::json& job) {
    std::string name = str(job, "name");
    if (name.size() > 24) name = name.substr(0, 23) + "~";
    const std::string status = str(job, "status");
    const auto bytes = job.value("bytes", std::uint64_t{0});
    const double duration = job.value("duration_s", 0.0);
    char head[96];
    std::snprintf(head, sizeof head, "%-10s  %-24s  %-9s", str(job, "id").substr(0, 10).c_str(), name.c_str(),
                  status.c_str());
    std::string line = head;
    line += "  " + human_bytes(bytes) + "  " + human_duration(duration);
    if (status == "recording" || status == "completed") line += "  " + human_bitrate(bytes, duration);
    if (status == "failed" && job.contains("error") && job["error"].is_object())
      line += "  " + str(job["error"], "message").substr(0, 80);
    return line;
  }

  struct Printed {
    std::string status;
    std::chrono::steady_clock::time_point at;
  };
  bool tty_;
  std::map<std::string, std::string> active_;  // by id: oldest first
  std::vector<std::string> finished_;          // lines to leave above the block at the next draw
  std::map<std::string, Printed> printed_;
  std::size_t drawn_ = 0;
};

// What following a job to its end exits with: 0 only for `completed` (the README's table). The
// progress line above already gave the reason (each thing is said once).
int ended_code(const nlohmann::json& job) {
  const std::string status = str(job, "status");
  if (status == "completed") return 0;
  std::cerr << "chronicle: job " << str(job, "id") << " ended " << status << "\n";
  return 1;
}

// Follows one job until it reaches a final status, redrawing its progress. Reconnects if the
// event stream drops; reads the job again after each (re)connect so nothing is missed.
Result<nlohmann::json> follow_job(Client& client, const std::string& given_id, ProgressView& view) {
  nlohmann::json job;
  std::string id = given_id;  // the whole id once the server named it (the start of one is enough)
  for (int attempt = 0; attempt < 1000; ++attempt) {
    auto current = client.call("GET", "/api/v1/jobs/" + id);
    if (!current) return current.error();
    job = *current;
    id = str(job, "id");
    view.show(job);
    if (terminal(str(job, "status"))) return job;
    std::string last_id;
    auto followed = client.follow_events("/api/v1/events?job=" + id, last_id, [&](const ServerEvent& e) {
      last_id = e.id;
      if (e.event == "job_deleted") return false;
      auto data = nlohmann::json::parse(e.data, nullptr, false);
      if (data.is_discarded() || str(data, "id") != id) return true;
      job = data;
      view.show(job);
      return !terminal(str(job, "status"));
    });
    if (terminal(str(job, "status"))) return job;
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  return job;
}

}  // namespace

std::string human_duration(double seconds) {
  const auto total = static_cast<long long>(std::floor(std::max(0.0, seconds)));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld", total / 3600, (total / 60) % 60, total % 60);
  return buf;
}

std::string human_bitrate(std::uint64_t bytes, double seconds) {
  if (seconds <= 0.05) return "-- bit/s";
  const double bits = static_cast<double>(bytes) * 8 / seconds;
  char buf[32];
  if (bits >= 1e6)
    std::snprintf(buf, sizeof buf, "%.2f Mbit/s", bits / 1e6);
  else
    std::snprintf(buf, sizeof buf, "%.0f kbit/s", bits / 1e3);
  return buf;
}

std::string progress_line(const nlohmann::json& job) {
  const std::string status = str(job, "status");
  const auto bytes = job.value("bytes", std::uint64_t{0});
  const double duration = job.value("duration_s", 0.0);
  std::string line = str(job, "id").substr(0, 10) + "  " + status;
  line.resize(std::max<std::size_t>(line.size(), 22), ' ');
  line += "  " + human_bytes(bytes) + "  " + human_duration(duration) + "  " + human_bitrate(bytes, duration);
  if (!terminal(status) && !str(job, "heartbeat_at").empty()) line += "  heartbeat " + ago(str(job, "heartbeat_at"));
  if (status == "recording" && !str(job, "last_media_at").empty()) {
    const auto media = from_rfc3339(str(job, "last_media_at"));
    if (media && seconds_between(*media, now()) >= 5) {
      line += "  no data for " + std::to_string(static_cast<long long>(seconds_between(*media, now()))) + " s";
      const auto& gaps = job.value("interruptions", nlohmann::json::array());
      if (!gaps.empty() && gaps.back().value("gap_s", nlohmann::json()).is_null()) line += ", reconnecting";
    }
  }
  if (status == "waiting") {
    if (const auto next = from_rfc3339(str(job, "next_check_at")))
      line += "  next check in " +
              std::to_string(static_cast<long long>(std::max(0.0, seconds_between(now(), *next)))) + " s";
    if (!str(job, "waiting_reason").empty()) line += "  (" + str(job, "waiting_reason") + ")";
  }
  if (terminal(status) && !str(job, "end_reason").empty() && str(job, "end_reason") != "stream_ended")
    line += "  (" + describe_end_reason(str(job, "end_reason")) + ")";
  if (job.contains("error") && job["error"].is_object()) line += "  — " + str(job["error"], "message");
  return line;
}

int cmd_submit(Client& client, const SubmitOptions& o) {
  nlohmann::json body{{"url", o.url}};
  if (!o.name.empty()) body["name"] = o.name;
  if (!o.prefix.empty()) body["prefix"] = o.prefix;
  if (!o.format.empty()) body["format"] = o.format;
  if (o.reconnect_window_s) body["reconnect_window_s"] = *o.reconnect_window_s;
  if (o.wait_for_live_s) body["wait_for_live_s"] = *o.wait_for_live_s;
  if (o.no_chat) body["chat"] = false;
  auto created = client.call("POST", "/api/v1/jobs", body);
  if (!created) return fail(created.error());
  nlohmann::json job = *created;
  if (!o.wait) {
    if (o.json)
      std::cout << job.dump() << "\n";
    else
      std::cout << str(job, "id") << "\n";
    return 0;
  }
  if (!o.json) std::cerr << "submitted " << str(job, "id") << " (" << o.url << ")\n";
  ProgressView view;
  auto final_job = follow_job(client, str(job, "id"), view);
  view.done();
  if (!final_job) return fail(final_job.error());
  if (o.json)
    std::cout << final_job->dump() << "\n";
  else
    print_job(*final_job, false, true);
  return ended_code(*final_job);
}

int cmd_ls(Client& client, const std::string& status, int limit, bool json) {
  std::string path = "/api/v1/jobs?limit=" + std::to_string(limit);
  if (!status.empty()) path += "&status=" + status;
  auto page = client.call("GET", path);
  if (!page) return fail(page.error());
  if (json) {
    std::cout << page->dump() << "\n";
    return 0;
  }
  const auto& jobs = (*page)["jobs"];
  if (jobs.empty()) {
    std::cout << "no jobs\n";
    return 0;
  }
  std::printf("%-26s  %-10s  %10s  %9s  %s\n", "ID", "STATUS", "SIZE", "DURATION", "NAME / URL");
  for (const auto& j : jobs) {
    std::string label = !str(j, "name").empty()    ? str(j, "name")
                        : !str(j, "title").empty() ? str(j, "title")
                                                   : str(j, "url");
    std::printf("%-26s  %-10s  %10s  %9s  %s\n", str(j, "id").c_str(), str(j, "status").c_str(),
                human_bytes(j.value("bytes", std::uint64_t{0})).c_str(),
                human_duration(j.value("duration_s", 0.0)).c_str(), label.c_str());
  }
  return 0;
}

int cmd_show(Client& client, const std::string& id, bool json, bool verbose) {
  return call_and_show(client, "GET", "/api/v1/jobs/" + id, std::nullopt, json,
                       [verbose](const nlohmann::json& job) { print_job(job, verbose); });
}

int cmd_stop(Client& client, const std::string& id, bool json) {
  return call_and_show(client, "POST", "/api/v1/jobs/" + id + "/stop", std::nullopt, json,
                       [&id](const nlohmann::json& job) {
                         if (str(job, "status") == "canceled")
                           std::cout << id << " canceled\n";
                         else
                           std::cout << id << " stopping; what was recorded will be kept\n";
                       });
}

int cmd_rm(Client& client, const std::string& id, bool json) {
  return call_and_show(client, "DELETE", "/api/v1/jobs/" + id, std::nullopt, json,
                       [&id](const nlohmann::json&) { std::cout << id << " deleted\n"; });
}

int cmd_pin(Client& client, const std::string& id, bool pinned, bool json) {
  return call_and_show(client, "PATCH", "/api/v1/jobs/" + id, nlohmann::json{{"pinned", pinned}}, json,
                       [&](const nlohmann::json&) {
                         std::cout << id << (pinned ? " pinned: retention keeps its recording\n" : " unpinned\n");
                       });
}

int cmd_watch(Client& client, const std::string& id, bool json) {
  if (!id.empty()) {
    ProgressView view;
    auto final_job = follow_job(client, id, view);
    view.done();
    if (!final_job) return fail(final_job.error());
    if (json) std::cout << final_job->dump() << "\n";
    return ended_code(*final_job);
  }
  // Every job: the active ones as they are now, then each change, until interrupted.
  JobBoard board(::isatty(STDOUT_FILENO) != 0);
  if (!json) {
    auto page = client.call("GET", "/api/v1/jobs?limit=200");
    if (!page) return fail(page.error());
    // Oldest first, as they will be drawn.
    const auto& jobs = (*page)["jobs"];
    for (auto it = jobs.rbegin(); it != jobs.rend(); ++it)
      if (!terminal(str(*it, "status"))) board.update(*it);
    board.draw();
  }
  std::string last_id;
  for (;;) {
    auto r = client.follow_events("/api/v1/events", last_id, [&](const ServerEvent& e) {
      if (!e.id.empty()) last_id = e.id;
      if (json) {
        std::cout << nlohmann::json{{"event", e.event}, {"data", nlohmann::json::parse(e.data, nullptr, false)}}.dump()
                  << std::endl;
        return true;
      }
      auto data = nlohmann::json::parse(e.data, nullptr, false);
      if (data.is_discarded()) return true;
      if (e.event == "job_deleted") board.remove(str(data, "id"));
      if (e.event == "job") board.update(data);  // a channel's check is not a job
      board.draw();
      return true;
    });
    if (!r) {
      std::cerr << "chronicle: " << r.error().message << "; retrying in 3 s\n";
      std::this_thread::sleep_for(std::chrono::seconds(3));
    } else {
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
  }
}

int cmd_download(Client& client, const std::string& id, bool torrent, const std::string& output, bool force) {
  auto job = client.call("GET", "/api/v1/jobs/" + id);
  if (!job) return fail(job.error());
  std::string target = output;
  if (target.empty()) {
    if (torrent)
      target = id + ".torrent";
    else if ((*job)["recording"].is_object())
      target = std::filesystem::path(str((*job)["recording"], "key")).filename().string();
    else
      return fail("job " + id + " has no recording yet (status: " + str(*job, "status") + ")");
  }
  if (target != "-" && !force && std::filesystem::exists(target))
    return fail(target + " already exists; add --force to replace it");
  const std::string partial = target == "-" ? target : target + ".part";
  std::FILE* out = target == "-" ? stdout : std::fopen(partial.c_str(), "wb");
  if (!out) return fail("cannot write " + partial);
  const bool tty = ::isatty(STDERR_FILENO) != 0 && target != "-";
  auto last_draw = std::chrono::steady_clock::now();
  auto r = client.download("/api/v1/jobs/" + id + (torrent ? "/torrent" : "/recording"), out,
                           [&](std::uint64_t got, std::uint64_t total) {
                             if (!tty || std::chrono::steady_clock::now() - last_draw < std::chrono::milliseconds(200))
                               return;
                             last_draw = std::chrono::steady_clock::now();
                             std::cerr << "\r\033[2K" << human_bytes(got);
                             if (total) std::cerr << " / " << human_bytes(total);
                             std::cerr << std::flush;
                           });
  if (target != "-") std::fclose(out);
  if (tty) std::cerr << "\r\033[2K";
  if (!r) {
    if (target != "-") std::remove(partial.c_str());
    return fail(r.error());
  }
  if (target != "-") {
    if (std::rename(partial.c_str(), target.c_str()) != 0) return fail("cannot rename " + partial + " to " + target);
    std::cerr << "saved " << target << "\n";
  }
  return 0;
}

}  // namespace chronicle::cli
