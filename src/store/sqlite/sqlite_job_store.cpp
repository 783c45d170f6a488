#include "store/sqlite/sqlite_job_store.hpp"

namespace chronicle::sqlite {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS jobs (
  id      TEXT PRIMARY KEY,
  url     TEXT NOT NULL,
  status  TEXT NOT NULL,
  version INTEGER NOT NULL,
  seq     INTEGER NOT NULL,
  doc     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs(status, id);
CREATE INDEX IF NOT EXISTS jobs_by_seq ON jobs(seq);
-- The active statuses (is_active): a partial index's condition cannot change, so a new active
-- status means a new index (a database from before `waiting` loses the old one here).
DROP INDEX IF EXISTS jobs_active_url;
CREATE INDEX IF NOT EXISTS jobs_active_url_v2 ON jobs(url)
  WHERE status IN ('pending', 'waiting', 'starting', 'recording');
-- Every write of a job, in order, so the event stream can report each change, not just the
-- latest state. Trimmed to the most recent entries.
CREATE TABLE IF NOT EXISTS job_changes (
  seq    INTEGER PRIMARY KEY,
  job_id TEXT NOT NULL,
  doc    TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO counters(name, value) VALUES ('job_seq', 0);
)sql";

}  // namespace

Result<std::unique_ptr<SqliteJobStore>> SqliteJobStore::open(std::shared_ptr<Db> db) {
  std::lock_guard lock(db->mutex());
  auto r = db->exec(kSchema);
  if (!r) return r.error();
  // A channel's jobs are listed by a column of their own; a database from before channels gets it
  // (and the jobs that have a channel in their document get it filled in).
  bool has_channel_column = false;
  {
    Stmt columns(*db, "SELECT 1 FROM pragma_table_info('jobs') WHERE name = 'channel_id'");
    has_channel_column = columns.step() == SQLITE_ROW;
  }
  if (!has_channel_column) {
    // Another process opening the same database at the same moment may add it first.
    auto added = db->exec("ALTER TABLE jobs ADD COLUMN channel_id TEXT");
    if (!added && added.error().message.find("duplicate column") == std::string::npos) return added.error();
    auto filled = db->exec(
        "UPDATE jobs SET channel_id = json_extract(doc, '$.channel_id') "
        "WHERE channel_id IS NULL AND json_extract(doc, '$.channel_id') IS NOT NULL");
    if (!filled) return filled.error();
  }
  auto index =
      db->exec("CREATE INDEX IF NOT EXISTS jobs_by_channel ON jobs(channel_id, id) WHERE channel_id IS NOT NULL;");
  if (!index) return index.error();
  return std::unique_ptr<SqliteJobStore>(new SqliteJobStore(std::move(db)));
}

Result<std::int64_t> SqliteJobStore::next_seq() {
  Stmt s(*db_, "UPDATE counters SET value = value + 1 WHERE name = 'job_seq' RETURNING value");
  if (s.step() != SQLITE_ROW) return db_->error("advance change sequence");
  return s.integer(0);
}

Result<Ok> SqliteJobStore::log_change(std::int64_t seq, const Job& job, bool removed) {
  ++own_writes_;
  auto doc = to_storage_json(job);
  if (removed) doc["removed"] = true;
  Stmt s(*db_, "INSERT INTO job_changes(seq, job_id, doc) VALUES (?, ?, ?)");
  s.bind(1, seq).bind(2, job.id).bind(3, doc.dump());
  if (s.step() != SQLITE_DONE) return db_->error("log change");
  if (seq % 1000 == 0) {
    Stmt trim(*db_, "DELETE FROM job_changes WHERE seq <= ?");
    trim.bind(1, seq - kChangesKept);
    if (trim.step() != SQLITE_DONE) return db_->error("trim changes");
  }
  return Ok{};
}

Result<CreateOutcome> SqliteJobStore::create_or_get_active(const Job& job) {
  std::lock_guard lock(db_->mutex());
  Transaction tx(*db_);
  if (!tx.began()) return db_->error("begin");
  {
    Stmt s(*db_,
           "SELECT doc FROM jobs WHERE url = ? AND status IN ('pending', 'waiting', 'starting', 'recording') "
           "ORDER BY id LIMIT 1");
    s.bind(1, job.url);
    if (s.step() == SQLITE_ROW) {
      auto existing = parse_stored_job(s.text(0));
      if (!existing) return existing.error();
      return CreateOutcome{std::move(*existing), false};
    }
  }
  auto seq = next_seq();
  if (!seq) return seq.error();
  Job stored = job;
  stored.version = 1;
  Stmt ins(*db_, "INSERT INTO jobs(id, url, status, version, seq, doc, channel_id) VALUES (?, ?, ?, ?, ?, ?, ?)");
  ins.bind(1, stored.id).bind(2, stored.url).bind(3, std::string(to_string(stored.status)));
  ins.bind(4, stored.version).bind(5, *seq).bind(6, to_storage_json(stored).dump());
  if (stored.channel_id.empty())
    ins.bind_null(7);
  else
    ins.bind(7, stored.channel_id);
  if (ins.step() != SQLITE_DONE) return db_->error("insert job");
  if (auto logged = log_change(*seq, stored); !logged) return logged.error();
  auto c = tx.commit();
  if (!c) return c.error();
  return CreateOutcome{stored, true};
}

Result<std::vector<std::string>> SqliteJobStore::ids_starting_with(const std::string& prefix, std::size_t limit) {
  std::lock_guard lock(db_->mutex());
  // A range of the primary key: ids are upper-case letters and digits, all below '~'.
  Stmt s(*db_, "SELECT id FROM jobs WHERE id >= ?1 AND id < ?1 || '~' ORDER BY id LIMIT ?2");
  s.bind(1, prefix).bind(2, static_cast<std::int64_t>(limit));
  std::vector<std::string> ids;
  int rc = 0;
  while ((rc = s.step()) == SQLITE_ROW) ids.push_back(s.text(0));
  if (rc != SQLITE_DONE) return db_->error("find ids");
  return ids;
}

Result<std::optional<Job>> SqliteJobStore::get(const std::string& id) {
  std::lock_guard lock(db_->mutex());
  Stmt s(*db_, "SELECT doc FROM jobs WHERE id = ?");
  s.bind(1, id);
  const int rc = s.step();
  if (rc == SQLITE_ROW) {
    auto job = parse_stored_job(s.text(0));
    if (!job) return job.error();
    return std::optional<Job>(std::move(*job));
  }
  if (rc == SQLITE_DONE) return std::optional<Job>();
  return db_->error("read job");
}

Result<JobPage> SqliteJobStore::list(const ListQuery& q) {
  std::lock_guard lock(db_->mutex());
  // Ids are time-ordered (ULID), so "newest first" is "id descending" and the cursor is an id.
  std::string sql = "SELECT doc FROM jobs WHERE 1=1";
  if (q.status) sql += " AND status = ?1";
  if (q.channel_id) sql += " AND channel_id = ?4";
  if (q.cursor) sql += " AND id < ?2";
  // A search reads the documents it passes (fine for a person's query over a history of
  // thousands); lower() folds ASCII, as matches_search does.
  if (!q.search.empty())
    sql +=
        " AND (instr(lower(url), ?5) > 0 OR instr(lower(coalesce(json_extract(doc, '$.name'), '')), ?5) > 0 OR "
        "instr(lower(coalesce(json_extract(doc, '$.title'), '')), ?5) > 0)";
  sql += " ORDER BY id DESC LIMIT ?3";
  Stmt s(*db_, sql.c_str());
  if (q.status) s.bind(1, std::string(to_string(*q.status)));
  if (q.cursor) s.bind(2, *q.cursor);
  s.bind(3, static_cast<std::int64_t>(q.limit + 1));
  if (q.channel_id) s.bind(4, *q.channel_id);
  if (!q.search.empty()) s.bind(5, q.search);
  JobPage page;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    auto job = parse_stored_job(s.text(0));
    if (!job) return job.error();
    page.jobs.push_back(std::move(*job));
  }
  if (rc != SQLITE_DONE) return db_->error("list jobs");
  if (page.jobs.size() > q.limit) {
    page.jobs.pop_back();
    page.next_cursor = page.jobs.back().id;
  }
  return page;
}

Result<bool> SqliteJobStore::replace_if_version(Job& job) {
  std::lock_guard lock(db_->mutex());
  Transaction tx(*db_);
  if (!tx.began()) return db_->error("begin");
  auto seq = next_seq();
  if (!seq) return seq.error();
  Job stored = job;
  stored.version = job.version + 1;
  Stmt s(*db_, "UPDATE jobs SET status = ?, version = ?, seq = ?, doc = ? WHERE id = ? AND version = ?");
  s.bind(1, std::string(to_string(stored.status))).bind(2, stored.version).bind(3, *seq);
  s.bind(4, to_storage_json(stored).dump()).bind(5, stored.id).bind(6, job.version);
  if (s.step() != SQLITE_DONE) return db_->error("update job");
  if (sqlite3_changes(db_->handle()) != 1) return false;  // the transaction rolls back the seq bump
  if (auto logged = log_change(*seq, stored); !logged) return logged.error();
  auto c = tx.commit();
  if (!c) return c.error();
  job.version = stored.version;
  return true;
}

Result<bool> SqliteJobStore::remove(const std::string& id) {
  std::lock_guard lock(db_->mutex());
  Transaction tx(*db_);
  if (!tx.began()) return db_->error("begin");
  std::optional<Job> job;
  {
    Stmt s(*db_, "DELETE FROM jobs WHERE id = ? RETURNING doc");
    s.bind(1, id);
    const int rc = s.step();
    if (rc == SQLITE_ROW) {
      // A document that cannot be read is deleted all the same: that is how it goes away.
      auto parsed = parse_stored_job(s.text(0));
      job = parsed ? std::move(*parsed) : Job{};
      job->id = id;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return db_->error("delete job");
  }
  if (!job) return false;
  auto seq = next_seq();
  if (!seq) return seq.error();
  if (auto logged = log_change(*seq, *job, /*removed=*/true); !logged) return logged.error();
  auto c = tx.commit();
  if (!c) return c.error();
  return true;
}

Result<std::vector<Job>> SqliteJobStore::list_by_status(const std::vector<JobStatus>& statuses) {
  std::lock_guard lock(db_->mutex());
  std::vector<Job> out;
  for (auto status : statuses) {
    Stmt s(*db_, "SELECT doc FROM jobs WHERE status = ? ORDER BY id");
    s.bind(1, std::string(to_string(status)));
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
      auto job = parse_stored_job(s.text(0));
      if (!job) return job.error();
      out.push_back(std::move(*job));
    }
    if (rc != SQLITE_DONE) return db_->error("list jobs by status");
  }
  return out;
}

Result<std::map<JobStatus, std::int64_t>> SqliteJobStore::count_by_status(const std::vector<JobStatus>& only) {
  std::lock_guard lock(db_->mutex());
  std::map<JobStatus, std::int64_t> counts;
  for (int i = 0; i <= static_cast<int>(JobStatus::canceled); ++i) counts[static_cast<JobStatus>(i)] = 0;
  if (only.empty()) {
    Stmt s(*db_, "SELECT status, COUNT(*) FROM jobs GROUP BY status");
    while (s.step() == SQLITE_ROW)
      if (auto st = parse_status(s.text(0))) counts[*st] = s.integer(1);
    return counts;
  }
  // One count per status on the (status, id) index: reads only that status's entries.
  for (auto status : only) {
    Stmt s(*db_, "SELECT COUNT(*) FROM jobs WHERE status = ?");
    s.bind(1, std::string(to_string(status)));
    if (s.step() != SQLITE_ROW) return db_->error("count jobs");
    counts[status] = s.integer(0);
  }
  return counts;
}

Result<ChangeBatch> SqliteJobStore::changes_since(std::int64_t cursor, std::size_t limit) {
  std::lock_guard lock(db_->mutex());
  ChangeBatch batch;
  batch.cursor = cursor;
  batch.seqs.clear();
  if (cursor < 0) {
    Stmt h(*db_, "SELECT value FROM counters WHERE name = 'job_seq'");
    batch.cursor = h.step() == SQLITE_ROW ? h.integer(0) : 0;
    return batch;
  }
  std::int64_t data_version = -1;
  {
    Stmt v(*db_, "PRAGMA data_version");
    if (v.step() == SQLITE_ROW) data_version = v.integer(0);
  }
  if (cursor >= quiet_head_ && data_version == quiet_data_version_ && own_writes_ == quiet_own_writes_) return batch;
  Stmt s(*db_, "SELECT seq, doc FROM job_changes WHERE seq > ? ORDER BY seq LIMIT ?");
  s.bind(1, cursor).bind(2, static_cast<std::int64_t>(limit));
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    batch.cursor = s.integer(0);
    batch.seqs.push_back(batch.cursor);
    bool removed = false;
    auto job = parse_stored_job(s.text(1), &removed);
    if (!job) return job.error();
    batch.removed.push_back(removed);
    batch.jobs.push_back(std::move(*job));
  }
  if (rc != SQLITE_DONE) return db_->error("read changes");
  if (batch.jobs.empty()) {
    // Nothing newer: report the current head so a fresh subscriber starts from "now".
    Stmt h(*db_, "SELECT value FROM counters WHERE name = 'job_seq'");
    if (h.step() == SQLITE_ROW) batch.cursor = std::max(cursor, h.integer(0));
    if (data_version >= 0) {
      quiet_head_ = batch.cursor;
      quiet_data_version_ = data_version;
      quiet_own_writes_ = own_writes_;
    }
  }
  return batch;
}

SqliteJobStore::~SqliteJobStore() {
  sqlite3_finalize(watch_version_);
  if (watch_) sqlite3_close(watch_);
}

std::optional<std::uint64_t> SqliteJobStore::change_token() {
  std::lock_guard lock(watch_mutex_);
  if (!watch_version_) {
    if (watch_) return std::nullopt;  // opening it failed before: no token, nothing cached
    const char* file = sqlite3_db_filename(db_->handle(), "main");
    if (!file || !*file) return std::nullopt;  // in memory: no other connection sees it
    const int opened = sqlite3_open_v2(file, &watch_, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
    if (opened != SQLITE_OK ||
        sqlite3_prepare_v2(watch_, "PRAGMA data_version", -1, &watch_version_, nullptr) != SQLITE_OK)
      return std::nullopt;
  }
  std::optional<std::uint64_t> token;
  if (sqlite3_step(watch_version_) == SQLITE_ROW)
    token = static_cast<std::uint64_t>(sqlite3_column_int64(watch_version_, 0));
  sqlite3_reset(watch_version_);
  return token;
}

}  // namespace chronicle::sqlite
