#pragma once
// The small interfaces between the core and its adapters. Each has an embedded adapter
// (SQLite, a directory, child processes) and an aws adapter; the core sees only these.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/job.hpp"
#include "core/result.hpp"

namespace chronicle {

struct JobPage {
  std::vector<Job> jobs;
  std::optional<std::string> next_cursor;
};

struct ListQuery {
  std::optional<JobStatus> status;
  std::optional<std::string> channel_id;  // only this channel's jobs (not combined with status)
  std::size_t limit = 50;
  std::optional<std::string> cursor;  // list jobs created strictly before this one
  // Only jobs whose name, title or URL contains this (lowercase; ASCII letters compare
  // case-insensitively). Empty: no search.
  std::string search;
};
// Whether `job` matches a ListQuery's search (stores that cannot search in place filter with it).
bool matches_search(const Job& job, const std::string& search);

struct ChangeBatch {
  std::vector<Job> jobs;           // the job as written by each change, oldest first
  std::vector<std::int64_t> seqs;  // the sequence number of each change
  std::vector<bool> removed;       // whether each change is the job's deletion (jobs[i] as it was)
  std::int64_t cursor = 0;         // resume after this
};

// What a recorder reports every few seconds while it works.
struct Heartbeat {
  TimePoint at;
  std::uint64_t bytes = 0;
  double duration_s = 0;
  std::optional<TimePoint> last_media_at;  // when new media last arrived
};

struct CreateOutcome {
  Job job;
  bool created = false;  // false: an active job for the same URL already existed
};

class JobStore {
 public:
  virtual ~JobStore() = default;
  // Atomically: returns the active job with the same URL if there is one, else inserts `job`.
  virtual Result<CreateOutcome> create_or_get_active(const Job& job) = 0;
  virtual Result<std::optional<Job>> get(const std::string& id) = 0;
  // Up to `limit` ids that begin with `prefix` (people type the first characters of an id).
  virtual Result<std::vector<std::string>> ids_starting_with(const std::string& prefix, std::size_t limit) = 0;
  virtual Result<JobPage> list(const ListQuery& query) = 0;
  // Compare-and-set: writes `job` only if the stored version equals job.version, then bumps
  // job.version. Returns false (and writes nothing) when someone else wrote first.
  virtual Result<bool> replace_if_version(Job& job) = 0;
  // Records a heartbeat on a job that is starting, recording or uploading (bytes and
  // duration only while starting or recording); returns the job as it now is, so the
  // recorder sees a stop request. Error "finished" when the job is no longer active, "not_found"
  // when there is no such job. Like
  // every write it takes a version. Stores that can update attributes in place (DynamoDB
  // UpdateItem) do it in one write; the default is a read-modify-write.
  virtual Result<Job> heartbeat(const std::string& id, const Heartbeat& beat);
  // Deletes the job; the deletion is a change in the feed too (ChangeBatch::removed).
  virtual Result<bool> remove(const std::string& id) = 0;
  // Jobs with status in `statuses` (unpaginated; used by the reaper and metrics).
  virtual Result<std::vector<Job>> list_by_status(const std::vector<JobStatus>& statuses) = 0;
  // Jobs per status, every status in the map; only the statuses in `only` are counted when it is
  // not empty, the others are 0 (the dispatcher counts the few active jobs on every receive, which
  // must not cost a count of the whole history).
  virtual Result<std::map<JobStatus, std::int64_t>> count_by_status(const std::vector<JobStatus>& only = {}) = 0;
  // A change feed: every write gets a sequence number; returns jobs written after `cursor`.
  // A negative cursor returns no jobs, only the current head of the feed.
  virtual Result<ChangeBatch> changes_since(std::int64_t cursor, std::size_t limit) = 0;
  // A number that changes whenever any job is written, by this process or another, and that is
  // cheap to read (no table read, no wait behind a writer), so a reader may keep what it rendered
  // until it changes. nullopt when the store cannot tell that cheaply: then nothing is kept.
  virtual std::optional<std::uint64_t> change_token() { return std::nullopt; }
};

struct QueueMessage {
  std::string job_id;
  std::string receipt;
  int receive_count = 0;
};

class JobQueue {
 public:
  virtual ~JobQueue() = default;
  // dedup_id: a message with the same id sent again while the first is queued is dropped.
  virtual Result<Ok> send(const std::string& job_id, const std::string& dedup_id) = 0;
  // Waits up to `wait` for a message; it stays invisible to others for `visibility`.
  // Messages received more than the configured limit go to the dead-letter queue instead.
  virtual Result<std::optional<QueueMessage>> receive(std::chrono::seconds visibility,
                                                      std::chrono::milliseconds wait) = 0;
  virtual Result<Ok> ack(const QueueMessage& message) = 0;
  virtual Result<Ok> extend_visibility(const QueueMessage& message, std::chrono::seconds visibility) = 0;
  // Removes and returns messages that were dead-lettered, so their jobs can say why.
  virtual Result<std::vector<QueueMessage>> take_dead_letters() = 0;
};

struct ObjectInfo {
  std::string key;
  std::uint64_t size = 0;
};

class ObjectWriter {
 public:
  virtual ~ObjectWriter() = default;
  virtual Result<Ok> write(std::span<const std::byte> data) = 0;
  // Publishes the object under a key that did not exist yet: the desired key, or the
  // desired key with a numeric suffix. Never overwrites.
  virtual Result<ObjectInfo> commit() = 0;
};

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;
  // size_hint: the expected size when known, so large objects get large enough parts.
  virtual Result<std::unique_ptr<ObjectWriter>> create(const std::string& desired_key, std::uint64_t size_hint = 0) = 0;
  virtual Result<ObjectInfo> stat(const std::string& key) = 0;
  virtual Result<Ok> remove(const std::string& key) = 0;
  // Where the bytes can be read directly, if the store is local.
  virtual std::optional<std::filesystem::path> local_path(const std::string& key) = 0;
  // Copies the object into a local file (for stores without local_path: a seeding node
  // pulls recordings from S3). Writes beside `destination` and renames, so a partial copy is
  // never taken for the object.
  virtual Result<Ok> fetch(const std::string& key, const std::filesystem::path& destination) = 0;
  // Stores on a local filesystem can take a finished file as an object by moving it into place
  // (no copy). Returns nullopt when this store or this file cannot (another filesystem): the
  // caller then writes the bytes through create().
  virtual bool adopts_files() const { return false; }
  virtual Result<std::optional<ObjectInfo>> adopt(const std::filesystem::path& /*file*/,
                                                  const std::string& /*desired_key*/) {
    return std::optional<ObjectInfo>();
  }
  // Marks an object kept (`keep`) or left to the store's own expiry (S3: the lifecycle rule matches
  // a tag). Stores without an expiry of their own need nothing: chronicle's retention pass decides.
  virtual Result<Ok> set_retention(const std::string& /*key*/, bool /*keep*/) { return Ok{}; }
  // A URL a client can download the object from directly (e.g. presigned), if the store has one.
  virtual std::optional<std::string> download_url(const std::string& /*key*/) { return std::nullopt; }
};

class Launcher {
 public:
  virtual ~Launcher() = default;
  // Starts a recorder for the job; returns a handle stored in Job::recorder_ref. `extracted`: the
  // probe's yt-dlp info (JSON), so the recorder need not extract the URL again; "" when none.
  // It may hold signed media URLs: launchers pass it privately, never into the job.
  virtual Result<std::string> launch(const Job& job, const std::string& extracted = "") = 0;
  // Asks the recorder to stop and finalize what it has.
  virtual Result<Ok> request_stop(const Job& job) = 0;
  // Whether the recorder behind `recorder_ref` is known to have exited. nullopt: unknown.
  virtual std::optional<bool> has_exited(const std::string& recorder_ref) = 0;
};

// Cuts clips out of recordings (a stream copy by ffmpeg), away from the request that asked: serve's
// worker threads, or on AWS the Lambda that carries ffmpeg.
class ClipCutter {
 public:
  virtual ~ClipCutter() = default;
  // Whether a clip can come from a recording still in progress (its journal is on this machine).
  virtual bool cuts_while_recording() const = 0;
  // Cuts clip `clip_id` of job `job_id`, written to the job as `cutting`; the cut writes the clip
  // as ready or failed.
  virtual Result<Ok> request(const std::string& job_id, const std::string& clip_id) = 0;
};

// Sets what a heartbeat carries on a job in an active status; false (and nothing set) when
// the job has no recorder working on it.
bool apply_heartbeat(Job& job, const Heartbeat& beat);

// Read-modify-write with compare-and-set, retried on conflicts. `change` returns an error to
// abort without writing (e.g. the job is no longer in the expected status).
Result<Job> update_job(JobStore& store, const std::string& id, const std::function<Result<Ok>(Job&)>& change,
                       int attempts = 8);

}  // namespace chronicle
