#pragma once
#include <memory>

#include "core/channel.hpp"
#include "store/sqlite/db.hpp"

namespace chronicle::sqlite {

// Channels as JSON documents beside the jobs, with the URL unique (one channel per URL).
class SqliteChannelStore final : public ChannelStore {
 public:
  static Result<std::unique_ptr<SqliteChannelStore>> open(std::shared_ptr<Db> db);

  Result<Channel> create(const Channel& channel) override;
  Result<std::optional<Channel>> get(const std::string& id) override;
  Result<std::vector<Channel>> list() override;
  Result<bool> replace_if_version(Channel& channel) override;
  Result<bool> remove(const std::string& id) override;

 private:
  explicit SqliteChannelStore(std::shared_ptr<Db> db) : db_(std::move(db)) {}
  std::shared_ptr<Db> db_;
};

}  // namespace chronicle::sqlite
