#pragma once
// A resident yt-dlp: one Python process that imports yt_dlp once and answers extraction requests
// (src/record/extractor.py, built into the binary). A `yt-dlp -J` per job costs about 0.5 s of CPU
// and 50 MiB before it does any work; through the resident worker an extraction of a live playlist
// costs a few milliseconds, so a burst of submits can all be probed inside a live window.
//
// Every connection the worker makes goes through an egress guard, one per slot; a slot serves one
// request at a time, so a refusal is told to the request that caused it.
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/config.hpp"
#include "core/result.hpp"

namespace chronicle::record {

class Extractor {
 public:
  ~Extractor();
  Extractor(const Extractor&) = delete;
  Extractor& operator=(const Extractor&) = delete;

  // `slots`: extractions at once. Fails when yt-dlp is not a Python script importing yt_dlp (a
  // wrapper, a standalone build): callers then run yt-dlp once per probe.
  static Result<std::unique_ptr<Extractor>> start(const Config& config, int slots);

  // yt-dlp's info for `url` with `format` selected, trimmed to what chronicle uses (see
  // extractor.py). Errors: "extract_failed" with yt-dlp's message, "probe_timeout",
  // "forbidden_address", "worker_unavailable" (the worker could not run; try the one-shot way).
  Result<nlohmann::json> extract(const std::string& url, const std::string& format, std::chrono::milliseconds timeout);

 private:
  struct Impl;
  explicit Extractor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The Python interpreter named by yt-dlp's "#!" line, when yt-dlp is a Python script that imports
// the yt_dlp package (Debian's /usr/bin/yt-dlp); nullopt otherwise.
std::optional<std::string> ytdlp_interpreter(const std::string& ytdlp);

// The keys of yt-dlp's info that chronicle hands on (the same the worker keeps), from a full info.
nlohmann::json trim_info(const nlohmann::json& info);

}  // namespace chronicle::record
