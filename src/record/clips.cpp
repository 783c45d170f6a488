#include "record/clips.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "core/names.hpp"
#include "hls/journal.hpp"
#include "record/finalize.hpp"
#include "record/tools.hpp"
#include "sys/process.hpp"
#include "sys/sha256.hpp"

namespace chronicle::record {
namespace fs = std::filesystem;

namespace {

// What ffmpeg and ffprobe open: the options that come before `-i`, and the input.
struct Input {
  std::vector<std::string> options;
  std::string source;
  bool audio_only = false;  // a separate audio rendition: only its audio is taken
};

// The recording in progress on the timeline its stored file will have: one concat list per
// rendition, each run placed after the one before by the durations the playlist gave.
Result<std::vector<Input>> journal_inputs(const Config& config, const std::string& job_id, const fs::path& dir) {
  auto journal = hls::read_journal(job_work_dir(config, job_id) / "journal");
  if (!journal) return journal.error();
  std::vector<std::string> order;
  std::map<std::string, std::vector<const hls::JournalRun*>> by_rendition;
  for (const auto& run : journal->runs) {
    if (run.segments == 0) continue;
    if (!by_rendition.count(run.rendition)) order.push_back(run.rendition);
    by_rendition[run.rendition].push_back(&run);
  }
  if (order.empty()) return make_error("conflict", "job " + job_id + " has recorded nothing yet");
  std::stable_sort(order.begin(), order.end(),
                   [](const std::string& a, const std::string& b) { return (a == "audio") < (b == "audio"); });
  std::vector<Input> inputs;
  for (const auto& rendition : order) {
    const fs::path list = dir / (rendition + ".ffconcat");
    std::ofstream out(list);
    out << "ffconcat version 1.0\n";
    for (const auto* run : by_rendition[rendition])
      out << "file " << concat_quote(fs::absolute(run->file).string()) << "\nduration " << run->duration_s << "\n";
    if (!out.flush()) return make_error("storage_error", "cannot write " + list.string());
    inputs.push_back(Input{{"-f", "concat", "-safe", "0"}, list.string(), rendition == "audio"});
  }
  return inputs;
}

// The last video keyframe at or before `at` (on a timeline from 0); nullopt when the input has no
// video, where every audio frame is a place to cut.
Result<std::optional<double>> keyframe_at_or_before(const Config& config, const Input& input, double at) {
  // A window before `at` first (ffprobe seeks there); from the start when no keyframe is in it.
  for (const double back : {20.0, -1.0}) {
    sys::SpawnOptions o;
    o.argv = {ffprobe_path(config), "-v", "error"};
    o.argv.insert(o.argv.end(), input.options.begin(), input.options.end());
    char interval[64];
    if (back > 0)
      std::snprintf(interval, sizeof interval, "%.3f%%%.3f", std::max(0.0, at - back), at + 0.5);
    else
      std::snprintf(interval, sizeof interval, "%%%.3f", at + 0.5);
    o.argv.insert(o.argv.end(), {"-i", input.source, "-select_streams", "v:0", "-read_intervals", interval,
                                 "-show_entries", "packet=pts_time,flags:format=start_time", "-of", "json"});
    auto run = sys::run_capture(o, std::chrono::minutes(2));
    if (!run) return run.error();
    if (run->status.code != 0)
      return make_error("clip_failed", "ffprobe could not read the recording: " + run->err.substr(0, 300));
    const auto probe = nlohmann::json::parse(run->out, nullptr, false);
    if (!probe.is_object()) return make_error("clip_failed", "ffprobe gave no answer");
    double start_time = 0;
    if (auto f = probe.find("format"); f != probe.end() && f->contains("start_time") && (*f)["start_time"].is_string())
      start_time = std::atof((*f)["start_time"].get<std::string>().c_str());
    const auto packets = probe.value("packets", nlohmann::json::array());
    if (packets.empty() && back < 0) return std::optional<double>{};  // no video
    std::optional<double> best;
    for (const auto& p : packets) {
      if (!p.contains("pts_time") || !p["pts_time"].is_string()) continue;
      const std::string flags = p.value("flags", "");
      if (flags.find('K') == std::string::npos) continue;
      const double t = std::atof(p["pts_time"].get<std::string>().c_str()) - start_time;
      // A keyframe a millisecond past `at` is `at`: the timestamps are rounded to milliseconds.
      if (t <= at + 0.001 && (!best || t > *best)) best = std::max(0.0, t);
    }
    if (best) return best;
    if (back < 0) return std::optional<double>{0.0};
  }
  return std::optional<double>{0.0};
}

// The lines of a chat file from `from` to `to` on the recording's timeline, each moved onto the
// clip's (`at_s` from the clip's start; `recording_at_s` keeps where it was). Messages and bytes
// written.
std::pair<std::uint64_t, std::uint64_t> slice_chat(const fs::path& source, const fs::path& destination, double from,
                                                   double to) {
  std::ifstream in(source, std::ios::binary);
  std::ofstream out(destination, std::ios::binary | std::ios::trunc);
  std::uint64_t messages = 0, bytes = 0;
  for (std::string line; std::getline(in, line);) {
    auto r = nlohmann::json::parse(line, nullptr, false);
    if (!r.is_object() || !r.contains("at_s") || !r["at_s"].is_number()) continue;
    const double at = r["at_s"].get<double>();
    if (at < from) continue;
    if (at >= to) break;  // the file is in timeline order
    r["recording_at_s"] = at;
    r["at_s"] = std::round((at - from) * 1000) / 1000;
    const std::string kept = r.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    out << kept << '\n';
    bytes += kept.size() + 1;
    if (r.value("type", "") == "message") ++messages;
  }
  return {messages, bytes};
}

void mark(JobStore& store, const std::string& job_id, const std::string& clip_id, const std::function<void(Clip&)>& f) {
  auto updated = update_job(store, job_id, [&](Job& j) -> Result<Ok> {
    for (auto& c : j.clips)
      if (c.id == clip_id) {
        f(c);
        return Ok{};
      }
    return make_error("not_found", "the clip is gone");
  });
  if (!updated && updated.error().code != "not_found")
    spdlog::warn("job {}: clip {} cannot be written: {}", job_id, clip_id, updated.error().message);
}

}  // namespace

std::string clip_key(const Job& job, const Clip& clip) {
  const std::string recording = job.recording ? job.recording->key : recording_key(job.prefix, job.name, job.id);
  const auto dot = recording.rfind('.');
  return recording.substr(0, dot) + ".clip-" + clip.id + ".mkv";
}

Result<Clip> cut_clip(const Config& config, JobStore& store, ObjectStore& objects, const std::string& job_id,
                      const std::string& clip_id) {
  auto loaded = store.get(job_id);
  if (!loaded) return loaded.error();
  if (!*loaded) return make_error("not_found", "no job " + job_id);
  const Job job = **loaded;
  const auto found = std::ranges::find_if(job.clips, [&](const Clip& c) { return c.id == clip_id; });
  if (found == job.clips.end()) return make_error("not_found", "job " + job_id + " has no clip " + clip_id);
  Clip clip = *found;
  if (clip.status != clip_status::cutting) return clip;

  const auto started = std::chrono::steady_clock::now();
  const fs::path dir = config.work_dir() / "clips" / (job_id + "-" + clip_id);
  std::error_code ec;
  fs::create_directories(dir, ec);
  struct Cleanup {
    fs::path dir;
    ~Cleanup() {
      std::error_code e;
      fs::remove_all(dir, e);
    }
  } cleanup{dir};

  auto fail = [&](const Error& e) -> Result<Clip> {
    spdlog::warn("job {}: clip {} failed: {}", job_id, clip_id, e.message);
    mark(store, job_id, clip_id, [&](Clip& c) {
      c.status = clip_status::failed;
      c.error = Error{e.code, e.message};
    });
    return e;
  };

  std::vector<Input> inputs;
  if (job.recording) {
    const auto& key = job.recording->key;
    if (auto local = objects.local_path(key))
      inputs.push_back(Input{{}, local->string()});
    else if (auto url = objects.download_url(key))
      inputs.push_back(Input{{}, *url});
    else
      return fail(Error{"clip_failed", "the recording cannot be read"});
  } else {
    auto from_journal = journal_inputs(config, job_id, dir);
    if (!from_journal) return fail(from_journal.error());
    inputs = std::move(*from_journal);
  }

  auto keyframe = keyframe_at_or_before(config, inputs.front(), clip.start_s);
  if (!keyframe) return fail(keyframe.error());
  const double cut_start = keyframe->value_or(clip.start_s);
  char start_text[32], length_text[32];
  std::snprintf(start_text, sizeof start_text, "%.3f", cut_start);
  std::snprintf(length_text, sizeof length_text, "%.3f", clip.end_s - cut_start);
  const fs::path output = dir / "clip.mkv";
  sys::SpawnOptions o;
  o.argv = {config.ffmpeg, "-nostdin", "-y", "-v", "error"};
  for (const auto& input : inputs) {
    o.argv.insert(o.argv.end(), {"-ss", start_text});
    o.argv.insert(o.argv.end(), input.options.begin(), input.options.end());
    o.argv.insert(o.argv.end(), {"-i", input.source});
  }
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].audio_only) o.argv.insert(o.argv.end(), {"-map", std::to_string(i) + ":v?"});
    o.argv.insert(o.argv.end(), {"-map", std::to_string(i) + ":a?"});
  }
  o.argv.insert(o.argv.end(), {"-t", length_text, "-c", "copy", "-avoid_negative_ts", "make_zero", "-f", "matroska",
                               output.string()});
  auto run = sys::run_capture(o, std::chrono::minutes(30));
  if (!run) return fail(run.error());
  if (run->status.code != 0)
    return fail(Error{"clip_failed", "ffmpeg could not cut the clip: " + run->err.substr(0, 300)});
  const auto duration = media_duration(config, output);
  if (!duration || *duration <= 0) return fail(Error{"clip_failed", "the cut clip holds no media"});

  clip.key = clip_key(job, clip);
  const auto size = fs::file_size(output, ec);
  auto writer = objects.create(clip.key, ec ? 0 : size);
  if (!writer) return fail(writer.error());
  sys::Sha256 hash;
  std::ifstream in(output, std::ios::binary);
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    if (in.gcount() == 0) break;
    const auto bytes = std::as_bytes(std::span(buf.data(), static_cast<std::size_t>(in.gcount())));
    hash.update(bytes);
    if (auto w = (*writer)->write(bytes); !w) return fail(w.error());
  }
  auto stored = (*writer)->commit();
  if (!stored) return fail(stored.error());
  clip.key = stored->key;
  clip.size = stored->size;
  clip.sha256 = hash.hex_digest();
  clip.cut_start_s = cut_start;
  clip.cut_end_s = cut_start + *duration;
  clip.url = config.effective_public_url() + "/api/v1/jobs/" + job_id + "/clips/" + clip_id + "/file";

  // Its slice of the chat, beside it: the stored chat, or the recorder's file while it records.
  // A clip without it is still a clip: a chat that cannot be read is said in the log only.
  std::optional<fs::path> chat_source;
  if (job.chat && !job.chat->key.empty()) {
    if (auto local = objects.local_path(job.chat->key))
      chat_source = *local;
    else if (auto fetched = objects.fetch(job.chat->key, dir / "recording.chat.ndjson"))
      chat_source = dir / "recording.chat.ndjson";
    else
      spdlog::warn("job {}: clip {} goes without its chat: {}", job_id, clip_id, fetched.error().message);
  } else if (job.chat && !is_terminal(job.status) && fs::exists(config.work_dir() / job_id / "chat.ndjson", ec)) {
    chat_source = config.work_dir() / job_id / "chat.ndjson";
  }
  if (chat_source) {
    const fs::path sliced = dir / "clip.chat.ndjson";
    // Plain variables, not a structured binding: the lambda below captures them.
    const auto counted = slice_chat(*chat_source, sliced, *clip.cut_start_s, *clip.cut_end_s);
    const std::uint64_t messages = counted.first, chat_bytes = counted.second;
    const std::string desired = clip.key.substr(0, clip.key.rfind('.')) + ".chat.ndjson";
    auto store_chat = [&]() -> Result<ObjectInfo> {
      auto chat_out = objects.create(desired, chat_bytes);
      if (!chat_out) return chat_out.error();
      std::ifstream chat_in(sliced, std::ios::binary);
      const std::string text((std::istreambuf_iterator<char>(chat_in)), std::istreambuf_iterator<char>());
      if (auto wrote = (*chat_out)->write(std::as_bytes(std::span(text.data(), text.size()))); !wrote)
        return wrote.error();
      return (*chat_out)->commit();
    };
    const auto chat_stored = store_chat();
    if (chat_stored) {
      clip.chat_key = chat_stored->key;
      clip.chat_messages = messages;
      clip.chat_bytes = chat_bytes;
    } else {
      spdlog::warn("job {}: clip {} goes without its chat: {}", job_id, clip_id, chat_stored.error().message);
    }
  }
  clip.status = clip_status::ready;
  clip.error.reset();
  bool kept = false, pinned = false;
  auto updated = update_job(store, job_id, [&](Job& j) -> Result<Ok> {
    for (auto& c : j.clips)
      if (c.id == clip_id) {
        c = clip;
        kept = true;
        pinned = j.pinned;
        return Ok{};
      }
    return make_error("not_found", "the clip was deleted while it was cut");
  });
  if (!updated || !kept) {
    // Deleted meanwhile (the clip or its job): its files go too.
    for (const auto& key : clip.stored_keys()) (void)objects.remove(key);
    return updated ? Result<Clip>(make_error("not_found", "the clip was deleted while it was cut"))
                   : Result<Clip>(updated.error());
  }
  if (pinned)
    for (const auto& key : clip.stored_keys()) (void)objects.set_retention(key, true);
  spdlog::info("job {}: clip {} cut at {:.3f}..{:.3f} s (asked {:.3f}..{:.3f}), {} in {:.2f} s", job_id, clip_id,
               *clip.cut_start_s, *clip.cut_end_s, clip.start_s, clip.end_s, human_bytes(clip.size),
               std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  return clip;
}

ClipWorker::ClipWorker(const Config& config, JobStore& store, ObjectStore& objects, int threads)
    : config_(config), store_(store), objects_(objects) {
  for (int i = 0; i < std::max(1, threads); ++i) threads_.emplace_back([this] { loop(); });
}

ClipWorker::~ClipWorker() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  for (auto& t : threads_) t.join();
}

bool ClipWorker::cuts_while_recording() const { return config_.backend == BackendKind::embedded; }

fs::path ClipWorker::marker(const std::string& job_id, const std::string& clip_id) const {
  return config_.work_dir() / "clips" / (job_id + "." + clip_id + ".pending");
}

Result<Ok> ClipWorker::request(const std::string& job_id, const std::string& clip_id) {
  // Ids from the store, never from a request: a job id is a ULID, a clip id "c" and hex digits.
  if (job_id.find_first_of("/.") != std::string::npos || clip_id.find_first_of("/.") != std::string::npos)
    return make_error("internal", "unexpected clip id");
  std::error_code ec;
  fs::create_directories(marker(job_id, clip_id).parent_path(), ec);
  if (!std::ofstream(marker(job_id, clip_id)))
    return make_error("storage_error", "cannot write " + marker(job_id, clip_id).string());
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return make_error("unavailable", "the server is stopping");
    pending_.emplace_back(job_id, clip_id);
  }
  changed_.notify_one();
  return Ok{};
}

void ClipWorker::resume() {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(config_.work_dir() / "clips", ec)) {
    const std::string name = entry.path().filename().string();
    if (!name.ends_with(".pending")) continue;
    const auto dot = name.find('.');
    const std::string job_id = name.substr(0, dot), clip_id = name.substr(dot + 1, name.size() - 8 - dot - 1);
    spdlog::info("job {}: clip {} was being cut when serve stopped: cutting it again", job_id, clip_id);
    (void)request(job_id, clip_id);
  }
}

void ClipWorker::loop() {
  for (;;) {
    std::pair<std::string, std::string> next;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
      // A clip being cut when serve stops stays `cutting` and is taken again at the next start.
      if (stopping_) return;
      next = std::move(pending_.front());
      pending_.pop_front();
    }
    (void)cut_clip(config_, store_, objects_, next.first, next.second);
    std::error_code ec;
    fs::remove(marker(next.first, next.second), ec);
  }
}

}  // namespace chronicle::record
