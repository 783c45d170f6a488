#pragma once
#include <atomic>
#include <memory>
#include <string>

#include "aws/aws.hpp"
#include "core/ports.hpp"

namespace chronicle::dynamodb {

struct TableOptions {
  std::string table = "chronicle-jobs";
  int retention_days = 90;  // finished jobs expire (TTL on expires_at) after this long
};

// JobStore on one DynamoDB table. Items: jobs ("job#<id>"), one lock per active URL
// ("url#<sha256>") and a change log ("change#<seq>", expiring after a day). Every status
// change is a conditional write on the job's version, in one transaction with its change entry.
// Sparse GSIs list jobs newest first (list_pk, id), by status (status, id) and the change log
// in order (feed_pk, seq), so nothing needs a Scan. The active statuses are counted by counter
// items ("count#<status>") updated in the same transaction as every change of status, so the
// dispatcher's "how many are running?" is one read, not a query per status. Finished jobs are
// counted by a query (only /metrics asks): they leave by TTL, which cannot update a counter.
class DynamoJobStore final : public JobStore {
 public:
  DynamoJobStore(aws::Client client, TableOptions options) : client_(std::move(client)), options_(std::move(options)) {}
  // Creates the table, its GSIs and the TTL setting, idempotently.
  static Result<Ok> provision(const aws::Client& client, const TableOptions& options);

  Result<CreateOutcome> create_or_get_active(const Job& job) override;
  Result<std::optional<Job>> get(const std::string& id) override;
  Result<std::vector<std::string>> ids_starting_with(const std::string& prefix, std::size_t limit) override;
  Result<JobPage> list(const ListQuery& query) override;
  Result<bool> replace_if_version(Job& job) override;
  Result<Job> heartbeat(const std::string& id, const Heartbeat& beat) override;
  Result<bool> remove(const std::string& id) override;
  Result<std::vector<Job>> list_by_status(const std::vector<JobStatus>& statuses) override;
  Result<std::map<JobStatus, std::int64_t>> count_by_status(const std::vector<JobStatus>& only = {}) override;
  Result<ChangeBatch> changes_since(std::int64_t cursor, std::size_t limit) override;

 private:
  Result<nlohmann::json> call(const std::string& action, const nlohmann::json& body) const;
  Result<std::int64_t> next_seq();
  nlohmann::json job_item(const Job& job, std::int64_t seq) const;
  nlohmann::json change_item(const Job& job, std::int64_t seq, bool removed = false) const;
  Result<std::vector<Job>> query_jobs(nlohmann::json request, std::size_t limit);
  Result<std::int64_t> query_count(JobStatus status);
  // Counters made before they existed start from a count of what is there (once per table).
  Result<Ok> seed_counters();
  std::atomic<bool> counters_seeded_ = false;  // the dispatcher counts from several threads
  aws::Client client_;
  TableOptions options_;
};

}  // namespace chronicle::dynamodb
