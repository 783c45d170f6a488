#include "store/sqlite/db.hpp"

namespace chronicle::sqlite {

Result<std::shared_ptr<Db>> Db::open(const std::filesystem::path& path) {
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    if (raw) sqlite3_close(raw);
    return error_for(rc, "cannot open database " + path.string() + ": " + msg);
  }
  std::shared_ptr<Db> db(new Db(raw));
  sqlite3_busy_timeout(raw, 5000);  // then the caller hears "busy" (503, retry)
  for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON"}) {
    auto r = db->exec(pragma);
    if (!r) return r.error();
  }
  return db;
}

Db::~Db() {
  for (auto& [sql, stmts] : cache_)
    for (auto* stmt : stmts) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

sqlite3_stmt* Db::checkout(const char* sql, int* rc) {
  {
    std::lock_guard lock(cache_mutex_);
    if (auto it = cache_.find(std::string_view(sql)); it != cache_.end() && !it->second.empty()) {
      sqlite3_stmt* stmt = it->second.back();
      it->second.pop_back();
      --cached_;
      *rc = SQLITE_OK;
      return stmt;
    }
  }
  sqlite3_stmt* stmt = nullptr;
  *rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  return stmt;
}

void Db::checkin(sqlite3_stmt* stmt) {
  if (!stmt) return;
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  // Statements built with changing text (a list's filters) are not worth keeping without bound.
  constexpr std::size_t kMostKept = 256;
  {
    std::lock_guard lock(cache_mutex_);
    if (cached_ < kMostKept) {
      cache_[sqlite3_sql(stmt)].push_back(stmt);
      ++cached_;
      return;
    }
  }
  sqlite3_finalize(stmt);
}

Result<Ok> Db::exec(const std::string& sql) {
  char* err = nullptr;
  if (const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err); rc != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return error_for(rc, "database: " + msg);
  }
  return Ok{};
}

Error Db::error(const std::string& context) const {
  return error_for(sqlite3_extended_errcode(db_), context + ": " + sqlite3_errmsg(db_));
}

Error error_for(int sqlite_code, const std::string& message) {
  switch (sqlite_code & 0xff) {
    case SQLITE_BUSY:
      return make_error(ErrorKind::unavailable, "storage_error",
                        message + " (the database is locked by another process; try again)");
    case SQLITE_LOCKED:
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_NOMEM:
      return make_error(ErrorKind::unavailable, "storage_error", message);
    default:
      return make_error(ErrorKind::internal, "storage_error", message);
  }
}

Stmt::Stmt(Db& db, const char* sql) : db_(&db) { stmt_ = db.checkout(sql, &prepared_); }
Stmt::~Stmt() { db_->checkin(stmt_); }

Stmt& Stmt::bind(int i, const std::string& v) {
  sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}
Stmt& Stmt::bind(int i, std::int64_t v) {
  sqlite3_bind_int64(stmt_, i, v);
  return *this;
}
Stmt& Stmt::bind(int i, double v) {
  sqlite3_bind_double(stmt_, i, v);
  return *this;
}
Stmt& Stmt::bind_null(int i) {
  sqlite3_bind_null(stmt_, i);
  return *this;
}
int Stmt::step() {
  if (prepared_ != SQLITE_OK) return prepared_;
  return stmt_ ? sqlite3_step(stmt_) : SQLITE_MISUSE;
}
std::string Stmt::text(int c) const {
  const auto* p = sqlite3_column_text(stmt_, c);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(stmt_, c)))
           : std::string();
}
std::int64_t Stmt::integer(int c) const { return sqlite3_column_int64(stmt_, c); }
double Stmt::real(int c) const { return sqlite3_column_double(stmt_, c); }
bool Stmt::is_null(int c) const { return sqlite3_column_type(stmt_, c) == SQLITE_NULL; }

Transaction::Transaction(Db& db) : db_(db) { began_ = static_cast<bool>(db_.exec("BEGIN IMMEDIATE")); }
Transaction::~Transaction() {
  // A rollback that fails leaves nothing behind either: SQLite rolls back a transaction whose
  // connection cannot finish it.
  if (began_ && !done_) (void)db_.exec("ROLLBACK");
}
Result<Ok> Transaction::commit() {
  done_ = true;
  return db_.exec("COMMIT");
}

}  // namespace chronicle::sqlite
