#include "store/sqlite/sqlite_webhook_store.hpp"

namespace chronicle::sqlite {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS webhooks (
  id         TEXT PRIMARY KEY,
  url        TEXT NOT NULL,
  events     TEXT NOT NULL,
  format     TEXT NOT NULL,
  secret     TEXT NOT NULL,
  created_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS webhook_deliveries (
  id           TEXT PRIMARY KEY,
  webhook_id   TEXT NOT NULL,
  event        TEXT NOT NULL,
  body         TEXT NOT NULL,
  state        TEXT NOT NULL,
  attempts     INTEGER NOT NULL,
  created_ms   INTEGER NOT NULL,
  next_ms      INTEGER NOT NULL,
  delivered_ms INTEGER,
  last_status  INTEGER NOT NULL,
  last_error   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS webhook_deliveries_due ON webhook_deliveries(next_ms) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS webhook_deliveries_recent ON webhook_deliveries(webhook_id, created_ms);
CREATE TABLE IF NOT EXISTS webhook_cursor (
  name   TEXT PRIMARY KEY,
  cursor INTEGER NOT NULL
);
)sql";

Webhook webhook_from(const Stmt& s) {
  Webhook w;
  w.id = s.text(0);
  w.url = s.text(1);
  const auto events = nlohmann::json::parse(s.text(2), nullptr, false);
  if (events.is_array())
    for (const auto& e : events)
      if (e.is_string()) w.events.push_back(e.get<std::string>());
  w.format = parse_webhook_format(s.text(3)).value_or(WebhookFormat::json);
  w.secret = s.text(4);
  w.created_at = from_epoch_ms(s.integer(5));
  return w;
}

constexpr const char* kDeliveryColumns =
    "id, webhook_id, event, body, state, attempts, created_ms, next_ms, delivered_ms, last_status, last_error";

Delivery delivery_from(const Stmt& s) {
  Delivery d;
  d.id = s.text(0);
  d.webhook_id = s.text(1);
  d.event = s.text(2);
  d.body = s.text(3);
  const std::string state = s.text(4);
  d.state = state == "delivered" ? DeliveryState::delivered
            : state == "failed"  ? DeliveryState::failed
                                 : DeliveryState::pending;
  d.attempts = static_cast<int>(s.integer(5));
  d.created_at = from_epoch_ms(s.integer(6));
  d.next_attempt_at = from_epoch_ms(s.integer(7));
  if (!s.is_null(8)) d.delivered_at = from_epoch_ms(s.integer(8));
  d.last_status = static_cast<int>(s.integer(9));
  d.last_error = s.text(10);
  return d;
}

}  // namespace

Result<std::unique_ptr<SqliteWebhookStore>> SqliteWebhookStore::open(std::shared_ptr<Db> db) {
  std::lock_guard lock(db->mutex());
  auto r = db->exec(kSchema);
  if (!r) return r.error();
  return std::unique_ptr<SqliteWebhookStore>(new SqliteWebhookStore(std::move(db)));
}

Result<Webhook> SqliteWebhookStore::create(const Webhook& w) {
  std::lock_guard lock(db_->mutex());
  Stmt s(*db_, "INSERT INTO webhooks(id, url, events, format, secret, created_ms) VALUES (?, ?, ?, ?, ?, ?)");
  s.bind(1, w.id)
      .bind(2, w.url)
      .bind(3, nlohmann::json(w.events).dump())
      .bind(4, std::string(to_string(w.format)))
      .bind(5, w.secret)
      .bind(6, to_epoch_ms(w.created_at));
  if (s.step() != SQLITE_DONE) return db_->error("insert webhook");
  return w;
}

Result<std::vector<Webhook>> SqliteWebhookStore::list() {
  std::lock_guard lock(db_->mutex());
  Stmt s(*db_, "SELECT id, url, events, format, secret, created_ms FROM webhooks ORDER BY id");
  std::vector<Webhook> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) out.push_back(webhook_from(s));
  if (rc != SQLITE_DONE) return db_->error("list webhooks");
  return out;
}

Result<std::optional<Webhook>> SqliteWebhookStore::get(const std::string& id) {
  std::lock_guard lock(db_->mutex());
  Stmt s(*db_, "SELECT id, url, events, format, secret, created_ms FROM webhooks WHERE id = ?");
  s.bind(1, id);
  const int rc = s.step();
  if (rc == SQLITE_DONE) return std::optional<Webhook>();
  if (rc != SQLITE_ROW) return db_->error("read webhook");
  return std::optional<Webhook>(webhook_from(s));
}

Result<bool> SqliteWebhookStore::remove(const std::string& id) {
  std::lock_guard lock(db_->mutex());
  Transaction t(*db_);
  Stmt d(*db_, "DELETE FROM webhook_deliveries WHERE webhook_id = ?");
  d.bind(1, id);
  if (d.step() != SQLITE_DONE) return db_->error("delete deliveries");
  Stmt s(*db_, "DELETE FROM webhooks WHERE id = ?");
  s.bind(1, id);
  if (s.step() != SQLITE_DONE) return db_->error("delete webhook");
  const bool removed = sqlite3_changes(db_->handle()) == 1;
  if (auto c = t.commit(); !c) return c.error();
  return removed;
}

Result<bool> SqliteWebhookStore::enqueue(const Delivery& d) {
  std::lock_guard lock(db_->mutex());
  Stmt s(*db_,
         "INSERT INTO webhook_deliveries(id, webhook_id, event, body, state, attempts, created_ms, next_ms, "
         "delivered_ms, last_status, last_error) VALUES (?, ?, ?, ?, 'pending', 0, ?, ?, NULL, 0, '') "
         "ON CONFLICT DO NOTHING");
  s.bind(1, d.id)
      .bind(2, d.webhook_id)
      .bind(3, d.event)
      .bind(4, d.body)
      .bind(5, to_epoch_ms(d.created_at))
      .bind(6, to_epoch_ms(d.next_attempt_at));
  if (s.step() != SQLITE_DONE) return db_->error("queue delivery");
  return sqlite3_changes(db_->handle()) == 1;
}

Result<std::vector<Delivery>> SqliteWebhookStore::due(TimePoint at, std::size_t limit) {
  std::lock_guard lock(db_->mutex());
  Stmt s(*db_, (std::string("SELECT ") + kDeliveryColumns +
                " FROM webhook_deliveries WHERE state = 'pending' AND next_ms <= ? ORDER BY next_ms LIMIT ?")
                   .c_str());
  s.bind(1, to_epoch_ms(at)).bind(2, static_cast<std::int64_t>(limit));
  std::vector<Delivery> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) out.push_back(delivery_from(s));
  if (rc != SQLITE_DONE) return db_->error("list due deliveries");
  return out;
}

Result<bool> SqliteWebhookStore::claim(Delivery& d, TimePoint lease_until) {
  std::lock_guard lock(db_->mutex());
  Stmt s(*db_,
         "UPDATE webhook_deliveries SET next_ms = ? WHERE id = ? AND state = 'pending' AND attempts = ? AND "
         "next_ms = ?");
  s.bind(1, to_epoch_ms(lease_until))
      .bind(2, d.id)
      .bind(3, static_cast<std::int64_t>(d.attempts))
      .bind(4, to_epoch_ms(d.next_attempt_at));
  if (s.step() != SQLITE_DONE) return db_->error("claim delivery");
  if (sqlite3_changes(db_->handle()) != 1) return false;
  d.next_attempt_at = lease_until;
  return true;
}

Result<Ok> SqliteWebhookStore::update(const Delivery& d) {
  std::lock_guard lock(db_->mutex());
  Stmt s(*db_,
         "UPDATE webhook_deliveries SET state = ?, attempts = ?, next_ms = ?, delivered_ms = ?, last_status = ?, "
         "last_error = ? WHERE id = ?");
  s.bind(1, std::string(to_string(d.state)))
      .bind(2, static_cast<std::int64_t>(d.attempts))
      .bind(3, to_epoch_ms(d.next_attempt_at));
  if (d.delivered_at)
    s.bind(4, to_epoch_ms(*d.delivered_at));
  else
    s.bind_null(4);
  s.bind(5, static_cast<std::int64_t>(d.last_status)).bind(6, d.last_error).bind(7, d.id);
  if (s.step() != SQLITE_DONE) return db_->error("update delivery");
  return Ok{};
}

Result<std::vector<Delivery>> SqliteWebhookStore::recent(const std::string& webhook_id, std::size_t limit) {
  std::lock_guard lock(db_->mutex());
  Stmt s(*db_, (std::string("SELECT ") + kDeliveryColumns +
                " FROM webhook_deliveries WHERE webhook_id = ? ORDER BY created_ms DESC, id DESC LIMIT ?")
                   .c_str());
  s.bind(1, webhook_id).bind(2, static_cast<std::int64_t>(limit));
  std::vector<Delivery> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) out.push_back(delivery_from(s));
  if (rc != SQLITE_DONE) return db_->error("list deliveries");
  return out;
}

Result<std::size_t> SqliteWebhookStore::prune(TimePoint ended_before) {
  std::lock_guard lock(db_->mutex());
  // An ended delivery's last attempt is its next_ms (delivered_ms for one that arrived).
  Stmt s(*db_, "DELETE FROM webhook_deliveries WHERE state != 'pending' AND coalesce(delivered_ms, next_ms) < ?");
  s.bind(1, to_epoch_ms(ended_before));
  if (s.step() != SQLITE_DONE) return db_->error("prune deliveries");
  return static_cast<std::size_t>(sqlite3_changes(db_->handle()));
}

Result<std::optional<std::int64_t>> SqliteWebhookStore::feed_cursor() {
  std::lock_guard lock(db_->mutex());
  Stmt s(*db_, "SELECT cursor FROM webhook_cursor WHERE name = 'jobs'");
  const int rc = s.step();
  if (rc == SQLITE_DONE) return std::optional<std::int64_t>();
  if (rc != SQLITE_ROW) return db_->error("read webhook cursor");
  return std::optional<std::int64_t>(s.integer(0));
}

Result<Ok> SqliteWebhookStore::set_feed_cursor(std::int64_t cursor) {
  std::lock_guard lock(db_->mutex());
  Stmt s(*db_,
         "INSERT INTO webhook_cursor(name, cursor) VALUES ('jobs', ?) ON CONFLICT(name) DO UPDATE SET cursor = "
         "max(cursor, excluded.cursor)");
  s.bind(1, cursor);
  if (s.step() != SQLITE_DONE) return db_->error("write webhook cursor");
  return Ok{};
}

}  // namespace chronicle::sqlite
