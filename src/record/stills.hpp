#pragma once
// What ffprobe and ffmpeg tell about a recording: its media (resolution, codecs, bitrate) and
// stills of it, the poster frame of a stored recording and the preview of one still recording.
#include <filesystem>
#include <optional>
#include <string>

#include "core/config.hpp"
#include "core/job.hpp"
#include "core/ports.hpp"

namespace chronicle::record {

struct MediaProbe {
  std::optional<double> duration_s;
  std::optional<MediaInfo> media;
};
// One ffprobe of the container and its streams.
MediaProbe probe_media(const Config& config, const std::filesystem::path& file);

// A JPEG, 640 pixels wide at most, of the first frame at or after `at_s` seconds into `input`
// (falling back to its first frame when it is shorter). False when no frame could be decoded.
bool write_poster(const Config& config, const std::filesystem::path& input, double at_s,
                  const std::filesystem::path& jpeg);

// A JPEG of the newest keyframe in the last few MiB of a growing MPEG-TS part, while it records.
bool write_live_still(const Config& config, const std::filesystem::path& part_ts, const std::filesystem::path& jpeg);

// Stores a JPEG under `desired_key`; the key it was stored under.
Result<std::string> store_still(ObjectStore& objects, const std::filesystem::path& jpeg,
                                const std::string& desired_key);

// Where a job's thumbnail is served: the route the API signs.
std::string thumbnail_url(const Config& config, const std::string& job_id);

}  // namespace chronicle::record
