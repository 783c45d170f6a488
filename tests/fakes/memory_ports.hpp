#pragma once
// In-memory adapters of the ports, for unit tests of the core's decisions (service, dispatcher,
// reaper, recorder outcome, seeder) in milliseconds. They pass the same contract suites as the real
// adapters (tests/contract), so a behaviour the core relies on is the one the adapters have.
#include <algorithm>
#include <condition_variable>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>

#include "core/channel.hpp"
#include "core/names.hpp"
#include "core/ports.hpp"
#include "core/url_policy.hpp"

namespace chronicle::fakes {

// A DNS that answers every name with one address (by default a public one), so URL checks run
// without a network.
inline Resolver public_dns(const std::string& address = "93.184.216.34") {
  return [address](const std::string&) -> Result<std::vector<IpAddress>> {
    return std::vector<IpAddress>{*parse_ip_literal(address)};
  };
}

// Every MemoryJobStore made from the same state sees the same jobs, as connections to one
// database would.
struct JobTable {
  std::mutex mutex;
  std::map<std::string, Job> jobs;
  struct Change {
    std::int64_t seq;
    Job job;
    bool removed;
  };
  std::vector<Change> changes;
  std::int64_t next_seq = 1;
  std::uint64_t writes = 0;
};

class MemoryJobStore final : public JobStore {
 public:
  explicit MemoryJobStore(std::shared_ptr<JobTable> table = std::make_shared<JobTable>()) : t_(std::move(table)) {}
  std::shared_ptr<JobTable> table() const { return t_; }

  Result<CreateOutcome> create_or_get_active(const Job& job) override {
    std::lock_guard lock(t_->mutex);
    for (auto& [id, existing] : t_->jobs)
      if (existing.url == job.url && is_active(existing.status)) return CreateOutcome{existing, false};
    Job stored = job;
    stored.version = 1;
    write(stored, false);
    return CreateOutcome{stored, true};
  }
  Result<std::vector<std::string>> ids_starting_with(const std::string& prefix, std::size_t limit) override {
    std::lock_guard lock(t_->mutex);
    std::vector<std::string> ids;
    for (auto it = t_->jobs.lower_bound(prefix); it != t_->jobs.end() && ids.size() < limit; ++it) {
      if (!it->first.starts_with(prefix)) break;
      ids.push_back(it->first);
    }
    return ids;
  }
  Result<std::optional<Job>> get(const std::string& id) override {
    std::lock_guard lock(t_->mutex);
    auto it = t_->jobs.find(id);
    if (it == t_->jobs.end()) return std::optional<Job>();
    return std::optional<Job>(it->second);
  }
  Result<JobPage> list(const ListQuery& query) override {
    std::lock_guard lock(t_->mutex);
    JobPage page;
    for (auto it = t_->jobs.rbegin(); it != t_->jobs.rend(); ++it) {
      if (query.cursor && it->first >= *query.cursor) continue;
      if (query.status && it->second.status != *query.status) continue;
      if (query.channel_id && it->second.channel_id != *query.channel_id) continue;
      if (!matches_search(it->second, query.search)) continue;
      if (page.jobs.size() == query.limit) {
        page.next_cursor = page.jobs.back().id;
        break;
      }
      page.jobs.push_back(it->second);
    }
    return page;
  }
  Result<bool> replace_if_version(Job& job) override {
    if (fail_writes) return make_error("unavailable", "the store is unreachable");
    std::lock_guard lock(t_->mutex);
    auto it = t_->jobs.find(job.id);
    if (it == t_->jobs.end() || it->second.version != job.version) return false;
    job.version += 1;
    write(job, false);
    return true;
  }
  Result<bool> remove(const std::string& id) override {
    std::lock_guard lock(t_->mutex);
    auto it = t_->jobs.find(id);
    if (it == t_->jobs.end()) return false;
    Job gone = it->second;
    t_->jobs.erase(it);
    log(gone, true);
    return true;
  }
  Result<std::vector<Job>> list_by_status(const std::vector<JobStatus>& statuses) override {
    std::lock_guard lock(t_->mutex);
    std::vector<Job> out;
    for (auto& [id, job] : t_->jobs)
      if (std::find(statuses.begin(), statuses.end(), job.status) != statuses.end()) out.push_back(job);
    return out;
  }
  Result<std::map<JobStatus, std::int64_t>> count_by_status(const std::vector<JobStatus>& only = {}) override {
    std::lock_guard lock(t_->mutex);
    std::map<JobStatus, std::int64_t> counts;
    for (int i = 0; i <= static_cast<int>(JobStatus::canceled); ++i) counts[static_cast<JobStatus>(i)] = 0;
    for (auto& [id, job] : t_->jobs)
      if (only.empty() || std::find(only.begin(), only.end(), job.status) != only.end()) ++counts[job.status];
    return counts;
  }
  Result<ChangeBatch> changes_since(std::int64_t cursor, std::size_t limit) override {
    std::lock_guard lock(t_->mutex);
    ChangeBatch batch;
    batch.cursor = cursor < 0 ? t_->next_seq - 1 : cursor;
    if (cursor < 0) return batch;
    for (auto& c : t_->changes) {
      if (c.seq <= cursor) continue;
      if (batch.jobs.size() == limit) break;
      batch.jobs.push_back(c.job);
      batch.seqs.push_back(c.seq);
      batch.removed.push_back(c.removed);
      batch.cursor = c.seq;
    }
    return batch;
  }
  std::optional<std::uint64_t> change_token() override {
    std::lock_guard lock(t_->mutex);
    return t_->writes;
  }

  bool fail_writes = false;  // every compare-and-set fails as if the store were unreachable

 private:
  void write(const Job& job, bool removed) {
    t_->jobs[job.id] = job;
    log(job, removed);
  }
  void log(const Job& job, bool removed) {
    t_->changes.push_back({t_->next_seq++, job, removed});
    ++t_->writes;
  }
  std::shared_ptr<JobTable> t_;
};

class MemoryJobQueue final : public JobQueue {
 public:
  explicit MemoryJobQueue(int max_receives = 5) : max_receives_(max_receives) {}

  Result<Ok> send(const std::string& job_id, const std::string& dedup_id) override {
    std::lock_guard lock(mutex_);
    if (fail_sends) return make_error("unavailable", "the queue is unreachable");
    for (auto& m : messages_)
      if (m.dedup_id == dedup_id) return Ok{};
    messages_.push_back({job_id, dedup_id, std::chrono::steady_clock::now(), 0, ""});
    sent.push_back(job_id);
    arrived_.notify_all();
    return Ok{};
  }
  Result<std::optional<QueueMessage>> receive(std::chrono::seconds visibility,
                                              std::chrono::milliseconds wait) override {
    std::unique_lock lock(mutex_);
    const auto until = std::chrono::steady_clock::now() + wait;
    for (;;) {
      const auto now = std::chrono::steady_clock::now();
      for (auto it = messages_.begin(); it != messages_.end();) {
        if (it->visible_at > now) {
          ++it;
          continue;
        }
        if (++it->receive_count > max_receives_) {
          dead_.push_back({it->job_id, "", it->receive_count});
          it = messages_.erase(it);
          continue;
        }
        it->visible_at = now + visibility;
        it->receipt = it->dedup_id + "#" + std::to_string(it->receive_count);
        return std::optional<QueueMessage>(QueueMessage{it->job_id, it->receipt, it->receive_count});
      }
      if (now >= until) return std::optional<QueueMessage>();
      arrived_.wait_until(lock, std::min(until, now + std::chrono::milliseconds(20)));
    }
  }
  Result<Ok> ack(const QueueMessage& message) override {
    std::lock_guard lock(mutex_);
    std::erase_if(messages_, [&](const Stored& m) { return m.receipt == message.receipt; });
    acked.push_back(message.job_id);
    return Ok{};
  }
  Result<Ok> extend_visibility(const QueueMessage& message, std::chrono::seconds visibility) override {
    std::lock_guard lock(mutex_);
    for (auto& m : messages_)
      if (m.receipt == message.receipt) m.visible_at = std::chrono::steady_clock::now() + visibility;
    return Ok{};
  }
  Result<std::vector<QueueMessage>> take_dead_letters() override {
    std::lock_guard lock(mutex_);
    return std::exchange(dead_, {});
  }
  // Puts a message straight into the dead-letter queue, as the receive limit would.
  void dead_letter(const std::string& job_id, int receive_count) {
    std::lock_guard lock(mutex_);
    dead_.push_back({job_id, "", receive_count});
  }
  std::size_t queued() {
    std::lock_guard lock(mutex_);
    return messages_.size();
  }

  std::vector<std::string> sent, acked;
  bool fail_sends = false;

 private:
  struct Stored {
    std::string job_id, dedup_id;
    std::chrono::steady_clock::time_point visible_at;
    int receive_count;
    std::string receipt;
  };
  int max_receives_;
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<Stored> messages_;
  std::vector<QueueMessage> dead_;
};

class MemoryObjectStore final : public ObjectStore {
 public:
  class Writer final : public ObjectWriter {
   public:
    Writer(MemoryObjectStore& store, std::string key) : store_(store), key_(std::move(key)) {}
    Result<Ok> write(std::span<const std::byte> data) override {
      bytes_.append(reinterpret_cast<const char*>(data.data()), data.size());
      return Ok{};
    }
    Result<ObjectInfo> commit() override { return store_.put(key_, std::move(bytes_)); }

   private:
    MemoryObjectStore& store_;
    std::string key_, bytes_;
  };

  Result<std::unique_ptr<ObjectWriter>> create(const std::string& desired_key, std::uint64_t) override {
    if (!is_safe_object_key(desired_key)) return make_error("invalid_key", "unsafe object key: " + desired_key);
    return std::unique_ptr<ObjectWriter>(new Writer(*this, desired_key));
  }
  Result<ObjectInfo> stat(const std::string& key) override {
    std::lock_guard lock(mutex_);
    auto it = objects.find(key);
    if (it == objects.end()) return make_error("not_found", "no object " + key);
    return ObjectInfo{key, it->second.size()};
  }
  Result<Ok> remove(const std::string& key) override {
    std::lock_guard lock(mutex_);
    objects.erase(key);
    return Ok{};
  }
  std::optional<std::filesystem::path> local_path(const std::string&) override { return std::nullopt; }
  Result<Ok> fetch(const std::string& key, const std::filesystem::path& destination) override {
    std::lock_guard lock(mutex_);
    auto it = objects.find(key);
    if (it == objects.end()) return make_error("not_found", "no object " + key);
    std::ofstream(destination, std::ios::binary) << it->second;
    return Ok{};
  }

  std::map<std::string, std::string> objects;

 private:
  Result<ObjectInfo> put(const std::string& desired, std::string bytes) {
    std::lock_guard lock(mutex_);
    for (int n = 0;; ++n) {
      const auto key = key_with_suffix(desired, n);
      if (objects.count(key)) continue;
      const auto size = bytes.size();
      objects.emplace(key, std::move(bytes));
      return ObjectInfo{key, size};
    }
  }
  std::mutex mutex_;
};

// Records what it was asked; `fail_launch` makes the next launches fail, `exited` answers
// has_exited per recorder reference.
class FakeLauncher final : public Launcher {
 public:
  Result<std::string> launch(const Job& job, const std::string& extracted) override {
    std::lock_guard lock(mutex_);
    if (fail_launch) return make_error("launch_failed", "could not start a recorder");
    launched.push_back(job.id);
    extracted_for[job.id] = extracted;
    return "ref-" + job.id;
  }
  Result<Ok> request_stop(const Job& job) override {
    std::lock_guard lock(mutex_);
    stop_requested.push_back(job.id);
    return Ok{};
  }
  std::optional<bool> has_exited(const std::string& recorder_ref) override {
    std::lock_guard lock(mutex_);
    auto it = exited.find(recorder_ref);
    if (it == exited.end()) return std::nullopt;
    return it->second;
  }

  std::size_t launch_count() {
    std::lock_guard lock(mutex_);
    return launched.size();
  }

  bool fail_launch = false;
  std::vector<std::string> launched, stop_requested;
  std::map<std::string, std::string> extracted_for;
  std::map<std::string, bool> exited;

 private:
  std::mutex mutex_;
};

// Channels in memory; every MemoryChannelStore made from the same table sees the same channels.
struct ChannelTable {
  std::mutex mutex;
  std::map<std::string, Channel> channels;
};

class MemoryChannelStore final : public ChannelStore {
 public:
  explicit MemoryChannelStore(std::shared_ptr<ChannelTable> table = std::make_shared<ChannelTable>())
      : t_(std::move(table)) {}

  Result<Channel> create(const Channel& channel) override {
    std::lock_guard lock(t_->mutex);
    for (const auto& [id, c] : t_->channels)
      if (c.url == channel.url)
        return Error{"conflict", "channel " + id + " already watches " + c.url, ErrorKind::conflict};
    Channel stored = channel;
    stored.version = 1;
    t_->channels[stored.id] = stored;
    return stored;
  }
  Result<std::optional<Channel>> get(const std::string& id) override {
    std::lock_guard lock(t_->mutex);
    auto it = t_->channels.find(id);
    if (it == t_->channels.end()) return std::optional<Channel>();
    return std::optional<Channel>(it->second);
  }
  Result<std::vector<Channel>> list() override {
    std::lock_guard lock(t_->mutex);
    std::vector<Channel> out;
    for (const auto& [id, c] : t_->channels) out.push_back(c);
    return out;
  }
  Result<bool> replace_if_version(Channel& channel) override {
    std::lock_guard lock(t_->mutex);
    auto it = t_->channels.find(channel.id);
    if (it == t_->channels.end() || it->second.version != channel.version) return false;
    channel.version += 1;
    it->second = channel;
    return true;
  }
  Result<bool> remove(const std::string& id) override {
    std::lock_guard lock(t_->mutex);
    return t_->channels.erase(id) == 1;
  }

 private:
  std::shared_ptr<ChannelTable> t_;
};

}  // namespace chronicle::fakes
