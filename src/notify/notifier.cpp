#include "notify/notifier.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>

#include "core/hex.hpp"
#include "core/ids.hpp"
#include "sys/access.hpp"
#include "sys/http_fetch.hpp"

namespace chronicle::notify {

std::string signature(const std::string& secret, const std::string& timestamp, const std::string& body) {
  const std::string mac = sys::hmac_sha256(secret, timestamp + "." + body);
  return "sha256=" + to_hex(mac.data(), mac.size());
}

namespace {

bool wants(const Webhook& hook, const std::string& event) {
  return std::find(hook.events.begin(), hook.events.end(), event) != hook.events.end();
}

// The events a job's state shows, in the order they happened.
std::vector<const char*> events_of(const Job& job) {
  std::vector<const char*> out;
  if (job.milestones.count("recording")) out.push_back(webhook_event::recording);
  if (job.status == JobStatus::completed) out.push_back(webhook_event::completed);
  if (job.status == JobStatus::failed) out.push_back(webhook_event::failed);
  return out;
}

}  // namespace

void Notifier::start(const std::stop_token& shutdown) {
  thread_ = std::jthread([this, shutdown](std::stop_token own) {
    std::optional<TimePoint> pruned_at;
    while (!own.stop_requested() && !shutdown.stop_requested()) {
      if (auto followed = follow_jobs(); !followed)
        spdlog::warn("webhooks: cannot read the job feed: {}", followed.error().message);
      dispatch_due();
      // Ended deliveries are kept a while to be looked at, then forgotten: the outbox of a long
      // history stays small.
      if (!pruned_at || now() - *pruned_at >= std::chrono::hours(1)) {
        pruned_at = now();
        if (auto pruned = hooks_.prune(now() - kEndedDeliveryKept); !pruned)
          spdlog::warn("webhooks: cannot forget old deliveries: {}", pruned.error().message);
        else if (*pruned)
          spdlog::info("webhooks: forgot {} deliveries that ended more than 30 days ago", *pruned);
      }
      // Again in a second, or as soon as a sender is free for the next delivery of its webhook.
      std::unique_lock lock(mu_);
      const std::size_t seen = finished_;
      changed_.wait_for(lock, shutdown, std::chrono::seconds(1),
                        [&] { return own.stop_requested() || finished_ != seen; });
    }
  });
}

void Notifier::stop() {
  if (thread_.joinable()) {
    thread_.request_stop();
    changed_.notify_all();
    thread_.join();
  }
  // An attempt in flight is cut short; its lease runs out and it is tried again later.
  for (auto& s : senders_) s.request_stop();
  changed_.notify_all();
  senders_.clear();
}

std::size_t Notifier::dispatch_due() {
  // Longer than an attempt can take (the POST's 10 s, resolving and connecting included).
  constexpr auto kLease = std::chrono::minutes(2);
  auto due = hooks_.due(now(), 500);
  if (!due) {
    spdlog::warn("webhooks: cannot read the outbox: {}", due.error().message);
    return 0;
  }
  if (due->empty()) return 0;
  // A receiver gets its deliveries in the order they were queued (job.recording before
  // job.completed), also after an outage, when the later one may have been retried less.
  std::stable_sort(due->begin(), due->end(),
                   [](const Delivery& a, const Delivery& b) { return a.created_at < b.created_at; });
  std::map<std::string, Webhook> by_id;
  if (auto hooks = hooks_.list(); hooks)
    for (auto& h : *hooks) by_id.emplace(h.id, std::move(h));
  std::size_t handed = 0;
  for (auto& d : *due) {
    {
      std::lock_guard lock(mu_);
      if (busy_.size() >= kSenders) break;
      if (busy_.count(d.webhook_id)) continue;  // one at a time per receiver
      if (auto r = resting_.find(d.webhook_id); r != resting_.end() && now() < r->second) continue;
    }
    auto it = by_id.find(d.webhook_id);
    if (it == by_id.end()) {
      auto hook = hooks_.get(d.webhook_id);
      if (!hook) continue;  // the store cannot say now: tried again on the next pass
      if (!*hook) {
        if (auto claimed = hooks_.claim(d, now() + kLease); claimed && *claimed) give_up(d, "the webhook was removed");
        continue;
      }
      it = by_id.emplace(d.webhook_id, std::move(**hook)).first;
    }
    auto claimed = hooks_.claim(d, now() + kLease);
    if (!claimed || !*claimed) continue;  // another sender has it, or the outbox is unreachable
    {
      std::lock_guard lock(mu_);
      busy_.insert(d.webhook_id);
      tasks_.push_back(Task{std::move(d), it->second});
      if (senders_.empty())
        for (std::size_t i = 0; i < kSenders; ++i)
          senders_.emplace_back([this](const std::stop_token& stop) { sender(stop); });
    }
    changed_.notify_all();
    ++handed;
  }
  return handed;
}

void Notifier::sender(const std::stop_token& stop) {
  for (;;) {
    Task task;
    {
      std::unique_lock lock(mu_);
      if (!changed_.wait(lock, stop, [&] { return !tasks_.empty(); })) return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    const std::string webhook_id = task.hook.id;
    const bool accepted = deliver(std::move(task.delivery), task.hook, stop);
    {
      std::lock_guard lock(mu_);
      busy_.erase(webhook_id);
      accepted_ += accepted ? 1 : 0;
      ++finished_;
    }
    changed_.notify_all();
  }
}

std::size_t Notifier::send_due(TimePoint deadline) {
  std::size_t before = 0;
  {
    std::lock_guard lock(mu_);
    before = accepted_;
  }
  for (;;) {
    const std::size_t handed = dispatch_due();
    std::unique_lock lock(mu_);
    if (handed == 0 && busy_.empty()) break;
    if (now() >= deadline) {
      // What is in flight finishes (each attempt has its timeout); nothing new starts.
      changed_.wait(lock, [&] { return busy_.empty(); });
      break;
    }
    // Until a sender is free again: its webhook's next delivery may be due.
    const auto before_wait = busy_.size();
    changed_.wait_until(lock, std::min(deadline, now() + std::chrono::seconds(1)),
                        [&] { return busy_.size() < before_wait || (handed == 0 && busy_.empty()); });
  }
  std::lock_guard lock(mu_);
  return accepted_ - before;
}

Result<bool> Notifier::queue_for(const Webhook& hook, const std::string& event, const std::string& key,
                                 const nlohmann::json& subject) {
  bool queued = false;
  auto d = queue_delivery(hooks_, hook, event, key, subject, &queued);
  if (!d) return d.error();
  return queued;
}

Result<std::size_t> Notifier::notify(const std::string& event, const std::string& key, const nlohmann::json& subject) {
  auto hooks = hooks_.list();
  if (!hooks) return hooks.error();
  std::size_t queued = 0;
  for (const auto& hook : *hooks) {
    if (!wants(hook, event)) continue;
    auto q = queue_for(hook, event, key, subject);
    if (!q) return q.error();
    queued += *q ? 1 : 0;
  }
  return queued;
}

Result<std::size_t> Notifier::follow_jobs() {
  auto cursor = hooks_.feed_cursor();
  if (!cursor) return cursor.error();
  if (!*cursor) {
    // The first time: events from now on, not the whole history.
    auto head = jobs_.changes_since(-1, 0);
    if (!head) return head.error();
    if (auto w = hooks_.set_feed_cursor(head->cursor); !w) return w.error();
    return std::size_t{0};
  }
  auto hooks = hooks_.list();
  if (!hooks) return hooks.error();
  std::size_t queued = 0;
  std::int64_t at = **cursor;
  for (int round = 0; round < 20; ++round) {
    auto batch = jobs_.changes_since(at, 500);
    if (!batch) return batch.error();
    if (batch->jobs.empty()) break;
    for (std::size_t i = 0; i < batch->jobs.size(); ++i) {
      if (batch->removed[i]) continue;
      const Job& job = batch->jobs[i];
      const auto events = events_of(job);
      if (events.empty()) continue;
      const auto subject = to_public_json(job);
      for (const auto& hook : *hooks)
        for (const char* event : events) {
          if (!wants(hook, event)) continue;
          auto q = queue_for(hook, event, job.id, subject);
          if (!q) return q.error();  // the cursor stays: these changes are read again
          queued += *q ? 1 : 0;
        }
    }
    at = batch->cursor;
    if (auto w = hooks_.set_feed_cursor(at); !w) return w.error();
  }
  return queued;
}

void Notifier::watch_channels(ChannelService& channels) {
  channels.on_live([this](const Channel& c, const Job& job) {
    auto subject = to_public_json(c);
    subject["job_id"] = job.id;
    if (auto q = notify(webhook_event::channel_live, c.id + ":" + job.id, subject); !q)
      spdlog::warn("channel {}: cannot queue its webhooks: {}", c.id, q.error().message);
  });
}

void Notifier::give_up(Delivery d, const std::string& why) {
  d.state = DeliveryState::failed;
  d.last_error = why;
  if (auto w = hooks_.update(d); !w) spdlog::warn("webhooks: cannot record delivery {}: {}", d.id, w.error().message);
}

bool Notifier::deliver(Delivery d, const Webhook& hook, const std::stop_token& stop) {
  const auto at = now();
  const std::string timestamp =
      std::to_string(std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count());
  // The format's headers (ntfy's Title) come from rendering the event again: only the body is kept.
  auto shape = render_event(hook.format, d.event, d.id, nlohmann::json::object(), at);
  std::vector<std::pair<std::string, std::string>> headers = {{"Content-Type", shape.content_type},
                                                              {"X-Chronicle-Event", d.event},
                                                              {"X-Chronicle-Delivery", d.id},
                                                              {kTimestampHeader, timestamp}};
  for (auto& h : shape.headers) headers.push_back(h);
  if (!hook.secret.empty()) headers.emplace_back(kSignatureHeader, signature(hook.secret, timestamp, d.body));
  auto answer = sys::post(hook.url, policy_, headers, d.body, std::chrono::seconds(10), stop);
  // Stopped mid-attempt: left as claimed, tried again once its lease is over.
  if (!answer && answer.error().code == "cancelled") return false;
  ++d.attempts;
  if (answer && answer->status >= 200 && answer->status < 300) {
    d.state = DeliveryState::delivered;
    d.delivered_at = now();
    d.last_status = static_cast<int>(answer->status);
    d.last_error.clear();
  } else {
    d.last_status = answer ? static_cast<int>(answer->status) : 0;
    d.last_error = answer ? "HTTP " + std::to_string(answer->status) + (answer->body.empty() ? "" : ": ") +
                                answer->body.substr(0, 200)
                          : answer.error().message;
    // Errors name the URL; shown to every API reader, so with its credentials masked.
    const std::string shown = masked_url(hook.url);
    for (auto pos = d.last_error.find(hook.url); pos != std::string::npos; pos = d.last_error.find(hook.url, pos)) {
      d.last_error.replace(pos, hook.url.size(), shown);
      pos += shown.size();
    }
    // A receiver on an address the policy refuses is not asked again.
    const bool refused = !answer && answer.error().code == "forbidden_address";
    if (refused || d.attempts >= kMaxDeliveryAttempts) {
      d.state = DeliveryState::failed;
    } else {
      d.next_attempt_at = next_attempt(d.attempts, now());
    }
    spdlog::warn("webhook {}: delivery {} (attempt {}) failed: {}{}", hook.id, d.id, d.attempts, d.last_error,
                 d.state == DeliveryState::failed ? "; given up" : "");
  }
  {
    // A receiver that failed rests until this delivery's next attempt; one that answered is awake.
    std::lock_guard lock(mu_);
    if (d.state == DeliveryState::pending)
      resting_[hook.id] = d.next_attempt_at;
    else
      resting_.erase(hook.id);
  }
  if (auto w = hooks_.update(d); !w)
    spdlog::warn("webhook {}: cannot record delivery {}: {}", hook.id, d.id, w.error().message);
  return d.state == DeliveryState::delivered;
}

}  // namespace chronicle::notify
