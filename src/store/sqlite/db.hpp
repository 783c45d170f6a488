#pragma once
// A thin RAII layer over the SQLite C API: one connection, prepared statements, immediate
// transactions. Several processes (serve and its recorders) share the file in WAL mode.
#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace chronicle::sqlite {

// A storage_error of the kind the SQLite result code says: busy, locked, full or I/O failures are
// `unavailable` (retry later), anything else `internal`.
Error error_for(int sqlite_code, const std::string& message);

class Db {
 public:
  static Result<std::shared_ptr<Db>> open(const std::filesystem::path& path);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  sqlite3* handle() { return db_; }
  std::mutex& mutex() { return mutex_; }
  Result<Ok> exec(const std::string& sql);
  Error error(const std::string& context) const;

  // Prepared statements are kept for reuse by their SQL text: parsing and planning costs more
  // than running the small statements chronicle makes all the time (the queue's poll twice a
  // second, a heartbeat per recording every few seconds). A statement is used by one Stmt at a
  // time; it comes back reset, so it holds no read transaction while it waits.
  sqlite3_stmt* checkout(const char* sql, int* rc);
  void checkin(sqlite3_stmt* stmt);

 private:
  explicit Db(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::mutex mutex_;
  std::mutex cache_mutex_;
  std::map<std::string, std::vector<sqlite3_stmt*>, std::less<>> cache_;
  std::size_t cached_ = 0;
};

class Stmt {
 public:
  Stmt(Db& db, const char* sql);
  ~Stmt();
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  bool ok() const { return stmt_ != nullptr; }
  Stmt& bind(int index, const std::string& value);
  Stmt& bind(int index, std::int64_t value);
  Stmt& bind(int index, double value);
  Stmt& bind_null(int index);
  int step();  // SQLITE_ROW, SQLITE_DONE or an error code
  std::string text(int column) const;
  std::int64_t integer(int column) const;
  double real(int column) const;
  bool is_null(int column) const;

 private:
  Db* db_;
  sqlite3_stmt* stmt_ = nullptr;
  int prepared_ = SQLITE_OK;  // what preparing said; step() reports it when it failed
};

// BEGIN IMMEDIATE takes the write lock up front, so a read-then-write cannot be raced by
// another process between the read and the write.
class Transaction {
 public:
  explicit Transaction(Db& db);
  ~Transaction();
  bool began() const { return began_; }
  Result<Ok> commit();

 private:
  Db& db_;
  bool began_ = false;
  bool done_ = false;
};

}  // namespace chronicle::sqlite
