// The port contracts (tests/contract) for the embedded adapters (a SQLite file, a directory) and
// for the in-memory fakes the core's unit tests use, so the fakes behave as the adapters do.
#include "blob/fs/fs_object_store.hpp"
#include "contract/channel_store_contract.hpp"
#include "contract/job_queue_contract.hpp"
#include "contract/job_store_contract.hpp"
#include "contract/object_store_contract.hpp"
#include "contract/webhook_store_contract.hpp"
#include "fakes/memory_ports.hpp"
#include "queue/sqlite/sqlite_job_queue.hpp"
#include "store/sqlite/sqlite_channel_store.hpp"
#include "store/sqlite/sqlite_job_store.hpp"
#include "store/sqlite/sqlite_webhook_store.hpp"
#include "temp_dir.hpp"

namespace chronicle::contract {
namespace {

struct SqliteStores {
  test_support::TempDir dir;
  std::vector<std::shared_ptr<sqlite::Db>> dbs;
  std::unique_ptr<JobStore> open() {  // each connection its own Db, as separate processes would have
    dbs.push_back(*sqlite::Db::open(dir.path / "jobs.db"));
    return std::move(*sqlite::SqliteJobStore::open(dbs.back()));
  }
};
struct MemoryStores {
  std::shared_ptr<fakes::JobTable> table = std::make_shared<fakes::JobTable>();
  std::unique_ptr<JobStore> open() { return std::make_unique<fakes::MemoryJobStore>(table); }
};
using StoreBackends = ::testing::Types<SqliteStores, MemoryStores>;
INSTANTIATE_TYPED_TEST_SUITE_P(Local, JobStoreContract, StoreBackends);

struct SqliteQueues {
  test_support::TempDir dir;
  std::unique_ptr<JobQueue> open(int max_receives) {
    return std::move(*sqlite::SqliteJobQueue::open(*sqlite::Db::open(dir.path / "queue.db"), max_receives));
  }
};
struct MemoryQueues {
  std::unique_ptr<JobQueue> open(int max_receives) { return std::make_unique<fakes::MemoryJobQueue>(max_receives); }
};
using QueueBackends = ::testing::Types<SqliteQueues, MemoryQueues>;
INSTANTIATE_TYPED_TEST_SUITE_P(Local, JobQueueContract, QueueBackends);

struct DirectoryObjects {
  test_support::TempDir dir;
  std::unique_ptr<ObjectStore> open() { return std::make_unique<blob::FsObjectStore>(dir.path); }
};
struct MemoryObjects {
  std::unique_ptr<ObjectStore> open() { return std::make_unique<fakes::MemoryObjectStore>(); }
};
using ObjectBackends = ::testing::Types<DirectoryObjects, MemoryObjects>;
INSTANTIATE_TYPED_TEST_SUITE_P(Local, ObjectStoreContract, ObjectBackends);

struct SqliteChannels {
  test_support::TempDir dir;
  std::vector<std::shared_ptr<sqlite::Db>> dbs;
  std::unique_ptr<ChannelStore> open() {
    dbs.push_back(*sqlite::Db::open(dir.path / "jobs.db"));
    return std::move(*sqlite::SqliteChannelStore::open(dbs.back()));
  }
};
struct MemoryChannels {
  std::shared_ptr<fakes::ChannelTable> table = std::make_shared<fakes::ChannelTable>();
  std::unique_ptr<ChannelStore> open() { return std::make_unique<fakes::MemoryChannelStore>(table); }
};
using ChannelBackends = ::testing::Types<SqliteChannels, MemoryChannels>;
INSTANTIATE_TYPED_TEST_SUITE_P(Local, ChannelStoreContract, ChannelBackends);

struct SqliteWebhooks {
  test_support::TempDir dir;
  std::vector<std::shared_ptr<sqlite::Db>> dbs;
  std::unique_ptr<WebhookStore> open() {
    dbs.push_back(*sqlite::Db::open(dir.path / "jobs.db"));
    return std::move(*sqlite::SqliteWebhookStore::open(dbs.back()));
  }
};
INSTANTIATE_TYPED_TEST_SUITE_P(Local, WebhookStoreContract, SqliteWebhooks);

}  // namespace
}  // namespace chronicle::contract
