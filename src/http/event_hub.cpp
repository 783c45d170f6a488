#include "http/event_hub.hpp"

#include <algorithm>

namespace chronicle::http {

std::shared_ptr<Subscriber> EventHub::subscribe(const boost::asio::any_io_executor& ex,
                                                std::optional<std::string> filter) {
  auto s = std::make_shared<Subscriber>(ex);
  s->job_filter = std::move(filter);
  subscribers_.push_back(s);
  return s;
}

void EventHub::unsubscribe(const std::shared_ptr<Subscriber>& s) { subscribers_.remove(s); }

std::string EventHub::frame(const std::string& event, const std::string& data, std::optional<std::int64_t> id) {
  std::string f = "event: " + event + "\n";
  if (id) f += "id: " + std::to_string(*id) + "\n";
  f += "data: " + data + "\n\n";  // JSON from nlohmann::dump() never contains a raw newline
  return f;
}

void EventHub::deliver(const std::string& job_id, std::string text) {
  const auto f = std::make_shared<const std::string>(std::move(text));
  for (auto& s : subscribers_) {
    if (s->job_filter && *s->job_filter != job_id) continue;
    // A client that cannot keep up is dropped rather than allowed to grow without bound.
    if (s->pending.size() > 10000) {
      s->closed = true;
    } else {
      s->pending.push_back(f);
    }
    s->wake.cancel();
  }
}

bool EventHub::anyone_for(const std::string& job_id) const {
  return std::any_of(subscribers_.begin(), subscribers_.end(),
                     [&](const auto& s) { return !s->job_filter || *s->job_filter == job_id; });
}

void EventHub::publish_job(const Job& job, std::int64_t seq) {
  if (!anyone_for(job.id)) return;  // rendering is the costly part: not for nobody
  deliver(job.id, job_frame(job, seq));
}

std::string EventHub::job_frame(const Job& job, std::int64_t seq) const {
  return frame("job", render_ ? render_(job) : json_text(to_public_json(job)), seq);
}

std::string EventHub::deleted_frame(const std::string& job_id, std::int64_t seq) {
  return frame("job_deleted", json_text(nlohmann::json{{"id", job_id}}), seq);
}

void EventHub::publish_deleted(const std::string& job_id, std::int64_t seq) {
  if (!anyone_for(job_id)) return;
  deliver(job_id, deleted_frame(job_id, seq));
}

void EventHub::publish_channel(const std::string& event, const std::string& json) {
  const auto f = std::make_shared<const std::string>(frame(event, json, std::nullopt));
  for (auto& s : subscribers_) {
    if (s->job_filter) continue;
    if (s->pending.size() > 10000) {
      s->closed = true;
    } else {
      s->pending.push_back(f);
    }
    s->wake.cancel();
  }
}

void EventHub::close_all() {
  for (auto& s : subscribers_) {
    s->closed = true;
    s->wake.cancel();
  }
}

}  // namespace chronicle::http
