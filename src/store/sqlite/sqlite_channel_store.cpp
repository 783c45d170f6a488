#include "store/sqlite/sqlite_channel_store.hpp"

namespace chronicle::sqlite {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS channels (
  id      TEXT PRIMARY KEY,
  url     TEXT NOT NULL UNIQUE,
  version INTEGER NOT NULL,
  doc     TEXT NOT NULL
);
)sql";

}  // namespace

Result<std::unique_ptr<SqliteChannelStore>> SqliteChannelStore::open(std::shared_ptr<Db> db) {
  std::lock_guard lock(db->mutex());
  auto r = db->exec(kSchema);
  if (!r) return r.error();
  return std::unique_ptr<SqliteChannelStore>(new SqliteChannelStore(std::move(db)));
}

Result<Channel> SqliteChannelStore::create(const Channel& channel) {
  std::lock_guard lock(db_->mutex());
  Channel stored = channel;
  stored.version = 1;
  Stmt s(*db_, "INSERT INTO channels(id, url, version, doc) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING");
  s.bind(1, stored.id).bind(2, stored.url).bind(3, stored.version).bind(4, to_storage_json(stored).dump());
  if (s.step() != SQLITE_DONE) return db_->error("insert channel");
  if (sqlite3_changes(db_->handle()) != 1) {
    Stmt existing(*db_, "SELECT id FROM channels WHERE url = ?");
    existing.bind(1, stored.url);
    const std::string id = existing.step() == SQLITE_ROW ? existing.text(0) : std::string("?");
    return Error{"conflict", "channel " + id + " already watches " + stored.url, ErrorKind::conflict};
  }
  return stored;
}

Result<std::optional<Channel>> SqliteChannelStore::get(const std::string& id) {
  std::lock_guard lock(db_->mutex());
  Stmt s(*db_, "SELECT doc, version FROM channels WHERE id = ?");
  s.bind(1, id);
  const int rc = s.step();
  if (rc == SQLITE_DONE) return std::optional<Channel>();
  if (rc != SQLITE_ROW) return db_->error("read channel");
  auto c = parse_stored_channel(s.text(0));
  if (!c) return c.error();
  c->version = s.integer(1);
  return std::optional<Channel>(std::move(*c));
}

Result<std::vector<Channel>> SqliteChannelStore::list() {
  std::lock_guard lock(db_->mutex());
  Stmt s(*db_, "SELECT doc, version FROM channels ORDER BY id");
  std::vector<Channel> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    auto c = parse_stored_channel(s.text(0));
    if (!c) return c.error();
    c->version = s.integer(1);
    out.push_back(std::move(*c));
  }
  if (rc != SQLITE_DONE) return db_->error("list channels");
  return out;
}

Result<bool> SqliteChannelStore::replace_if_version(Channel& channel) {
  std::lock_guard lock(db_->mutex());
  Channel stored = channel;
  stored.version = channel.version + 1;
  Stmt s(*db_, "UPDATE channels SET version = ?, doc = ? WHERE id = ? AND version = ?");
  s.bind(1, stored.version).bind(2, to_storage_json(stored).dump()).bind(3, stored.id).bind(4, channel.version);
  if (s.step() != SQLITE_DONE) return db_->error("update channel");
  if (sqlite3_changes(db_->handle()) != 1) return false;
  channel.version = stored.version;
  return true;
}

Result<bool> SqliteChannelStore::remove(const std::string& id) {
  std::lock_guard lock(db_->mutex());
  Stmt s(*db_, "DELETE FROM channels WHERE id = ?");
  s.bind(1, id);
  if (s.step() != SQLITE_DONE) return db_->error("delete channel");
  return sqlite3_changes(db_->handle()) == 1;
}

}  // namespace chronicle::sqlite
