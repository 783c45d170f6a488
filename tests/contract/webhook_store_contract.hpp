#pragma once
// What every WebhookStore must do, written once and instantiated for each adapter (SQLite,
// DynamoDB on moto):
//   struct Backend { std::unique_ptr<WebhookStore> open(); };  // connections to one fresh store
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "contract/race.hpp"
#include "core/ids.hpp"
#include "core/webhook.hpp"

namespace chronicle::contract {

inline Webhook new_webhook(const std::string& url) {
  Webhook w;
  w.id = new_job_id();
  w.url = url;
  w.events = {"job.completed", "job.failed"};
  w.format = WebhookFormat::discord;
  w.secret = "s3cret";
  w.created_at = now();
  return w;
}

// A delivery created `age` ago, due `due_in` from now (negative: overdue).
inline Delivery new_delivery(const Webhook& hook, const std::string& key, std::chrono::milliseconds age,
                             std::chrono::milliseconds due_in) {
  Delivery d;
  d.webhook_id = hook.id;
  d.event = "job.completed";
  d.id = hook.id + ":" + d.event + ":" + key;
  d.body = R"({"event":"job.completed","key":")" + key + "\"}";
  // Whole milliseconds, as every store keeps them.
  const auto t = std::chrono::time_point_cast<std::chrono::milliseconds>(now());
  d.created_at = t - age;
  d.next_attempt_at = t + due_in;
  return d;
}

template <class Backend>
class WebhookStoreContract : public ::testing::Test {
 protected:
  Backend backend;
  std::unique_ptr<WebhookStore> hooks = backend.open();
};
TYPED_TEST_SUITE_P(WebhookStoreContract);

TYPED_TEST_P(WebhookStoreContract, WebhooksReadBackWithTheirSecret) {
  auto& store = *this->hooks;
  auto a = store.create(new_webhook("https://example.com/a"));
  ASSERT_TRUE(a.ok()) << a.error().message;
  auto b = store.create(new_webhook("https://example.com/b"));
  ASSERT_TRUE(b.ok());
  auto got = store.get(a->id);
  ASSERT_TRUE(got.ok() && got->has_value()) << (got.ok() ? "" : got.error().message);
  EXPECT_EQ((*got)->url, "https://example.com/a");
  EXPECT_EQ((*got)->events, (std::vector<std::string>{"job.completed", "job.failed"}));
  EXPECT_EQ((*got)->format, WebhookFormat::discord);
  EXPECT_EQ((*got)->secret, "s3cret");
  auto all = store.list();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, a->id);
  EXPECT_EQ((*all)[1].id, b->id);
  auto none = store.get(new_job_id());
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

TYPED_TEST_P(WebhookStoreContract, ADeliveryIsQueuedOnce) {
  auto& store = *this->hooks;
  auto hook = store.create(new_webhook("https://example.com/a"));
  ASSERT_TRUE(hook.ok());
  const auto d = new_delivery(*hook, "job1", std::chrono::seconds(1), -std::chrono::seconds(1));
  auto first = store.enqueue(d);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_TRUE(*first);
  auto again = store.enqueue(d);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
  auto due = store.due(now(), 10);
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].id, d.id);
  EXPECT_EQ((*due)[0].body, d.body);
  EXPECT_EQ((*due)[0].state, DeliveryState::pending);
  EXPECT_EQ((*due)[0].attempts, 0);
}

TYPED_TEST_P(WebhookStoreContract, DueDeliveriesComeSoonestFirstAndAClaimTakesOne) {
  auto& store = *this->hooks;
  auto hook = store.create(new_webhook("https://example.com/a"));
  ASSERT_TRUE(hook.ok());
  using std::chrono::seconds;
  ASSERT_TRUE(store.enqueue(new_delivery(*hook, "later", seconds(1), -seconds(5))).ok());
  ASSERT_TRUE(store.enqueue(new_delivery(*hook, "sooner", seconds(2), -seconds(9))).ok());
  ASSERT_TRUE(store.enqueue(new_delivery(*hook, "future", seconds(3), seconds(3600))).ok());
  auto due = store.due(now(), 10);
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 2u);
  EXPECT_TRUE((*due)[0].id.ends_with(":sooner"));
  EXPECT_TRUE((*due)[1].id.ends_with(":later"));
  auto limited = store.due(now(), 1);
  ASSERT_TRUE(limited.ok());
  EXPECT_EQ(limited->size(), 1u);

  Delivery mine = (*due)[0];
  const Delivery stale = mine;
  auto claimed = store.claim(mine, now() + std::chrono::minutes(2));
  ASSERT_TRUE(claimed.ok()) << claimed.error().message;
  EXPECT_TRUE(*claimed);
  Delivery again = stale;
  auto second = store.claim(again, now() + std::chrono::minutes(2));
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(*second) << "a claimed delivery cannot be claimed again from what was read before";
  auto still_due = store.due(now(), 10);
  ASSERT_TRUE(still_due.ok());
  ASSERT_EQ(still_due->size(), 1u) << "a claimed delivery is not due while its lease lasts";
  EXPECT_TRUE((*still_due)[0].id.ends_with(":later"));
}

TYPED_TEST_P(WebhookStoreContract, OfTwoSendersClaimingOneDeliveryOneWins) {
  auto& store = *this->hooks;
  auto other = this->backend.open();
  auto hook = store.create(new_webhook("https://example.com/a"));
  ASSERT_TRUE(hook.ok());
  ASSERT_TRUE(store.enqueue(new_delivery(*hook, "job", std::chrono::seconds(1), -std::chrono::seconds(1))).ok());
  auto due = store.due(now(), 10);
  ASSERT_TRUE(due.ok() && due->size() == 1u);
  std::atomic<int> wins{0};
  auto take = [&](WebhookStore& s) {
    Delivery d = (*due)[0];
    auto c = s.claim(d, now() + std::chrono::minutes(2));
    if (c.ok() && *c) ++wins;
  };
  race<TypeParam>({[&] { take(store); }, [&] { take(*other); }});
  EXPECT_EQ(wins.load(), 1);
}

TYPED_TEST_P(WebhookStoreContract, AnEndedDeliveryIsNoLongerDueAndShowsInRecentNewestFirst) {
  auto& store = *this->hooks;
  auto hook = store.create(new_webhook("https://example.com/a"));
  ASSERT_TRUE(hook.ok());
  using std::chrono::seconds;
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(store.enqueue(new_delivery(*hook, "job" + std::to_string(i), seconds(10 - i), -seconds(1))).ok());
  auto due = store.due(now(), 10);
  ASSERT_TRUE(due.ok() && due->size() == 5u);
  Delivery sent = (*due)[0];
  ASSERT_TRUE(store.claim(sent, now() + std::chrono::minutes(2)).ok());
  sent.attempts = 1;
  sent.state = DeliveryState::delivered;
  sent.delivered_at = std::chrono::time_point_cast<std::chrono::milliseconds>(now());
  sent.last_status = 204;
  ASSERT_TRUE(store.update(sent).ok());
  Delivery refused = (*due)[1];
  ASSERT_TRUE(store.claim(refused, now() + std::chrono::minutes(2)).ok());
  refused.attempts = 1;
  refused.last_status = 500;
  refused.last_error = "HTTP 500: down";
  refused.next_attempt_at = std::chrono::time_point_cast<std::chrono::milliseconds>(now()) + seconds(5);
  ASSERT_TRUE(store.update(refused).ok());

  auto left = store.due(now(), 10);
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(left->size(), 3u);
  auto after_backoff = store.due(now() + seconds(6), 10);
  ASSERT_TRUE(after_backoff.ok());
  EXPECT_EQ(after_backoff->size(), 4u) << "a failed attempt is due again after its backoff";

  auto recent = store.recent(hook->id, 3);
  ASSERT_TRUE(recent.ok()) << recent.error().message;
  ASSERT_EQ(recent->size(), 3u);
  EXPECT_TRUE((*recent)[0].id.ends_with(":job4"));
  EXPECT_TRUE((*recent)[2].id.ends_with(":job2"));
  auto all = store.recent(hook->id, 10);
  ASSERT_TRUE(all.ok() && all->size() == 5u);
  const auto& first = (*all)[4];
  EXPECT_TRUE(first.id.ends_with(":job0"));
  EXPECT_EQ(first.state, DeliveryState::delivered);
  EXPECT_EQ(first.attempts, 1);
  EXPECT_EQ(first.last_status, 204);
  ASSERT_TRUE(first.delivered_at.has_value());
  EXPECT_EQ(*first.delivered_at, *sent.delivered_at);
  const auto& second = (*all)[3];
  EXPECT_EQ(second.state, DeliveryState::pending);
  EXPECT_EQ(second.last_error, "HTTP 500: down");
  EXPECT_EQ(second.next_attempt_at, refused.next_attempt_at);
}

TYPED_TEST_P(WebhookStoreContract, RemovingAWebhookTakesItsDeliveries) {
  auto& store = *this->hooks;
  auto gone = store.create(new_webhook("https://example.com/gone"));
  auto kept = store.create(new_webhook("https://example.com/kept"));
  ASSERT_TRUE(gone.ok() && kept.ok());
  for (int i = 0; i < 30; ++i)  // more than one batch of deletes
    ASSERT_TRUE(store.enqueue(new_delivery(*gone, std::to_string(i), std::chrono::seconds(1), {})).ok());
  ASSERT_TRUE(store.enqueue(new_delivery(*kept, "x", std::chrono::seconds(1), {})).ok());
  auto removed = store.remove(gone->id);
  ASSERT_TRUE(removed.ok()) << removed.error().message;
  EXPECT_TRUE(*removed);
  auto again = store.remove(gone->id);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
  auto got = store.get(gone->id);
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
  auto recent = store.recent(gone->id, 50);
  ASSERT_TRUE(recent.ok());
  EXPECT_TRUE(recent->empty());
  auto due = store.due(now() + std::chrono::seconds(1), 50);
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].webhook_id, kept->id);
}

TYPED_TEST_P(WebhookStoreContract, TheFeedCursorOnlyMovesOn) {
  auto& store = *this->hooks;
  auto none = store.feed_cursor();
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  ASSERT_TRUE(store.set_feed_cursor(7).ok());
  ASSERT_TRUE(store.set_feed_cursor(3).ok());  // a follower that read less, finishing later
  auto other = this->backend.open();
  auto read = other->feed_cursor();
  ASSERT_TRUE(read.ok() && read->has_value());
  EXPECT_EQ(**read, 7);
  ASSERT_TRUE(other->set_feed_cursor(12).ok());
  read = store.feed_cursor();
  ASSERT_TRUE(read.ok() && read->has_value());
  EXPECT_EQ(**read, 12);
}

TYPED_TEST_P(WebhookStoreContract, PruningForgetsOnlyDeliveriesThatEndedLongAgo) {
  auto& store = *this->hooks;
  auto hook = store.create(new_webhook("https://example.com/a"));
  ASSERT_TRUE(hook.ok());
  using std::chrono::hours;
  ASSERT_TRUE(store.enqueue(new_delivery(*hook, "old", hours(24 * 40), -hours(24 * 40))).ok());
  ASSERT_TRUE(store.enqueue(new_delivery(*hook, "recent", hours(1), -hours(1))).ok());
  ASSERT_TRUE(store.enqueue(new_delivery(*hook, "waiting", hours(24 * 40), -hours(24 * 40))).ok());
  auto due = store.due(now(), 10);
  ASSERT_TRUE(due.ok() && due->size() == 3u);
  for (auto d : *due) {
    if (d.id.ends_with(":waiting")) continue;
    const auto ended = d.next_attempt_at;
    ASSERT_TRUE(store.claim(d, now() + std::chrono::minutes(2)).ok());
    d.attempts = 1;
    d.state = DeliveryState::delivered;
    d.delivered_at = ended;
    ASSERT_TRUE(store.update(d).ok());
  }
  auto pruned = store.prune(now() - kEndedDeliveryKept);
  ASSERT_TRUE(pruned.ok()) << pruned.error().message;
  auto left = store.recent(hook->id, 10);
  ASSERT_TRUE(left.ok());
  std::vector<std::string> keys;
  for (const auto& d : *left) keys.push_back(d.id.substr(d.id.rfind(':') + 1));
  // Stores whose database expires them itself (DynamoDB's TTL) report none pruned here.
  if (*pruned == 1)
    EXPECT_EQ(keys, (std::vector<std::string>{"recent", "waiting"})) << "a pending delivery is never forgotten";
  else
    EXPECT_EQ(*pruned, 0u);
}

REGISTER_TYPED_TEST_SUITE_P(WebhookStoreContract, PruningForgetsOnlyDeliveriesThatEndedLongAgo,
                            WebhooksReadBackWithTheirSecret, ADeliveryIsQueuedOnce,
                            DueDeliveriesComeSoonestFirstAndAClaimTakesOne, OfTwoSendersClaimingOneDeliveryOneWins,
                            AnEndedDeliveryIsNoLongerDueAndShowsInRecentNewestFirst, RemovingAWebhookTakesItsDeliveries,
                            TheFeedCursorOnlyMovesOn);

}  // namespace chronicle::contract
