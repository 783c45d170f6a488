#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>

#include "core/ports.hpp"
#include "store/sqlite/db.hpp"

namespace chronicle::sqlite {

// An SQS-like queue in SQLite: visibility timeout, receive count, dead-lettering after
// `max_receives` deliveries, deduplication while a message with the same id is queued.
class SqliteJobQueue final : public JobQueue {
 public:
  static Result<std::unique_ptr<SqliteJobQueue>> open(std::shared_ptr<Db> db, int max_receives);

  Result<Ok> send(const std::string& job_id, const std::string& dedup_id) override;
  Result<std::optional<QueueMessage>> receive(std::chrono::seconds visibility, std::chrono::milliseconds wait) override;
  Result<Ok> ack(const QueueMessage& message) override;
  Result<Ok> extend_visibility(const QueueMessage& message, std::chrono::seconds visibility) override;
  Result<std::vector<QueueMessage>> take_dead_letters() override;

 private:
  SqliteJobQueue(std::shared_ptr<Db> db, int max_receives) : db_(std::move(db)), max_receives_(max_receives) {}
  Result<std::optional<QueueMessage>> try_receive(std::chrono::seconds visibility);
  std::shared_ptr<Db> db_;
  int max_receives_;
  std::atomic<std::uint64_t> sent_{0};  // sends by this process, to wake a waiting receive
  std::mutex wake_mutex_;
  std::condition_variable wake_;
};

}  // namespace chronicle::sqlite
