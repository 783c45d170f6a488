#include "record/finalize.hpp"

#include "sys/access.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <thread>
#include <vector>

#include "core/names.hpp"
#include "hls/journal.hpp"
#include "record/chat_capture.hpp"
#include "record/stills.hpp"
#include "record/tools.hpp"
#include "remux/join.hpp"
#include "sys/disk.hpp"
#include "sys/process.hpp"
#include "sys/sha256.hpp"
#include "torrent/creator.hpp"
#include "torrent/hasher.hpp"

namespace chronicle::record {
namespace fs = std::filesystem;

fs::path job_work_dir(const Config& config, const std::string& job_id) { return config.work_dir() / job_id; }
fs::path downloader_pgid_file(const fs::path& work_dir) { return work_dir / "downloader.pgid"; }

namespace {

// "part-007.mp4.part" -> 7; also the single "rec.*" output of recorders from before parts.
std::optional<int> part_number_of(const std::string& name) {
  if (name.starts_with("rec.")) return 0;
  if (!name.starts_with("part-") || name.size() < 9 || name[8] != '.') return std::nullopt;
  int n = 0;
  for (int i = 5; i < 8; ++i) {
    if (name[i] < '0' || name[i] > '9') return std::nullopt;
    n = n * 10 + (name[i] - '0');
  }
  return n;
}

bool is_media_candidate(const std::string& name) {
  return !name.ends_with(".ytdl") && !name.ends_with(".ffconcat") && !name.ends_with(".json") &&
         !name.ends_with(".skip") && name.find(".whole.mkv") == std::string::npos;
}

// Seconds at the start of a part that repeat the end of the one before (the recorder writes
// "part-NNN.skip" when a resumed part started early): 0 when there is none.
double skip_of(const fs::path& part) {
  const std::string name = part.filename().string();
  std::ifstream in(part.parent_path() / (name.substr(0, 8) + ".skip"));
  double seconds = 0;
  return (in >> seconds) && seconds > 0 ? seconds : 0;
}

// One number of the container, as ffprobe reads it ("duration", "start_time").
std::optional<double> format_number(const Config& config, const fs::path& file, const std::string& entry) {
  sys::SpawnOptions o;
  o.argv = {ffprobe_path(config), "-v", "error", "-show_entries", "format=" + entry, "-of", "csv=p=0", file.string()};
  auto run = sys::run_capture(o, std::chrono::seconds(60));
  if (!run || run->status.code != 0) return std::nullopt;
  try {
    return std::stod(run->out);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::map<int, fs::path> part_files(const fs::path& work_dir) {
  std::map<int, fs::path> best;
  std::map<int, std::uintmax_t> best_size;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(work_dir, ec)) {
    const auto name = entry.path().filename().string();
    const auto n = part_number_of(name);
    if (!n || !is_media_candidate(name) || !entry.is_regular_file(ec)) continue;
    const auto size = entry.file_size(ec);
    if (ec || size == 0) continue;
    // A merged Matroska file is the finished part; otherwise the biggest file is the media.
    const bool merged = name.ends_with(".mkv");
    const bool have_merged = best.count(*n) && best[*n].extension() == ".mkv";
    if (have_merged) continue;
    if (merged || size > best_size[*n]) {
      best[*n] = entry.path();
      best_size[*n] = size;
    }
  }
  return best;
}

// MPEG-TS survives being appended byte for byte; used when there is no room for a remux.
Result<Ok> append_file(const fs::path& from, const fs::path& to) {
  std::ifstream in(from, std::ios::binary);
  std::ofstream out(to, std::ios::binary | std::ios::app);
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    out.write(buf.data(), in.gcount());
    if (!out) return make_error("storage_error", "cannot append " + from.string() + " to " + to.string());
  }
  out.flush();
  if (!out) return make_error("storage_error", "cannot append " + from.string() + " to " + to.string());
  return Ok{};
}

// The remux both joins end with: `write` makes the partial file it is given, which becomes
// "joined.mkv" in `work_dir`, when the free space holds `total` bytes more. nullopt when
// "joined.mkv" is there (also from an earlier run cut short after it); otherwise the warning to
// store the unremuxed file (`kept`: what it is) with. A partial file from a crash starts over.
std::optional<std::string> remux_into_matroska(const fs::path& work_dir, std::uint64_t total, const std::string& kept,
                                               const std::string& what,
                                               const std::function<Result<Ok>(const fs::path&)>& write) {
  const fs::path output = work_dir / "joined.mkv";
  const fs::path partial = work_dir / "joining.mkv";
  std::error_code ec;
  fs::remove(partial, ec);
  if (fs::is_regular_file(output, ec)) return std::nullopt;
  const auto space = sys::disk_space(work_dir);
  // The remux writes about as much as was recorded, plus Matroska's small overhead.
  if (space && space->free <= total + total / 50 + (8 << 20))
    return "stored as " + kept + ": not enough free space to remux it into Matroska (" + human_bytes(space->free) +
           " free, " + human_bytes(total) + " recorded)";
  auto written = write(partial);
  if (written && fs::file_size(partial, ec) > 0) {
    fs::rename(partial, output, ec);
    if (!ec) return std::nullopt;
  }
  fs::remove(partial, ec);
  spdlog::warn("{} in {} failed: {}", what, work_dir.string(), written ? ec.message() : written.error().message);
  return "stored as " + kept + ": ffmpeg could not remux the recording into Matroska";
}

// ffmpeg's metadata file with the chapters, for the joins ffmpeg makes; false when there are none.
bool write_ffmetadata(const fs::path& file, const std::vector<remux::Chapter>& chapters, double duration_s) {
  if (chapters.empty()) return false;
  const auto escaped = [](const std::string& text) {
    std::string out;
    for (char c : text) {
      if (c == '=' || c == ';' || c == '#' || c == '\\' || c == '\n') out += '\\';
      out += c;
    }
    return out;
  };
  std::ofstream out(file);
  out << ";FFMETADATA1\n";
  const auto last_ms = static_cast<std::int64_t>(duration_s * 1000);
  for (std::size_t i = 0; i < chapters.size(); ++i) {
    const auto end = i + 1 < chapters.size() ? chapters[i + 1].start_ms : std::max(last_ms, chapters[i].start_ms + 1);
    out << "[CHAPTER]\nTIMEBASE=1/1000\nSTART=" << chapters[i].start_ms << "\nEND=" << end
        << "\ntitle=" << escaped(chapters[i].title) << "\n";
  }
  return static_cast<bool>(out.flush());
}

// ffmpeg run to write a remux: its error output is the error.
Result<Ok> run_ffmpeg(const std::vector<std::string>& argv) {
  sys::SpawnOptions o;
  o.argv = argv;
  auto run = sys::run_capture(o, std::chrono::hours(2));
  if (!run) return run.error();
  if (run->status.code != 0) return make_error("remux_failed", run->err.substr(0, 500));
  return Ok{};
}

}  // namespace

std::string concat_quote(const std::string& path) {
  std::string out = "'";
  for (char c : path) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

fs::path whole_matroska(const fs::path& work_dir, int part, bool finished) {
  char name[40];
  std::snprintf(name, sizeof name, "part-%03d.whole.mkv%s", part, finished ? "" : ".writing");
  return work_dir / name;
}

std::optional<fs::path> part_file(const fs::path& work_dir, int part) {
  auto files = part_files(work_dir);
  auto it = files.find(part);
  if (it == files.end()) return std::nullopt;
  return it->second;
}

std::uint64_t part_bytes(const fs::path& work_dir, int part) {
  // Looked at every second while recording: only this part's names are examined.
  char prefix[16];
  std::snprintf(prefix, sizeof prefix, "part-%03d.", part);
  std::uint64_t best = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(work_dir, ec)) {
    const auto name = entry.path().filename().string();
    if (!name.starts_with(prefix) || !is_media_candidate(name)) continue;
    best = std::max<std::uint64_t>(best, entry.file_size(ec));
  }
  return best;
}

std::vector<fs::path> list_parts(const fs::path& work_dir) {
  std::vector<fs::path> out;
  for (auto& [n, path] : part_files(work_dir)) out.push_back(path);
  return out;
}

int next_part_number(const fs::path& work_dir) {
  int next = 1;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(work_dir, ec))
    if (auto n = part_number_of(entry.path().filename().string())) next = std::max(next, *n + 1);
  return next;
}

Result<JoinedRecording> join_parts(const Config& config, const fs::path& work_dir, const std::vector<fs::path>& parts,
                                   const std::vector<remux::Chapter>& chapters, double duration_s) {
  if (parts.empty()) return make_error("nothing_recorded", "nothing was recorded");
  JoinedRecording joined;
  if (parts.size() == 1 && parts.front().extension() == ".mkv") {
    joined.file = parts.front();
    return joined;
  }
  std::error_code ec;
  if (parts.size() == 1)
    if (const auto n = part_number_of(parts.front().filename().string())) {
      const auto whole = whole_matroska(work_dir, *n, true);
      if (fs::file_size(whole, ec) > 0 && !ec) {
        joined.file = whole;
        return joined;
      }
    }
  std::uint64_t total = 0;
  for (const auto& p : parts) total += fs::file_size(p, ec);
  auto warning = remux_into_matroska(
      work_dir, total, "MPEG-TS", "joining " + std::to_string(parts.size()) + " part(s)", [&](const fs::path& partial) {
        const fs::path list = work_dir / "parts.ffconcat";
        {
          std::ofstream out(list);
          out << "ffconcat version 1.0\n";
          for (const auto& p : parts) {
            out << "file " << concat_quote(fs::absolute(p).string()) << "\n";
            // Segments taken again when the part resumed the same
            // session: started after them. Parts begin with a
            // keyframe at a segment boundary, so the cut is exact.
            if (const double skip = skip_of(p); skip > 0)
              if (auto start = format_number(config, p, "start_time")) out << "inpoint " << (*start + skip) << "\n";
          }
        }
        std::vector<std::string> argv = {config.ffmpeg, "-nostdin", "-y", "-v", "error",      "-f",
                                         "concat",      "-safe",    "0",  "-i", list.string()};
        const fs::path metadata = work_dir / "chapters.ffmeta";
        if (write_ffmetadata(metadata, chapters, duration_s))
          argv.insert(argv.end(), {"-f", "ffmetadata", "-i", metadata.string(), "-map_chapters", "1"});
        argv.insert(argv.end(), {"-map", "0", "-c", "copy", "-f", "matroska", partial.string()});
        return run_ffmpeg(argv);
      });
  if (!warning) {
    joined.file = work_dir / "joined.mkv";
    return joined;
  }
  joined.warnings.push_back(*warning);
  // Keep the raw MPEG-TS: the later parts appended to the first, each removed once it is in.
  const fs::path& first = parts.front();
  for (std::size_t i = 1; i < parts.size(); ++i) {
    auto appended = append_file(parts[i], first);
    if (!appended) return appended.error();
    fs::remove(parts[i], ec);
  }
  joined.file = first;
  return joined;
}

bool has_recorded_media(const fs::path& work_dir) {
  if (!list_parts(work_dir).empty()) return true;
  if (!hls::Journal::exists(work_dir / "journal")) return false;
  auto journal = hls::Journal::open(work_dir / "journal");
  if (!journal) return false;
  for (const auto& run : (*journal)->runs())
    if (run.segments > 0) return true;
  return false;
}

namespace {

// The journal's runs joined by chronicle's own remuxer when they are all MPEG-TS: several times
// faster than ffmpeg's, which is the bulk of a finalize. `not_ts` when they are not.
Result<remux::RemuxedFile> join_ts_runs(const std::vector<std::string>& order,
                                        const std::map<std::string, std::vector<hls::JournalRun>>& by_rendition,
                                        const fs::path& output, const std::vector<remux::Chapter>& chapters) {
  std::vector<remux::TsRendition> renditions;
  for (const auto& rendition : order) {
    remux::TsRendition r;
    r.audio_only = rendition == "audio";
    for (const auto& run : by_rendition.at(rendition)) {
      if (run.file.extension() != ".ts" || run.init_bytes != 0) return make_error("not_ts", "not MPEG-TS");
      r.runs.push_back({run.file, run.duration_s});
    }
    renditions.push_back(std::move(r));
  }
  return remux::join_ts_into_matroska(renditions, output, chapters);
}

}  // namespace

Result<JoinedRecording> join_journal(const Config& config, const fs::path& work_dir,
                                     const std::vector<remux::Chapter>& chapters) {
  const fs::path dir = work_dir / "journal";
  auto journal = hls::Journal::open(dir);
  if (!journal) return journal.error();
  std::map<std::string, std::vector<hls::JournalRun>> by_rendition;
  std::vector<std::string> order;
  std::uint64_t total = 0;
  for (const auto& run : (*journal)->runs()) {
    if (run.segments == 0) continue;
    if (!by_rendition.count(run.rendition)) order.push_back(run.rendition);
    by_rendition[run.rendition].push_back(run);
    total += run.bytes;
  }
  if (order.empty()) return make_error("nothing_recorded", "nothing was recorded");
  // The job's timeline first: the muxed stream or the video, then audio.
  std::stable_sort(order.begin(), order.end(),
                   [](const std::string& a, const std::string& b) { return (a == "audio") < (b == "audio"); });
  // What the file is when it cannot be remuxed: the main rendition's runs as they are.
  const auto& main_runs = by_rendition[order.front()];
  const std::string kept = main_runs.front().file.extension() == ".ts" ? "MPEG-TS" : "recorded";
  JoinedRecording joined;
  std::optional<double> remuxed_duration;
  auto warning = remux_into_matroska(work_dir, total, kept, "joining the journal", [&](const fs::path& partial) {
    const auto started = std::chrono::steady_clock::now();
    auto fast = join_ts_runs(order, by_rendition, partial, chapters);
    if (fast) {
      spdlog::info("joined {} ({}, {} tracks, {:.1f} s) by chronicle's remuxer in {:.2f} s", work_dir.string(),
                   human_bytes(total), fast->tracks, fast->duration_s,
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
      remuxed_duration = fast->duration_s;
      return Result<Ok>(Ok{});
    }
    if (fast.error().code != "not_ts")
      spdlog::info("joining {} with ffmpeg: {}", work_dir.string(), fast.error().message);
    std::vector<std::string> argv = {config.ffmpeg, "-nostdin", "-y", "-v", "error"};
    for (const auto& rendition : order) {
      const fs::path list = dir / (rendition + ".ffconcat");
      std::ofstream out(list);
      out << "ffconcat version 1.0\n";
      for (const auto& run : by_rendition[rendition]) {
        out << "file " << concat_quote(fs::absolute(run.file).string()) << "\n";
        // The playlist's durations place each run: the renditions stay aligned run by run.
        out << "duration " << run.duration_s << "\n";
      }
      out.close();
      argv.insert(argv.end(), {"-f", "concat", "-safe", "0", "-i", list.string()});
    }
    double length = 0;
    for (const auto& run : by_rendition[order.front()]) length += run.duration_s;
    const fs::path metadata = dir / "chapters.ffmeta";
    if (write_ffmetadata(metadata, chapters, length))
      argv.insert(argv.end(),
                  {"-f", "ffmetadata", "-i", metadata.string(), "-map_chapters", std::to_string(order.size())});
    // Audio and video only: Matroska has no place for timed ID3 or SCTE-35 data streams.
    for (std::size_t i = 0; i < order.size(); ++i) {
      if (order[i] != "audio") argv.insert(argv.end(), {"-map", std::to_string(i) + ":v?"});
      argv.insert(argv.end(), {"-map", std::to_string(i) + ":a?"});
    }
    argv.insert(argv.end(), {"-c", "copy", "-f", "matroska", partial.string()});
    return run_ffmpeg(argv);
  });
  if (!warning) {
    joined.file = work_dir / "joined.mkv";
    joined.duration_s = remuxed_duration;
    return joined;
  }
  joined.warnings.push_back(*warning);
  std::error_code ec;
  // The main rendition's runs as they are, one after another.
  const fs::path first = main_runs.front().file;
  for (std::size_t i = 1; i < main_runs.size(); ++i) {
    auto appended = append_file(main_runs[i].file, first);
    if (!appended) return appended.error();
    fs::remove(main_runs[i].file, ec);
  }
  joined.file = first;
  return joined;
}

std::vector<remux::Chapter> chapters_for(const Job& job) {
  const auto ms = [](double s) { return static_cast<std::int64_t>(std::llround(std::max(0.0, s) * 1000)); };
  const auto seconds = [](double s) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f s", s);
    return std::string(text);
  };
  std::vector<remux::Chapter> chapters;
  const std::string first = !job.titles.empty() ? job.titles.front().title : job.title;
  chapters.push_back({0, first.empty() ? "Start" : "Start: " + first});
  for (const auto& gap : job.interruptions)
    chapters.push_back({ms(gap.at_s), gap.gap_s ? "Interruption: no data for " + seconds(*gap.gap_s)
                                                : std::string("Interruption: the stream did not come back")});
  for (const auto& ad : job.ad_breaks)
    chapters.push_back({ms(ad.at_s), "Ad break left out (" + seconds(ad.duration_s) + ")"});
  for (std::size_t i = 1; i < job.titles.size(); ++i)
    chapters.push_back({ms(job.titles[i].at_s), "Title: " + job.titles[i].title});
  std::stable_sort(chapters.begin(), chapters.end(),
                   [](const remux::Chapter& a, const remux::Chapter& b) { return a.start_ms < b.start_ms; });
  return chapters;
}

std::optional<double> media_duration(const Config& config, const fs::path& file) {
  return format_number(config, file, "duration");
}

void save_outcome(const fs::path& work_dir, const Outcome& outcome) {
  const auto& r = outcome.stored.recording;
  nlohmann::json j = {{"recording", {{"key", r.key}, {"size", r.size}, {"sha256", r.sha256}, {"url", r.url}}},
                      {"torrent", outcome.stored.torrent ? to_json(*outcome.stored.torrent) : nlohmann::json(nullptr)},
                      {"duration_s", outcome.stored.duration_s ? nlohmann::json(*outcome.stored.duration_s) : nullptr},
                      {"warnings", outcome.stored.warnings},
                      {"media", outcome.stored.media ? to_json(*outcome.stored.media) : nlohmann::json(nullptr)},
                      {"thumbnail", outcome.stored.thumbnail ? nlohmann::json{{"key", outcome.stored.thumbnail->key},
                                                                              {"url", outcome.stored.thumbnail->url}}
                                                             : nlohmann::json(nullptr)},
                      {"chat", outcome.stored.chat ? to_json(*outcome.stored.chat) : nlohmann::json(nullptr)},
                      {"end_reason", outcome.end_reason}};
  if (outcome.error) j["error"] = {{"code", outcome.error->code}, {"message", outcome.error->message}};
  const fs::path temp = work_dir / "outcome.json.tmp";
  {
    std::ofstream out(temp);
    out << j.dump();
    out.flush();
    if (!out) return;
  }
  std::error_code ec;
  fs::rename(temp, work_dir / "outcome.json", ec);
}

std::optional<Outcome> load_outcome(const fs::path& work_dir) {
  std::ifstream in(work_dir / "outcome.json");
  if (!in) return std::nullopt;
  const auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("recording")) return std::nullopt;
  Outcome o;
  const auto& r = j["recording"];
  o.stored.recording =
      StoredRecording{r.value("key", ""), r.value("size", std::uint64_t{0}), r.value("sha256", ""), r.value("url", "")};
  if (auto it = j.find("torrent"); it != j.end()) o.stored.torrent = torrent_from_json(*it);
  if (j.contains("duration_s") && j["duration_s"].is_number()) o.stored.duration_s = j["duration_s"].get<double>();
  for (const auto& w : j.value("warnings", nlohmann::json::array()))
    if (w.is_string()) o.stored.warnings.push_back(w.get<std::string>());
  if (auto it = j.find("media"); it != j.end()) o.stored.media = media_from_json(*it);
  if (auto it = j.find("thumbnail"); it != j.end() && it->is_object())
    o.stored.thumbnail = Thumbnail{it->value("key", ""), it->value("url", ""), false};
  if (auto it = j.find("chat"); it != j.end()) o.stored.chat = chat_from_json(*it);
  o.end_reason = j.value("end_reason", "");
  if (j.contains("error") && j["error"].is_object())
    o.error = Error{j["error"].value("code", ""), j["error"].value("message", "")};
  return o;
}

namespace {

// Writes a file's bytes through the store's writer (stores that cannot adopt files, or a file on
// another filesystem than the store).
Result<ObjectInfo> copy_into(ObjectStore& objects, const fs::path& file, const std::string& desired_key,
                             std::uint64_t size) {
  auto writer = objects.create(desired_key, size);
  if (!writer) return writer.error();
  std::ifstream in(file, std::ios::binary);
  std::vector<char> buf(4 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    if (in.gcount() == 0) break;
    auto w = (*writer)->write(std::as_bytes(std::span(buf.data(), static_cast<std::size_t>(in.gcount()))));
    if (!w) return w.error();
  }
  if (in.bad()) return make_error("storage_error", "read error on " + file.string());
  return (*writer)->commit();
}

}  // namespace

Result<StoredResult> store_recording(const Config& config, ObjectStore& objects, const fs::path& file,
                                     const std::string& desired_key, const std::string& job_id,
                                     const std::string& title) {
  sys::UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return make_error("storage_error", "cannot read " + file.string());
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return make_error("storage_error", "cannot stat " + file.string());
  const auto size = static_cast<std::uint64_t>(st.st_size);
  ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  // A local store takes the file itself (a rename, no copy); the read pass only hashes.
  const bool adopt = objects.adopts_files();
  std::unique_ptr<ObjectWriter> writer;
  if (!adopt) {
    auto created = objects.create(desired_key, size);
    if (!created) return created.error();
    writer = std::move(*created);
  }
  std::optional<torrent::PieceHasher> hasher;
  if (config.torrent_enabled && size > 0)
    hasher.emplace(size, torrent::choose_piece_size(size), true, config.torrent_hybrid,
                   std::max(1u, std::thread::hardware_concurrency()));
  // The file is whole: its pages go to disk while the read pass hashes them from the cache, so
  // the fsync a local store needs costs no time of its own.
  std::future<int> synced;
  if (adopt) synced = std::async(std::launch::async, [&fd] { return ::fsync(fd.get()); });
  sys::Sha256 sha;
  std::vector<std::byte> own_buffer(hasher ? 0 : 4 << 20);
  std::uint64_t read_total = 0;
  for (;;) {
    // With a hasher, bytes are read straight into its piece buffer and the SHA-256 and the
    // store write use them from there: one read, no copy.
    const bool into_hasher = hasher && read_total < size;
    std::span<std::byte> into = into_hasher ? hasher->writable() : std::span<std::byte>(own_buffer);
    if (into.empty()) {  // the file grew past its measured size: finish with a plain buffer
      own_buffer.resize(4 << 20);
      into = own_buffer;
    }
    const ssize_t n = ::read(fd.get(), into.data(), into.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return make_error("storage_error", "read error on " + file.string());
    if (n == 0) break;
    const std::span<const std::byte> chunk(into.data(), static_cast<std::size_t>(n));
    sha.update(chunk);
    if (writer) {
      auto w = writer->write(chunk);
      if (!w) return w.error();
    }
    if (into_hasher && into.data() != own_buffer.data()) hasher->commit(chunk.size());
    read_total += chunk.size();
  }
  ObjectInfo info;
  if (adopt) {
    if (synced.get() != 0) return make_error("storage_error", "fsync " + file.string() + " failed");
    // The store takes a second name of the file, so the work file itself stays until the job
    // records where its recording went.
    const fs::path staging = file.parent_path() / "storing.tmp";
    std::error_code ec;
    fs::remove(staging, ec);
    fs::create_hard_link(file, staging, ec);
    if (ec) return make_error("storage_error", "cannot link " + file.string() + ": " + ec.message());
    auto adopted = objects.adopt(staging, desired_key);
    if (!adopted) return adopted.error();
    if (*adopted) {
      info = **adopted;
    } else {
      fs::remove(staging, ec);
      auto copied = copy_into(objects, file, desired_key, size);
      if (!copied) return copied.error();
      info = *copied;
    }
  } else {
    auto committed = writer->commit();
    if (!committed) return committed.error();
    info = *committed;
  }
  const std::string public_url = config.effective_public_url();
  StoredResult result;
  result.recording =
      StoredRecording{info.key, info.size, sha.hex_digest(), public_url + "/api/v1/jobs/" + job_id + "/recording"};
  if (!hasher || read_total != size) return result;

  torrent::TorrentSpec spec;
  spec.file_name = fs::path(info.key).filename().string();
  spec.file_size = size;
  spec.piece_size = hasher->piece_size();
  spec.trackers = config.announce_urls();
  // With a token, the web seed carries a long-lived signature: BitTorrent clients have no token.
  const sys::LinkSigner signer(config.token);
  spec.web_seeds = {
      result.recording.url +
      signer.query(job_id, "recording", std::chrono::seconds(static_cast<long long>(config.web_seed_ttl_s)))};
  spec.comment = title.empty() ? "Recorded by chronicle" : title + " (recorded by chronicle)";
  auto made = torrent::make_torrent(spec, hasher->finish());
  if (!made) {
    spdlog::warn("job {}: no torrent: {}", job_id, made.error().message);
    return result;
  }
  std::string torrent_key = info.key.substr(0, info.key.rfind('.')) + ".torrent";
  auto torrent_writer = objects.create(torrent_key);
  if (!torrent_writer) {
    spdlog::warn("job {}: cannot store the torrent: {}", job_id, torrent_writer.error().message);
    return result;
  }
  auto written = (*torrent_writer)->write(std::as_bytes(std::span(made->bencoded.data(), made->bencoded.size())));
  auto stored = written ? (*torrent_writer)->commit() : Result<ObjectInfo>(written.error());
  if (!stored) {
    spdlog::warn("job {}: cannot store the torrent: {}", job_id, stored.error().message);
    return result;
  }
  result.torrent = torrent::torrent_info(*made, spec, stored->key, public_url + "/api/v1/jobs/" + job_id + "/torrent");
  if (!config.torrent_watch_dir.empty()) {
    std::error_code ec;
    fs::create_directories(config.torrent_watch_dir, ec);
    std::ofstream(config.torrent_watch_dir / (job_id + ".torrent"), std::ios::binary) << made->bencoded;
  }
  return result;
}

Result<StoredResult> finalize_parts(const Config& config, ObjectStore& objects, const Job& job) {
  const fs::path work = job_work_dir(config, job.id);
  const auto chapters = chapters_for(job);
  auto joined = hls::Journal::exists(work / "journal")
                    ? join_journal(config, work, chapters)
                    : join_parts(config, work, list_parts(work), chapters, job.duration_s);
  if (!joined) return joined.error();
  std::string key = recording_key(job.prefix, job.name, job.id);
  if (joined->file.extension() != ".mkv") key = key.substr(0, key.size() - 4) + joined->file.extension().string();
  // ffprobe measures the file and ffmpeg takes its poster frame while the read pass hashes it. A
  // local store moves the file into place meanwhile, so they open it through this process's
  // descriptor, which stays valid across the rename.
  sys::UniqueFd held(::open(joined->file.c_str(), O_RDONLY | O_CLOEXEC));
  const fs::path readable = held.get() >= 0
                                ? fs::path("/proc/" + std::to_string(::getpid()) + "/fd/" + std::to_string(held.get()))
                                : joined->file;
  const fs::path poster = work / "poster.jpg";
  // A few seconds in, past a black or slate opening frame; a third in for a short recording.
  const auto poster_at = [](std::optional<double> duration) { return duration ? std::min(5.0, *duration / 3) : 0; };
  // With the duration known from the join, the poster is taken beside ffprobe, not after it.
  std::future<bool> early_poster;
  if (joined->duration_s)
    early_poster = std::async(std::launch::async,
                              [&] { return write_poster(config, readable, poster_at(joined->duration_s), poster); });
  auto measured = std::async(std::launch::async, [&] {
    auto probe = probe_media(config, readable);
    const bool has_video = probe.media && probe.media->height > 0;
    if (early_poster.valid()) return std::pair{probe, early_poster.get() && has_video};
    return std::pair{probe, has_video && write_poster(config, readable, poster_at(probe.duration_s), poster)};
  });
  auto stored = store_recording(config, objects, joined->file, key, job.id, job.title);
  auto [probe, has_poster] = measured.get();
  if (!stored) return stored;
  stored->duration_s = probe.duration_s;
  stored->media = probe.media;
  stored->warnings = joined->warnings;
  // The chat beside the recording (not in the torrent): its own object, its own link.
  if (const fs::path chat = chat_file(work); fs::exists(chat)) {
    const auto [messages, bytes] = chat_counts(chat);
    const auto& k = stored->recording.key;
    auto kept = copy_into(objects, chat, k.substr(0, k.rfind('.')) + ".chat.ndjson", bytes);
    ChatLog log = job.chat.value_or(ChatLog{});
    log.messages = messages;
    log.bytes = bytes;
    if (kept) {
      log.state = "stored";
      log.key = kept->key;
      log.url = config.effective_public_url() + "/api/v1/jobs/" + job.id + "/chat";
    } else {
      log.state = "failed";
      log.error = Error{kept.error().code, "the chat could not be stored: " + kept.error().message};
    }
    stored->chat = log;
  }
  if (has_poster) {
    const auto& k = stored->recording.key;
    auto thumb = store_still(objects, poster, k.substr(0, k.rfind('.')) + ".jpg");
    if (thumb)
      stored->thumbnail = Thumbnail{*thumb, thumbnail_url(config, job.id), false};
    else
      spdlog::warn("job {}: no thumbnail: {}", job.id, thumb.error().message);
  }
  return stored;
}

void stop_leftover_downloader(const fs::path& work_dir) {
  std::ifstream in(downloader_pgid_file(work_dir));
  pid_t pgid = 0;
  if (!(in >> pgid) || pgid <= 1) return;
  // The pid may have been reused after a reboot: only signal it if it is still a downloader.
  std::ifstream cmdline("/proc/" + std::to_string(pgid) + "/cmdline");
  std::string cmd((std::istreambuf_iterator<char>(cmdline)), std::istreambuf_iterator<char>());
  if (cmd.find("yt-dlp") == std::string::npos && cmd.find("yt_dlp") == std::string::npos) return;
  ::kill(-pgid, SIGINT);  // ffmpeg closes the file cleanly on SIGINT
  for (int i = 0; i < 50 && sys::is_alive(pgid); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  if (sys::is_alive(pgid)) ::kill(-pgid, SIGKILL);
}

namespace {

void attach(Job& j, const StoredResult& stored) {
  j.recording = stored.recording;
  j.torrent = stored.torrent;
  j.media = stored.media;
  // The poster replaces the live preview (whose object the recorder removes).
  if (stored.thumbnail)
    j.thumbnail = stored.thumbnail;
  else if (j.thumbnail && j.thumbnail->live)
    j.thumbnail.reset();
  if (stored.chat) j.chat = stored.chat;
  j.bytes = stored.recording.size;
  if (stored.duration_s) j.duration_s = *stored.duration_s;
  for (const auto& w : stored.warnings) j.warnings.push_back(w);
}

}  // namespace

// Ends an unfinished job (via uploading) in `to`, without the interruption it never came back from.
Result<Ok> end_job(Job& j, JobStatus to) {
  if (is_terminal(j.status)) return make_error("conflict", "job already finished");
  if (j.status != JobStatus::uploading) {
    auto t = transition(j, JobStatus::uploading, now());
    if (!t) return t;
  }
  auto t = transition(j, to, now());
  if (!t) return t;
  drop_open_interruption(j);
  return Ok{};
}

Result<Ok> apply_outcome(Job& j, const Outcome& outcome) {
  auto ended = end_job(j, outcome.error ? JobStatus::failed : JobStatus::completed);
  if (!ended) return ended;
  attach(j, outcome.stored);
  j.end_reason = outcome.end_reason;
  if (outcome.error) j.error = outcome.error;
  return Ok{};
}

Result<Job> finish_from_outcome(JobStore& store, const std::string& job_id, const Outcome& outcome) {
  return update_job(store, job_id, [&](Job& j) { return apply_outcome(j, outcome); });
}

void remove_live_preview(ObjectStore& objects, const Job& job) {
  if (!job.thumbnail || !job.thumbnail->live) return;
  if (auto gone = objects.remove(job.thumbnail->key); !gone)
    spdlog::warn("job {}: its live preview stays: {}", job.id, gone.error().message);
}

Result<Job> recover_lost_job(const Config& config, JobStore& store, ObjectStore& objects, const Job& claimed,
                             const std::string& reason) {
  const fs::path work = job_work_dir(config, claimed.id);
  // What the recorder kept showing while it recorded: the job no longer points at it once it ends.
  struct PreviewCleanup {
    ObjectStore& objects;
    const Job& job;
    ~PreviewCleanup() { remove_live_preview(objects, job); }
  } preview_cleanup{objects, claimed};
  stop_leftover_downloader(work);
  std::error_code ec;
  // An outcome on disk means the recording was stored already (by the recorder, or by an earlier
  // recovery whose final write the store refused): finish from it, never store it twice.
  if (auto outcome = load_outcome(work)) {
    auto done = finish_from_outcome(store, claimed.id, *outcome);
    if (done) fs::remove_all(work, ec);
    return done;
  }
  std::string message = reason;
  if (!has_recorded_media(work)) {
    message += "; nothing had been recorded yet";
  } else {
    auto stored = finalize_parts(config, objects, claimed);
    if (stored) {
      char secs[32];
      std::snprintf(secs, sizeof secs, "%.1f", stored->duration_s.value_or(0));
      message += "; the " + std::string(secs) + " s recorded before that are kept";
      const Outcome outcome{*stored, end_reason::recorder_lost, Error{"recorder_lost", message}};
      save_outcome(work, outcome);
      auto done = finish_from_outcome(store, claimed.id, outcome);
      if (done) fs::remove_all(work, ec);
      return done;
    }
    message += "; the partial recording could not be stored: " + stored.error().message + " (it is still in " +
               work.string() + ")";
  }
  return update_job(store, claimed.id, [&](Job& j) -> Result<Ok> {
    auto ended = end_job(j, JobStatus::failed);
    if (!ended) return ended;
    j.error = Error{"recorder_lost", message};
    j.end_reason = end_reason::recorder_lost;
    if (j.thumbnail && j.thumbnail->live) j.thumbnail.reset();
    return Ok{};
  });
}

}  // namespace chronicle::record
