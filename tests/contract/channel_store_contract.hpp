#pragma once
// What every ChannelStore must do, written once and instantiated for each adapter (SQLite,
// DynamoDB on moto, the in-memory fake):
//   struct Backend { std::unique_ptr<ChannelStore> open(); };  // connections to one fresh store
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "contract/race.hpp"
#include "core/channel.hpp"
#include "core/ids.hpp"

namespace chronicle::contract {

inline Channel new_channel(const std::string& url) {
  Channel c;
  c.id = new_job_id();
  c.url = url;
  c.name = "show";
  c.created_at = now();
  return c;
}

template <class Backend>
class ChannelStoreContract : public ::testing::Test {
 protected:
  Backend backend;
  std::unique_ptr<ChannelStore> channels = backend.open();
};
TYPED_TEST_SUITE_P(ChannelStoreContract);

TYPED_TEST_P(ChannelStoreContract, AddedChannelsReadBackOldestFirst) {
  auto& store = *this->channels;
  auto a = store.create(new_channel("https://example.com/a"));
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->version, 1);
  auto b = store.create(new_channel("https://example.com/b"));
  ASSERT_TRUE(b.ok());
  auto got = store.get(a->id);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->url, "https://example.com/a");
  EXPECT_EQ((*got)->name, "show");
  EXPECT_EQ((*got)->version, 1);
  auto all = store.list();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, a->id);
  EXPECT_EQ((*all)[1].id, b->id);
  auto none = store.get(new_job_id());
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

TYPED_TEST_P(ChannelStoreContract, OneChannelPerUrl) {
  auto& store = *this->channels;
  auto first = store.create(new_channel("https://example.com/live"));
  ASSERT_TRUE(first.ok());
  auto second = store.create(new_channel("https://example.com/live"));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, "conflict");
  EXPECT_NE(second.error().message.find(first->id), std::string::npos) << "it names the channel that has the URL";
  EXPECT_EQ(store.list()->size(), 1u);
}

TYPED_TEST_P(ChannelStoreContract, AStaleWriteChangesNothing) {
  auto& store = *this->channels;
  auto c = *store.create(new_channel("https://example.com/live"));
  Channel stale = c;
  c.active_job_id = "job-1";
  ASSERT_TRUE(*store.replace_if_version(c));
  EXPECT_EQ(c.version, 2);
  stale.active_job_id = "job-2";
  auto lost = store.replace_if_version(stale);
  ASSERT_TRUE(lost.ok());
  EXPECT_FALSE(*lost);
  EXPECT_EQ((*store.get(c.id))->active_job_id, "job-1");
  EXPECT_EQ((*store.get(c.id))->version, 2);
}

TYPED_TEST_P(ChannelStoreContract, OfTwoWritersOfOneVersionOneWins) {
  auto first = *this->channels->create(new_channel("https://example.com/live"));
  auto other = this->backend.open();  // another connection, as another process would have
  std::atomic<int> won{0};
  auto write = [&](ChannelStore& store, const std::string& job) {
    Channel c = first;
    c.active_job_id = job;
    auto r = store.replace_if_version(c);
    ASSERT_TRUE(r.ok()) << r.error().message;
    if (*r) ++won;
  };
  race<TypeParam>({[&] { write(*this->channels, "a"); }, [&] { write(*other, "b"); }});
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ((*this->channels->get(first.id))->version, 2);
}

TYPED_TEST_P(ChannelStoreContract, ARemovedChannelFreesItsUrl) {
  auto& store = *this->channels;
  auto c = *store.create(new_channel("https://example.com/live"));
  EXPECT_TRUE(*store.remove(c.id));
  EXPECT_FALSE(*store.remove(c.id)) << "removing twice says there was nothing";
  EXPECT_FALSE(store.get(c.id)->has_value());
  EXPECT_TRUE(store.list()->empty());
  EXPECT_TRUE(store.create(new_channel("https://example.com/live")).ok());
}

REGISTER_TYPED_TEST_SUITE_P(ChannelStoreContract, AddedChannelsReadBackOldestFirst, OneChannelPerUrl,
                            AStaleWriteChangesNothing, OfTwoWritersOfOneVersionOneWins, ARemovedChannelFreesItsUrl);

}  // namespace chronicle::contract
