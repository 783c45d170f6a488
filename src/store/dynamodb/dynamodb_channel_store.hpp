#pragma once
#include "aws/aws.hpp"
#include "core/channel.hpp"
#include "store/dynamodb/dynamodb_job_store.hpp"

namespace chronicle::dynamodb {

// Channels in the jobs' table: items "channel#<id>" listed by the `list` GSI under list_pk
// "channel", and one item per watched URL ("channelurl#<sha256>") written in the same transaction,
// so a URL has one channel. Every change is a Put conditional on the version read.
class DynamoChannelStore final : public ChannelStore {
 public:
  DynamoChannelStore(aws::Client client, TableOptions options)
      : client_(std::move(client)), options_(std::move(options)) {}

  Result<Channel> create(const Channel& channel) override;
  Result<std::optional<Channel>> get(const std::string& id) override;
  Result<std::vector<Channel>> list() override;
  Result<bool> replace_if_version(Channel& channel) override;
  Result<bool> remove(const std::string& id) override;

 private:
  nlohmann::json item(const Channel& channel) const;
  aws::Client client_;
  TableOptions options_;
};

}  // namespace chronicle::dynamodb
