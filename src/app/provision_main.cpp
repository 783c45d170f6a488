#include <iostream>

#include "app/app.hpp"
#include "blob/s3/s3_object_store.hpp"
#include "queue/sqs/sqs_job_queue.hpp"
#include "store/dynamodb/dynamodb_job_store.hpp"

namespace chronicle::app {

int run_provision(const Config& config) {
  const auto settings = aws::Settings::from_environment();
  if (!settings.has_credentials()) {
    std::cerr << "chronicle: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_REGION, or AWS_ENDPOINT_URL "
                 "for an emulator or S3-compatible store)\n";
    return 2;
  }
  const std::string where = settings.endpoint.empty() ? "AWS " + settings.region : settings.endpoint;
  blob::S3Options s3;
  s3.bucket = config.s3_bucket;
  s3.path_style = config.s3_addressing == S3Addressing::path ||
                  (config.s3_addressing == S3Addressing::automatic && !settings.endpoint.empty());
  blob::S3ObjectStore store(aws::Client(settings), s3);
  if (auto r = store.create_bucket(); !r) {
    std::cerr << "chronicle: " << r.error().message << "\n";
    return 1;
  }
  std::cout << "bucket " << config.s3_bucket << ": ready (" << where << ")\n";
  const int visibility = static_cast<int>(config.probe_timeout_s) + 30;
  if (auto r = sqs::SqsJobQueue::provision(aws::Client(settings), {config.sqs_queue, config.sqs_dead_letter_queue},
                                           config.max_receive_count, visibility);
      !r) {
    std::cerr << "chronicle: " << r.error().message << "\n";
    return 1;
  }
  std::cout << "queue " << config.sqs_queue << ": ready (FIFO, visibility " << visibility << " s, dead letters to "
            << config.sqs_dead_letter_queue << " after " << config.max_receive_count << " receives)\n";
  if (auto r = dynamodb::DynamoJobStore::provision(aws::Client(settings),
                                                   {config.dynamodb_table, config.job_retention_days});
      !r) {
    std::cerr << "chronicle: " << r.error().message << "\n";
    return 1;
  }
  std::cout << "table " << config.dynamodb_table << ": ready (GSIs list, by_status, feed; TTL on expires_at, "
            << config.job_retention_days << " days for finished jobs)\n";
  return 0;
}

}  // namespace chronicle::app
