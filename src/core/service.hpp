#pragma once
// The use cases behind the API and the Lambda: parse → call the service → render.
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "core/names.hpp"
#include "core/ports.hpp"
#include "core/retention.hpp"
#include "core/url_policy.hpp"

namespace chronicle {

struct SubmitRequest {
  std::string url;
  std::string name;
  std::string prefix;
  std::string format;  // a quality preset or a yt-dlp selector (core/quality.hpp); empty: the default
  std::optional<double> reconnect_window_s;
  // Wait this long for the stream to go live instead of failing when it is not live yet.
  std::optional<double> wait_for_live_s;
  bool keep_ads = false;  // record advertising instead of leaving it out
  bool chat = true;       // record the live chat beside the video where the site has one
  std::string start;      // "live": from the live edge; empty or "earliest": the first segment listed
  // Set by chronicle itself, never from a request: the channel whose session this is, and the id
  // the channel reserved for the job.
  std::string channel_id;
  std::string id;
};

struct ClipRequest {
  double start_s = 0, end_s = 0;  // on the recording's timeline
  std::string name;               // empty: named after its place in the recording
};
inline constexpr std::size_t kMaxClipsPerJob = 100;  // a job is one document (DynamoDB: 400 KB)

struct DiskSpace {
  std::uint64_t free = 0;   // bytes available to chronicle
  std::uint64_t total = 0;  // size of the filesystem
};
// Free space where recordings are written; nullopt where the service has no local disk (Lambda).
using DiskGauge = std::function<std::optional<DiskSpace>()>;

// What /metrics shows of the jobs.
struct JobTotals {
  std::map<JobStatus, std::int64_t> by_status;
  std::uint64_t recording_bytes = 0;  // recorded so far by the jobs that are recording
};

class JobService {
 public:
  JobService(JobStore& store, JobQueue& queue, ObjectStore& objects, Launcher* launcher, UrlPolicy policy,
             Resolver resolver)
      : store_(store),
        queue_(queue),
        objects_(objects),
        launcher_(launcher),
        policy_(std::move(policy)),
        resolver_(std::move(resolver)) {}

  // 201-worthy (created) or the existing active job for the same URL.
  Result<CreateOutcome> submit(const SubmitRequest& request);
  Result<Job> get(const std::string& id);
  // The job's whole id from the start of it (what `chronicle watch` prints is enough): not_found
  // when no job's id begins so, ambiguous_id when several do.
  Result<std::string> resolve_id(const std::string& id_or_prefix);
  Result<JobPage> list(const ListQuery& query);
  // Changes with every write of any job (JobStore::change_token): read it before a read to know
  // how long what was read stays current.
  std::optional<std::uint64_t> change_token() { return store_.change_token(); }
  // Cancels a pending job; asks a running recorder to stop and keep what it recorded.
  Result<Job> stop(const std::string& id);
  // Removes a finished job and its stored files.
  Result<Job> remove(const std::string& id);
  // A URL chronicle will send to (a webhook): the same policy as the streams it records.
  Result<ParsedUrl> check_address(const std::string& url) { return check_url(url, policy_, resolver_); }
  // Pins a finished job's recording (retention keeps it) or unpins it.
  Result<Job> set_pinned(const std::string& id, bool pinned);
  // Someone fetched the live preview of `job`: its recorder renews the preview (at most once per
  // preview interval) only while this keeps happening. Best effort, and at most one store write
  // per job every few seconds however many clients look.
  void preview_viewed(const Job& job);
  // Who cuts clips; without one, clips are refused as not available on this server.
  void set_clip_cutter(ClipCutter* cutter) { clip_cutter_ = cutter; }
  // A clip of a stored recording (or of one in progress where the cutter can read it): checked,
  // written to the job as `cutting`, and handed to the cutter. Bad ranges are invalid_body.
  Result<Clip> create_clip(const std::string& id, const ClipRequest& request);
  Result<Clip> get_clip(const std::string& id, const std::string& clip_id);
  // Deletes the clip's file and takes it off the job.
  Result<Clip> remove_clip(const std::string& id, const std::string& clip_id);

  Result<std::map<JobStatus, std::int64_t>> count_by_status(const std::vector<JobStatus>& only) {
    return store_.count_by_status(only);
  }
  // Moves with every pin and unpin made through this service: besides a job finishing or going,
  // what can change what a retention pass keeps.
  std::uint64_t retention_generation() const { return retention_generation_.load(); }
  // One retention pass: deletes the recordings the policy says (files, torrent, thumbnail; the job
  // stays, saying so), and reports what is stored.
  Result<StorageReport> apply_retention(const RetentionPolicy& policy, TimePoint at);
  // What a pass at `at` would delete, deleting nothing: shown before it happens, so a recording
  // can still be pinned or downloaded.
  Result<RetentionPlan> preview_retention(const RetentionPolicy& policy, TimePoint at);
  // The last pass's report; nullopt before the first.
  std::optional<StorageReport> storage_report() const {
    std::lock_guard lock(report_mutex_);
    return report_;
  }

  // New submits are refused (insufficient_storage) while the free space is below the reserve.
  void guard_disk(DiskGauge gauge, std::function<std::uint64_t(std::uint64_t)> reserve_for) {
    disk_gauge_ = std::move(gauge);
    reserve_for_ = std::move(reserve_for);
  }

  Result<JobTotals> totals();
  // Sends a queue message for every waiting job whose next check is due: the dispatcher's probe is
  // the check. Returns how many were sent. A check already sent is not sent again while the job
  // waits for it (the queue would drop it anyway, but every send is a write).
  Result<std::size_t> send_due_checks(TimePoint at);
  // The change feed (JobStore::changes_since), for the event stream.
  Result<ChangeBatch> changes_since(std::int64_t cursor, std::size_t limit) {
    return store_.changes_since(cursor, limit);
  }
  // Where a stored object is read from: a file on this machine, or else a URL to send the
  // client to (a presigned one on S3); neither when it is not there.
  std::optional<std::filesystem::path> local_file(const std::string& key) { return objects_.local_path(key); }
  std::optional<std::string> download_url(const std::string& key) { return objects_.download_url(key); }
  Result<ObjectInfo> stat_object(const std::string& key) { return objects_.stat(key); }
  Result<Ok> fetch_object(const std::string& key, const std::filesystem::path& destination) {
    return objects_.fetch(key, destination);
  }

 private:
  JobStore& store_;
  JobQueue& queue_;
  ObjectStore& objects_;
  Launcher* launcher_;
  UrlPolicy policy_;
  Resolver resolver_;
  ClipCutter* clip_cutter_ = nullptr;
  DiskGauge disk_gauge_;
  std::function<std::uint64_t(std::uint64_t)> reserve_for_;
  std::mutex checks_mutex_;
  std::map<std::string, std::pair<int, TimePoint>> checks_sent_;  // job id -> (live_checks, when)
  mutable std::mutex report_mutex_;
  std::atomic<std::uint64_t> retention_generation_{0};
  std::optional<StorageReport> report_;
};

}  // namespace chronicle
