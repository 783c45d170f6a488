#pragma once
// A recording's live chat, captured beside the video by the recorder (Twitch: anonymous IRC over
// WebSocket; YouTube: yt-dlp's live_chat downloader): one NDJSON line per message or event in the job's work directory,
// each with `at_s`, its place on the recording's own timeline (the seconds recorded when it arrived: a gap in the video
// shifts nothing; what arrives during one is kept and marked `in_gap`), and `at`, when it arrived. A chat that fails is
// said on the job and never touches the video.
#include <filesystem>
#include <functional>

#include "core/config.hpp"
#include "core/job.hpp"
#include "core/ports.hpp"

namespace chronicle::record {

std::filesystem::path chat_file(const std::filesystem::path& work);

struct ChatClock {
  std::function<double()> position_s;  // seconds recorded so far
  std::function<bool()> in_gap;        // the stream is away (an interruption is open)
  std::function<bool()> over;          // the recording has ended: stop
};

// Where the job's stream has a chat chronicle reads ("twitch", "youtube"), or "" when none (or the
// job says `chat: false`): from the probe's extractor when known, else from the URL.
std::string chat_source_of(const Job& job, const std::string& extractor = "");

// Captures `source`'s chat until clock.over(); writes the job's `chat` (state and counts, every
// few seconds). `cookies`: the job's cookies file for yt-dlp, or "".
void capture_chat(const Config& config, JobStore& store, const Job& job, const std::string& source,
                  const std::filesystem::path& work, const std::string& cookies, const ChatClock& clock);

// Messages (lines of type "message") and bytes of a chat file; `each_line` sees every line on the way.
std::pair<std::uint64_t, std::uint64_t> chat_counts(const std::filesystem::path& file,
                                                    const std::function<void(const std::string&)>& each_line = {});

}  // namespace chronicle::record
