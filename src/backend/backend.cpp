#include "backend/backend.hpp"

#include "blob/fs/fs_object_store.hpp"
#include "queue/sqlite/sqlite_job_queue.hpp"
#include "store/sqlite/sqlite_job_store.hpp"

namespace chronicle {

Result<Backend> open_backend(const Config& config) {
  if (config.backend != "embedded")
    return make_error("unsupported_backend", "backend '" + config.backend + "' is not available in this build");
  auto db = sqlite::Db::open(config.db_path());
  if (!db) return db.error();
  auto store = sqlite::SqliteJobStore::open(*db);
  if (!store) return store.error();
  auto queue = sqlite::SqliteJobQueue::open(*db, config.max_receive_count);
  if (!queue) return queue.error();
  Backend b;
  b.store = std::move(store.value());
  b.queue = std::move(queue.value());
  b.objects = std::make_unique<blob::FsObjectStore>(config.recordings_dir());
  return b;
}

}  // namespace chronicle
