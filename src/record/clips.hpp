#pragma once
// Clips cut out of recordings with a stream copy: no re-encode, so a clip begins on the keyframe at
// or before the asked start, and says where it really begins and ends. A stored recording is read
// where it is (its file, or a presigned URL on S3, which ffmpeg reads by ranges); a recording in
// progress is read from its journal on the timeline the stored file will have (each run placed
// after the one before by the playlist's durations, as the finalize join does).
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/config.hpp"
#include "core/job.hpp"
#include "core/ports.hpp"

namespace chronicle::record {

// Cuts clip `clip_id` of job `job_id` and writes the outcome to the job (ready, or failed with the
// reason). The error is also returned, for logs.
Result<Clip> cut_clip(const Config& config, JobStore& store, ObjectStore& objects, const std::string& job_id,
                      const std::string& clip_id);

// The object key of a clip: beside its recording.
std::string clip_key(const Job& job, const Clip& clip);

// serve's cutter: a few threads taking requests in order. Each request leaves a marker file in
// the work directory until its cut is over, so clips a stopped serve left `cutting` are taken
// again by resume() at the next start (without reading the whole history from the store).
class ClipWorker : public ClipCutter {
 public:
  ClipWorker(const Config& config, JobStore& store, ObjectStore& objects, int threads);
  ~ClipWorker() override;
  ClipWorker(const ClipWorker&) = delete;
  ClipWorker& operator=(const ClipWorker&) = delete;

  bool cuts_while_recording() const override;
  Result<Ok> request(const std::string& job_id, const std::string& clip_id) override;
  // Requests again every clip whose marker is still there.
  void resume();

 private:
  void loop();
  std::filesystem::path marker(const std::string& job_id, const std::string& clip_id) const;

  const Config& config_;
  JobStore& store_;
  ObjectStore& objects_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::pair<std::string, std::string>> pending_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace chronicle::record
