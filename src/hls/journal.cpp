#include "hls/journal.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "core/time.hpp"

namespace chronicle::hls {
namespace fs = std::filesystem;

namespace {
constexpr const char* kIndex = "index.jsonl";

std::string run_name(const std::string& rendition, int number, const std::string& extension) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "-%05d.", number);
  return rendition + buf + extension;
}

bool valid_rendition(const std::string& name) {
  if (name.empty() || name.size() > 32) return false;
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  return true;
}
}  // namespace

Journal::Journal(fs::path dir) : dir_(std::move(dir)) {}

bool Journal::exists(const fs::path& dir) {
  std::error_code ec;
  return fs::file_size(dir / kIndex, ec) > 0 && !ec;
}

Result<std::unique_ptr<Journal>> Journal::open(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return make_error("storage_error", "cannot create " + dir.string() + ": " + ec.message());
  std::unique_ptr<Journal> journal(new Journal(dir));
  if (auto r = journal->recover(); !r) return r.error();
  journal->index_.open(dir / kIndex, std::ios::app);
  if (!journal->index_) return make_error("storage_error", "cannot write " + (dir / kIndex).string());
  return journal;
}

namespace {

struct IndexRead {
  JournalSnapshot journal;
  std::uint64_t good_bytes = 0;  // of the index, in whole lines (a torn last line is not one)
};

// Reads the index's whole lines in order: the runs, each with the bytes, duration and count of
// the segments indexed in it, and the segments.
IndexRead read_index(std::istream& in, const fs::path& dir) {
  IndexRead read;
  auto& journal = read.journal;
  std::map<std::string, std::size_t> current;  // rendition -> its run being written
  std::string line;
  std::uint64_t read_bytes = 0;
  while (std::getline(in, line)) {
    read_bytes += line.size() + 1;
    const auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object() || in.eof()) break;
    read.good_bytes = read_bytes;
    const std::string type = j.value("t", "");
    const std::string rendition = j.value("r", "");
    if (type == "run") {
      JournalRun run;
      run.rendition = rendition;
      run.number = j.value("n", 0);
      run.file = dir / j.value("f", "");
      run.init_bytes = j.value("init", std::uint64_t{0});
      run.bytes = run.init_bytes;
      current[rendition] = journal.runs.size();
      journal.runs.push_back(std::move(run));
    } else if (type == "seg" && current.contains(rendition)) {
      JournalSegment s;
      s.rendition = rendition;
      s.run = j.value("n", 0);
      s.session = j.value("s", 0);
      s.sequence = j.value("q", std::int64_t{0});
      s.discontinuity = j.value("d", std::int64_t{0});
      s.duration_s = j.value("dur", 0.0);
      if (j.contains("pdt") && j["pdt"].is_number()) s.program_date_time_ms = j["pdt"].get<std::int64_t>();
      s.uri_path = j.value("u", "");
      s.offset = j.value("o", std::uint64_t{0});
      s.length = j.value("l", std::uint64_t{0});
      auto& run = journal.runs[current[rendition]];
      run.bytes = s.offset + s.length;
      run.duration_s += s.duration_s;
      ++run.segments;
      journal.segments.push_back(std::move(s));
    }
  }
  return read;
}

}  // namespace

Result<JournalSnapshot> read_journal(const fs::path& dir) {
  std::ifstream in(dir / kIndex);
  if (!in) return make_error("not_found", "no journal in " + dir.string());
  return read_index(in, dir).journal;
}

Result<Ok> Journal::recover() {
  std::ifstream in(dir_ / kIndex);
  auto [journal, good_bytes] = read_index(in, dir_);
  runs_ = std::move(journal.runs);
  for (std::size_t i = 0; i < runs_.size(); ++i) current_[runs_[i].rendition] = i;
  for (auto& s : journal.segments) {
    duration_[s.rendition] += s.duration_s;
    last_[s.rendition] = std::move(s);
  }
  in.close();
  std::error_code ec;
  if (fs::exists(dir_ / kIndex, ec) && fs::file_size(dir_ / kIndex, ec) != good_bytes)
    fs::resize_file(dir_ / kIndex, good_bytes, ec);
  // Bytes written after the last index line belong to a segment the crash cut short.
  for (auto& run : runs_) {
    const auto size = fs::file_size(run.file, ec);
    if (ec) {
      run.bytes = 0;
      continue;
    }
    if (size > run.bytes) fs::resize_file(run.file, run.bytes, ec);
    if (size < run.bytes) return make_error("storage_error", run.file.string() + " is shorter than its journal says");
    bytes_ += run.bytes;
  }
  return Ok{};
}

Result<Ok> Journal::write_index(const std::string& line) {
  index_ << line << '\n';
  index_.flush();
  if (!index_) return make_error("storage_error", "cannot write the journal's index in " + dir_.string());
  return Ok{};
}

Result<Ok> Journal::begin_run(const std::string& rendition, const std::string& extension, std::string_view init) {
  if (!valid_rendition(rendition)) return make_error("internal", "invalid rendition name " + rendition);
  std::lock_guard lock(mutex_);
  int number = 1;
  for (const auto& r : runs_)
    if (r.rendition == rendition) number = std::max(number, r.number + 1);
  JournalRun run{rendition, number, dir_ / run_name(rendition, number, extension), init.size(), init.size(), 0, 0};
  auto file = std::make_unique<std::ofstream>(run.file, std::ios::binary | std::ios::trunc);
  file->write(init.data(), static_cast<std::streamsize>(init.size()));
  file->flush();
  if (!*file) return make_error("storage_error", "cannot write " + run.file.string());
  auto written = write_index(nlohmann::json{
      {"t", "run"}, {"r", rendition}, {"n", number}, {"f", run.file.filename().string()}, {"init", init.size()}}
                                 .dump());
  if (!written) return written;
  files_[rendition] = std::move(file);
  current_[rendition] = runs_.size();
  runs_.push_back(std::move(run));
  bytes_ += init.size();
  return Ok{};
}

Result<Ok> Journal::append(JournalSegment segment, std::string_view bytes) {
  std::lock_guard lock(mutex_);
  auto at = current_.find(segment.rendition);
  if (at == current_.end()) return make_error("internal", "no run begun for " + segment.rendition);
  auto& run = runs_[at->second];
  auto& file = files_[segment.rendition];
  if (!file) {  // a run recovered after a crash: appended to where the journal left it
    file = std::make_unique<std::ofstream>(run.file, std::ios::binary | std::ios::app);
  }
  file->write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  // Flushed before the index line names it: a line never points at bytes still in a buffer.
  // Not fsynced per segment: the page cache outlives a crash of the recorder, and the capacity
  // of one machine is worth more than surviving a power cut mid-segment.
  file->flush();
  if (!*file) {
    file.reset();
    return make_error("storage_error", "cannot write " + run.file.string() + " (disk full?)");
  }
  segment.run = run.number;
  segment.offset = run.bytes;
  segment.length = bytes.size();
  nlohmann::json j{{"t", "seg"},
                   {"r", segment.rendition},
                   {"n", segment.run},
                   {"s", segment.session},
                   {"q", segment.sequence},
                   {"d", segment.discontinuity},
                   {"dur", segment.duration_s},
                   {"u", segment.uri_path},
                   {"o", segment.offset},
                   {"l", segment.length}};
  if (segment.program_date_time_ms) j["pdt"] = *segment.program_date_time_ms;
  if (auto w = write_index(j.dump()); !w) return w;
  run.bytes += bytes.size();
  run.duration_s += segment.duration_s;
  ++run.segments;
  bytes_ += bytes.size();
  duration_[segment.rendition] += segment.duration_s;
  last_[segment.rendition] = std::move(segment);
  return Ok{};
}

std::optional<JournalSegment> Journal::last(const std::string& rendition) const {
  std::lock_guard lock(mutex_);
  auto it = last_.find(rendition);
  if (it == last_.end()) return std::nullopt;
  return it->second;
}

std::vector<JournalRun> Journal::runs() const {
  std::lock_guard lock(mutex_);
  return runs_;
}

std::vector<std::string> Journal::renditions() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const auto& r : runs_)
    if (std::find(out.begin(), out.end(), r.rendition) == out.end()) out.push_back(r.rendition);
  return out;
}

double Journal::duration_s(const std::string& rendition) const {
  std::lock_guard lock(mutex_);
  auto it = duration_.find(rendition);
  return it == duration_.end() ? 0 : it->second;
}

std::uint64_t Journal::bytes() const {
  std::lock_guard lock(mutex_);
  return bytes_;
}

std::optional<fs::path> Journal::current_file(const std::string& rendition) const {
  std::lock_guard lock(mutex_);
  auto it = current_.find(rendition);
  if (it == current_.end() || runs_[it->second].segments == 0) return std::nullopt;
  return runs_[it->second].file;
}

namespace {

std::string with_param(const std::string& query, const std::string& param) {
  return (query.empty() ? "?" : query + "&") + param;
}

}  // namespace

std::string journal_media_playlist(const JournalSnapshot& journal, const std::string& rendition,
                                   const std::string& base, const std::string& query, bool ended) {
  double longest = 1;
  for (const auto& s : journal.segments)
    if (s.rendition == rendition) longest = std::max(longest, s.duration_s);
  std::ostringstream out;
  out << "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:" << static_cast<long long>(std::ceil(longest))
      << "\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:EVENT\n";
  // One pass over the segments (a player asks again every few seconds): a run's header where
  // its first segment is.
  std::map<int, const JournalRun*> runs;
  for (const auto& run : journal.runs)
    if (run.rendition == rendition) runs[run.number] = &run;
  const JournalRun* current = nullptr;
  std::string uri;
  for (const auto& s : journal.segments) {
    if (s.rendition != rendition) continue;
    if (!current || current->number != s.run) {
      const auto run = runs.find(s.run);
      if (run == runs.end()) continue;
      // A new run is a new timeline (or a new init section): the player resets its decoder there.
      if (current) out << "#EXT-X-DISCONTINUITY\n";
      current = run->second;
      uri = base;
      uri.append("live/").append(current->file.filename().string()).append(query);
      if (current->init_bytes > 0)
        out << "#EXT-X-MAP:URI=\"" << uri << "\",BYTERANGE=\"" << current->init_bytes << "@0\"\n";
    }
    if (s.program_date_time_ms)
      out << "#EXT-X-PROGRAM-DATE-TIME:" << to_rfc3339(TimePoint(std::chrono::milliseconds(*s.program_date_time_ms)))
          << "\n";
    char duration[32];
    std::snprintf(duration, sizeof duration, "%.3f", s.duration_s);
    out << "#EXTINF:" << duration << ",\n#EXT-X-BYTERANGE:" << s.length << "@" << s.offset << "\n" << uri << "\n";
  }
  if (ended) out << "#EXT-X-ENDLIST\n";
  return out.str();
}

std::string journal_master_playlist(const JournalSnapshot& journal, const std::string& base, const std::string& query) {
  std::vector<std::string> renditions;
  std::map<std::string, std::pair<std::uint64_t, double>> size;  // bytes and seconds, for BANDWIDTH
  for (const auto& run : journal.runs) {
    if (std::find(renditions.begin(), renditions.end(), run.rendition) == renditions.end())
      renditions.push_back(run.rendition);
    size[run.rendition].first += run.bytes - run.init_bytes;
    size[run.rendition].second += run.duration_s;
  }
  if (renditions.size() < 2) return "";
  const auto bandwidth = [&](const std::string& r) {
    const auto [bytes, seconds] = size[r];
    return seconds > 0 ? static_cast<long long>(static_cast<double>(bytes) * 8 / seconds) : 1000000LL;
  };
  std::ostringstream out;
  out << "#EXTM3U\n#EXT-X-VERSION:7\n";
  long long total = 0;
  std::string video;
  for (const auto& r : renditions) {
    total += bandwidth(r);
    if (r == "audio")
      out << "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio\",NAME=\"audio\",DEFAULT=YES,AUTOSELECT=YES,URI=\"" << base
          << "live.m3u8" << with_param(query, "rendition=audio") << "\"\n";
    else if (video.empty())
      video = r;
  }
  out << "#EXT-X-STREAM-INF:BANDWIDTH=" << total << ",AUDIO=\"audio\"\n"
      << base << "live.m3u8" << with_param(query, "rendition=" + video) << "\n";
  return out.str();
}

}  // namespace chronicle::hls
