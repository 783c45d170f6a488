#pragma once
#include <limits>
#include <memory>

#include "core/ports.hpp"
#include "store/sqlite/db.hpp"

namespace chronicle::sqlite {

// Jobs as JSON documents, with the fields we query on (status, url, seq) as columns.
class SqliteJobStore final : public JobStore {
 public:
  static Result<std::unique_ptr<SqliteJobStore>> open(std::shared_ptr<Db> db);
  ~SqliteJobStore() override;

  Result<CreateOutcome> create_or_get_active(const Job& job) override;
  Result<std::optional<Job>> get(const std::string& id) override;
  Result<std::vector<std::string>> ids_starting_with(const std::string& prefix, std::size_t limit) override;
  Result<JobPage> list(const ListQuery& query) override;
  Result<bool> replace_if_version(Job& job) override;
  Result<bool> remove(const std::string& id) override;
  Result<std::vector<Job>> list_by_status(const std::vector<JobStatus>& statuses) override;
  Result<std::map<JobStatus, std::int64_t>> count_by_status(const std::vector<JobStatus>& only = {}) override;
  Result<ChangeBatch> changes_since(std::int64_t cursor, std::size_t limit) override;
  std::optional<std::uint64_t> change_token() override;

 private:
  explicit SqliteJobStore(std::shared_ptr<Db> db) : db_(std::move(db)) {}
  Result<std::int64_t> next_seq();
  Result<Ok> log_change(std::int64_t seq, const Job& job, bool removed = false);
  static constexpr std::int64_t kChangesKept = 20000;
  std::shared_ptr<Db> db_;
  // The change feed is polled every few milliseconds (and by several followers): a poll at or past
  // the head last seen reads the table only if a commit happened since, by this connection (a
  // count of its writes) or another process (SQLite's data_version).
  std::int64_t own_writes_ = 0;
  std::int64_t quiet_head_ = std::numeric_limits<std::int64_t>::max(), quiet_data_version_ = -1, quiet_own_writes_ = -1;
  // A read-only connection of its own that only asks for PRAGMA data_version: every commit by
  // any other connection (this store's own included) changes it, and asking never waits for the
  // main connection's lock, which a write with its fsync can hold for milliseconds.
  std::mutex watch_mutex_;
  sqlite3* watch_ = nullptr;
  sqlite3_stmt* watch_version_ = nullptr;
};

}  // namespace chronicle::sqlite
