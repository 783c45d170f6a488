#include "queue/sqlite/sqlite_job_queue.hpp"

#include <random>
#include <thread>

namespace chronicle::sqlite {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS queue (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id        TEXT NOT NULL,
  dedup_id      TEXT NOT NULL UNIQUE,
  visible_at    INTEGER NOT NULL,
  receive_count INTEGER NOT NULL DEFAULT 0,
  receipt       TEXT,
  dead          INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS queue_visible ON queue(dead, visible_at, id);
)sql";

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string new_receipt() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::to_string(rng()) + "-" + std::to_string(rng());
}

}  // namespace

Result<std::unique_ptr<SqliteJobQueue>> SqliteJobQueue::open(std::shared_ptr<Db> db, int max_receives) {
  std::lock_guard lock(db->mutex());
  auto r = db->exec(kSchema);
  if (!r) return r.error();
  return std::unique_ptr<SqliteJobQueue>(new SqliteJobQueue(std::move(db), max_receives));
}

Result<Ok> SqliteJobQueue::send(const std::string& job_id, const std::string& dedup_id) {
  {
    std::lock_guard lock(db_->mutex());
    Stmt s(*db_, "INSERT OR IGNORE INTO queue(job_id, dedup_id, visible_at) VALUES (?, ?, ?)");
    s.bind(1, job_id).bind(2, dedup_id).bind(3, now_ms());
    if (s.step() != SQLITE_DONE) return db_->error("enqueue");
  }
  {
    std::lock_guard lock(wake_mutex_);
    ++sent_;
  }
  wake_.notify_all();
  return Ok{};
}

Result<std::optional<QueueMessage>> SqliteJobQueue::try_receive(std::chrono::seconds visibility) {
  std::lock_guard lock(db_->mutex());
  Transaction tx(*db_);
  if (!tx.began()) return db_->error("begin");
  for (;;) {
    Stmt s(*db_, "SELECT id, job_id, receive_count FROM queue WHERE dead = 0 AND visible_at <= ? ORDER BY id LIMIT 1");
    s.bind(1, now_ms());
    const int rc = s.step();
    if (rc == SQLITE_DONE) {
      auto c = tx.commit();  // keeps any dead-lettering done above
      if (!c) return c.error();
      return std::optional<QueueMessage>();
    }
    if (rc != SQLITE_ROW) return db_->error("receive");
    const std::int64_t id = s.integer(0);
    QueueMessage m{s.text(1), new_receipt(), static_cast<int>(s.integer(2)) + 1};
    if (m.receive_count > max_receives_) {
      // Like SQS, a dead letter counts the delivery it was refused.
      Stmt dead(*db_, "UPDATE queue SET dead = 1, receive_count = ? WHERE id = ?");
      dead.bind(1, static_cast<std::int64_t>(m.receive_count)).bind(2, id);
      if (dead.step() != SQLITE_DONE) return db_->error("dead-letter");
      continue;
    }
    Stmt upd(*db_, "UPDATE queue SET visible_at = ?, receive_count = ?, receipt = ? WHERE id = ?");
    upd.bind(1, now_ms() + visibility.count() * 1000).bind(2, static_cast<std::int64_t>(m.receive_count));
    upd.bind(3, m.receipt).bind(4, id);
    if (upd.step() != SQLITE_DONE) return db_->error("receive");
    auto c = tx.commit();
    if (!c) return c.error();
    return std::optional<QueueMessage>(m);
  }
}

Result<std::optional<QueueMessage>> SqliteJobQueue::receive(std::chrono::seconds visibility,
                                                            std::chrono::milliseconds wait) {
  // Long polling: a send from this process (serve takes every submit) wakes the receiver at once;
  // a message from elsewhere (another process, a lease running out) is seen by the next try, at
  // the end of the wait.
  const auto deadline = std::chrono::steady_clock::now() + wait;
  for (;;) {
    const auto seen = sent_.load();
    auto m = try_receive(visibility);
    if (!m || m->has_value() || std::chrono::steady_clock::now() >= deadline) return m;
    std::unique_lock lock(wake_mutex_);
    wake_.wait_until(lock, deadline, [&] { return sent_.load() != seen; });
  }
}

Result<Ok> SqliteJobQueue::ack(const QueueMessage& message) {
  std::lock_guard lock(db_->mutex());
  Stmt s(*db_, "DELETE FROM queue WHERE receipt = ?");
  s.bind(1, message.receipt);
  if (s.step() != SQLITE_DONE) return db_->error("ack");
  return Ok{};
}

Result<Ok> SqliteJobQueue::extend_visibility(const QueueMessage& message, std::chrono::seconds visibility) {
  std::lock_guard lock(db_->mutex());
  Stmt s(*db_, "UPDATE queue SET visible_at = ? WHERE receipt = ?");
  s.bind(1, now_ms() + visibility.count() * 1000).bind(2, message.receipt);
  if (s.step() != SQLITE_DONE) return db_->error("extend visibility");
  return Ok{};
}

Result<std::vector<QueueMessage>> SqliteJobQueue::take_dead_letters() {
  std::lock_guard lock(db_->mutex());
  Transaction tx(*db_);
  if (!tx.began()) return db_->error("begin");
  std::vector<QueueMessage> out;
  {
    Stmt s(*db_, "SELECT job_id, receive_count FROM queue WHERE dead = 1 ORDER BY id");
    while (s.step() == SQLITE_ROW) out.push_back(QueueMessage{s.text(0), "", static_cast<int>(s.integer(1))});
  }
  if (!out.empty()) {
    auto r = db_->exec("DELETE FROM queue WHERE dead = 1");
    if (!r) return r.error();
  }
  auto c = tx.commit();
  if (!c) return c.error();
  return out;
}

}  // namespace chronicle::sqlite
