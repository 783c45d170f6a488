// The port contracts (tests/contract) for the AWS adapters against a real moto_server: the same
// behaviours the embedded adapters show, written once.
#include "blob/s3/s3_object_store.hpp"
#include "contract/channel_store_contract.hpp"
#include "contract/job_queue_contract.hpp"
#include "contract/job_store_contract.hpp"
#include "contract/object_store_contract.hpp"
#include "contract/webhook_store_contract.hpp"
#include "integration/moto.hpp"
#include "queue/sqs/sqs_job_queue.hpp"
#include "store/dynamodb/dynamodb_channel_store.hpp"
#include "store/dynamodb/dynamodb_job_store.hpp"
#include "store/dynamodb/dynamodb_webhook_store.hpp"

namespace chronicle::contract {
namespace {

using test_support::MotoServer;

std::string unique_tag() {
  std::string tag = new_job_id().substr(16);
  std::transform(tag.begin(), tag.end(), tag.begin(), ::tolower);
  return tag;
}

struct DynamoStores {
  // moto, not DynamoDB: see contract/race.hpp.
  static constexpr bool kSerialConditionalWrites = true;
  dynamodb::TableOptions options;
  DynamoStores() {
    options.table = "jobs-" + unique_tag();
    auto made = dynamodb::DynamoJobStore::provision(aws::Client(MotoServer::settings()), options);
    EXPECT_TRUE(made.ok()) << made.error().message;
  }
  std::unique_ptr<JobStore> open() {
    return std::make_unique<dynamodb::DynamoJobStore>(aws::Client(MotoServer::settings()), options);
  }
};
INSTANTIATE_TYPED_TEST_SUITE_P(Aws, JobStoreContract, DynamoStores);

// Channels share the jobs' table.
struct DynamoChannels : DynamoStores {
  std::unique_ptr<ChannelStore> open() {
    return std::make_unique<dynamodb::DynamoChannelStore>(aws::Client(MotoServer::settings()), options);
  }
};
INSTANTIATE_TYPED_TEST_SUITE_P(Aws, ChannelStoreContract, DynamoChannels);

// Webhooks and their outbox share it too, on its existing indexes.
struct DynamoWebhooks : DynamoStores {
  std::unique_ptr<WebhookStore> open() {
    return std::make_unique<dynamodb::DynamoWebhookStore>(aws::Client(MotoServer::settings()), options);
  }
};
INSTANTIATE_TYPED_TEST_SUITE_P(Aws, WebhookStoreContract, DynamoWebhooks);

struct SqsQueues {
  std::unique_ptr<JobQueue> open(int max_receives) {
    sqs::QueueNames names;
    const auto tag = unique_tag();
    names.queue = "jobs-" + tag + ".fifo";
    names.dead_letters = "jobs-dlq-" + tag + ".fifo";
    aws::Client client(MotoServer::settings());
    auto made = sqs::SqsJobQueue::provision(client, names, max_receives, 60);
    EXPECT_TRUE(made.ok()) << made.error().message;
    return std::move(*sqs::SqsJobQueue::open(client, names, max_receives));
  }
};
INSTANTIATE_TYPED_TEST_SUITE_P(Aws, JobQueueContract, SqsQueues);

struct S3Objects {
  std::unique_ptr<ObjectStore> open() {
    blob::S3Options o;
    o.bucket = "chronicle-" + unique_tag();
    auto store = std::make_unique<blob::S3ObjectStore>(aws::Client(MotoServer::settings()), o);
    auto made = store->create_bucket();
    EXPECT_TRUE(made.ok()) << made.error().message;
    return store;
  }
};
INSTANTIATE_TYPED_TEST_SUITE_P(Aws, ObjectStoreContract, S3Objects);

}  // namespace
}  // namespace chronicle::contract
