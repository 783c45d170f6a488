// Clips: the checks and bookkeeping of JobService; the cut itself is the ClipCutter's.
#include <spdlog/spdlog.h>

#include <cmath>
#include <cstdio>
#include <random>

#include "core/names.hpp"
#include "core/service.hpp"

namespace chronicle {
namespace {

std::string new_clip_id() {
  static thread_local std::mt19937_64 random{std::random_device{}()};
  char id[16];
  std::snprintf(id, sizeof id, "c%08llx", static_cast<unsigned long long>(random() & 0xFFFFFFFFULL));
  return id;
}

// "1:02:03" for names people read.
std::string clock_text(double seconds) {
  const auto s = static_cast<long long>(std::floor(seconds));
  char text[32];
  if (s >= 3600)
    std::snprintf(text, sizeof text, "%lld-%02lld-%02lld", s / 3600, s / 60 % 60, s % 60);
  else
    std::snprintf(text, sizeof text, "%lld-%02lld", s / 60, s % 60);
  return text;
}

std::string seconds_text(double s) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", s);
  return text;
}

const Clip* find_clip(const Job& job, const std::string& clip_id) {
  for (const auto& c : job.clips)
    if (c.id == clip_id) return &c;
  return nullptr;
}

}  // namespace

Result<Clip> JobService::create_clip(const std::string& id, const ClipRequest& request) {
  if (!clip_cutter_) return make_error("not_implemented", "this server does not cut clips");
  if (!std::isfinite(request.start_s) || !std::isfinite(request.end_s))
    return make_error("invalid_body", "start_s and end_s must be numbers of seconds");
  if (request.start_s < 0) return make_error("invalid_body", "start_s must not be negative");
  if (request.end_s <= request.start_s)
    return make_error("invalid_body", "end_s (" + seconds_text(request.end_s) + ") must be after start_s (" +
                                          seconds_text(request.start_s) + ")");
  if (request.end_s - request.start_s < 0.5) return make_error("invalid_body", "a clip lasts at least 0.5 s");
  if (!request.name.empty())
    if (auto n = validate_name(request.name); !n) return n.error();
  Clip clip;
  clip.id = new_clip_id();
  clip.start_s = request.start_s;
  clip.end_s = request.end_s;
  clip.created_at = now();
  auto updated = update_job(store_, id, [&](Job& j) -> Result<Ok> {
    const bool stored = j.status == JobStatus::completed && j.recording;
    const bool in_progress = j.status == JobStatus::recording || j.status == JobStatus::uploading;
    if (j.recording_deleted_at)
      return make_error("conflict", "the recording of job " + id + " was deleted by retention: nothing to cut");
    if (in_progress && !clip_cutter_->cuts_while_recording())
      return make_error("conflict", "job " + id +
                                        " is still recording; on this backend clips are cut once the recording "
                                        "is stored");
    if (!stored && !in_progress)
      return make_error("conflict",
                        "job " + id + " has no recording to cut (status: " + std::string(to_string(j.status)) + ")");
    // A stored recording is cut within its measured length; one in progress within what is recorded.
    const double length = j.duration_s;
    if (request.start_s >= length)
      return make_error("invalid_body", "start_s (" + seconds_text(request.start_s) +
                                            ") is past the end of the recording (" + seconds_text(length) + " s)");
    if (request.end_s > length + 0.5)
      return make_error("invalid_body", "end_s (" + seconds_text(request.end_s) +
                                            ") is past the end of the recording (" + seconds_text(length) + " s" +
                                            (in_progress ? " recorded so far)" : ")"));
    if (j.clips.size() >= kMaxClipsPerJob)
      return make_error("conflict", "job " + id + " has " + std::to_string(kMaxClipsPerJob) +
                                        " clips, the most a job keeps; delete one first");
    clip.end_s = std::min(request.end_s, length);
    clip.name = request.name.empty() ? (j.name.empty() ? j.id : j.name) + " " + clock_text(clip.start_s) + " to " +
                                           clock_text(clip.end_s)
                                     : request.name;
    j.clips.push_back(clip);
    return Ok{};
  });
  if (!updated) return updated.error();
  if (auto asked = clip_cutter_->request(id, clip.id); !asked) {
    // Nobody will cut it: say so on the clip rather than leave it cutting for good.
    (void)update_job(store_, id, [&](Job& j) -> Result<Ok> {
      for (auto& c : j.clips)
        if (c.id == clip.id) {
          c.status = clip_status::failed;
          c.error = asked.error();
        }
      return Ok{};
    });
    return asked.error();
  }
  return clip;
}

Result<Clip> JobService::get_clip(const std::string& id, const std::string& clip_id) {
  auto job = get(id);
  if (!job) return job.error();
  if (const Clip* c = find_clip(*job, clip_id)) return *c;
  return make_error("not_found", "job " + id + " has no clip '" + clip_id.substr(0, 40) + "'");
}

Result<Clip> JobService::remove_clip(const std::string& id, const std::string& clip_id) {
  std::optional<Clip> removed;
  auto updated = update_job(store_, id, [&](Job& j) -> Result<Ok> {
    for (auto it = j.clips.begin(); it != j.clips.end(); ++it)
      if (it->id == clip_id) {
        removed = *it;
        j.clips.erase(it);
        return Ok{};
      }
    return make_error("not_found", "job " + id + " has no clip '" + clip_id.substr(0, 40) + "'");
  });
  if (!updated) return updated.error();
  // The job no longer names it: a file that stays is an orphan the log reports, never a dangling link.
  for (const auto& key : removed->stored_keys())
    if (auto gone = objects_.remove(key); !gone)
      spdlog::warn("job {}: {} of clip {} stays: {}", id, key, clip_id, gone.error().message);
  return *removed;
}

}  // namespace chronicle
