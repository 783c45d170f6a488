#include "backend/backend.hpp"

#include "backend/sealed_webhooks.hpp"
#include "blob/cookie_stores.hpp"
#include "blob/fs/fs_object_store.hpp"
#include "blob/s3/s3_object_store.hpp"
#include "queue/sqlite/sqlite_job_queue.hpp"
#include "queue/sqs/sqs_job_queue.hpp"
#include "store/dynamodb/dynamodb_channel_store.hpp"
#include "store/dynamodb/dynamodb_job_store.hpp"
#include "store/dynamodb/dynamodb_webhook_store.hpp"
#include "store/sqlite/sqlite_channel_store.hpp"
#include "store/sqlite/sqlite_job_store.hpp"
#include "store/sqlite/sqlite_webhook_store.hpp"
#include "sys/sealed.hpp"

namespace chronicle {

namespace {

// The key (raw bytes) that seals cookies and webhook secrets; empty without one. validate() has
// checked its form.
std::string seal_key(const Config& config) {
  if (config.cookies_key.empty()) return {};
  auto key = sys::parse_seal_key(config.cookies_key);
  return key ? *key : std::string();
}

std::unique_ptr<CookieStore> sealed_cookies(const Config& config, std::unique_ptr<CookieStore> store,
                                            bool key_required) {
  return std::make_unique<blob::SealedCookieStore>(std::move(store), seal_key(config), key_required);
}

// DynamoDB jobs, SQS FIFO queue, S3 objects; credentials, region and endpoint from AWS_*.
Result<Backend> open_aws(const Config& config) {
  const auto settings = aws::Settings::from_environment();
  if (!settings.has_credentials())
    return make_error("invalid_config",
                      "the aws backend needs credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or "
                      "the ECS container credentials endpoint (AWS_CONTAINER_CREDENTIALS_*)");
  auto queue = sqs::SqsJobQueue::open(aws::Client(settings), {config.sqs_queue, config.sqs_dead_letter_queue},
                                      config.max_receive_count);
  if (!queue) return queue.error();
  blob::S3Options s3;
  s3.bucket = config.s3_bucket;
  s3.path_style = config.s3_addressing == S3Addressing::path ||
                  (config.s3_addressing == S3Addressing::automatic && !settings.endpoint.empty());
  Backend b;
  b.store = std::make_unique<dynamodb::DynamoJobStore>(
      aws::Client(settings), dynamodb::TableOptions{config.dynamodb_table, config.job_retention_days});
  b.queue = std::move(queue.value());
  auto objects = std::make_unique<blob::S3ObjectStore>(aws::Client(settings), s3);
  b.cookies = sealed_cookies(config, std::make_unique<blob::S3CookieStore>(*objects), /*key_required=*/true);
  b.objects = std::move(objects);
  b.channels = std::make_unique<dynamodb::DynamoChannelStore>(
      aws::Client(settings), dynamodb::TableOptions{config.dynamodb_table, config.job_retention_days});
  b.webhooks = std::make_unique<SealedWebhookStore>(
      std::make_unique<dynamodb::DynamoWebhookStore>(
          aws::Client(settings), dynamodb::TableOptions{config.dynamodb_table, config.job_retention_days}),
      seal_key(config));
  return b;
}

}  // namespace

Result<Backend> open_backend(const Config& config) {
  if (config.backend == BackendKind::aws) return open_aws(config);
  auto db = sqlite::Db::open(config.db_path());
  if (!db) return db.error();
  auto store = sqlite::SqliteJobStore::open(*db);
  if (!store) return store.error();
  auto queue = sqlite::SqliteJobQueue::open(*db, config.max_receive_count);
  if (!queue) return queue.error();
  auto channels = sqlite::SqliteChannelStore::open(*db);
  if (!channels) return channels.error();
  auto webhooks = sqlite::SqliteWebhookStore::open(*db);
  if (!webhooks) return webhooks.error();
  Backend b;
  b.store = std::move(store.value());
  b.queue = std::move(queue.value());
  b.objects = std::make_unique<blob::FsObjectStore>(config.recordings_dir());
  b.channels = std::move(channels.value());
  b.webhooks = std::make_unique<SealedWebhookStore>(std::move(webhooks.value()), seal_key(config));
  b.cookies =
      sealed_cookies(config, std::make_unique<blob::FsCookieStore>(config.cookies_dir()), /*key_required=*/false);
  return b;
}

}  // namespace chronicle
