#pragma once
// Fan-out of job changes to SSE clients. Lives on the server's I/O thread only: the change
// poller and every SSE session run there, so no locking is needed.
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <deque>
#include <functional>
#include <list>

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/ports.hpp"

namespace chronicle::http {

struct Subscriber {
  explicit Subscriber(const boost::asio::any_io_executor& ex) : wake(ex) {
    wake.expires_at(boost::asio::steady_timer::time_point::max());
  }
  std::optional<std::string> job_filter;
  // Formatted SSE frames, shared by every subscriber they go to (one copy for 2,000 clients).
  std::deque<std::shared_ptr<const std::string>> pending;
  boost::asio::steady_timer wake;
  bool closed = false;
};

class EventHub {
 public:
  std::shared_ptr<Subscriber> subscribe(const boost::asio::any_io_executor& ex, std::optional<std::string> job_filter);
  void unsubscribe(const std::shared_ptr<Subscriber>& s);
  // How a job is shown to clients, as JSON text (the router's rendering: signed links and
  // seeding state).
  void set_render(std::function<std::string(const Job&)> render) { render_ = std::move(render); }
  void publish_job(const Job& job, std::int64_t seq);
  // The frame of a job's change, as live subscribers get it (also for a reconnecting client's replay).
  std::string job_frame(const Job& job, std::int64_t seq) const;
  void publish_deleted(const std::string& job_id, std::int64_t seq);
  static std::string deleted_frame(const std::string& job_id, std::int64_t seq);
  // A channel's change (its public JSON) or deletion, to the subscribers that follow everything.
  void publish_channel(const std::string& event, const std::string& json);
  void close_all();
  std::size_t size() const { return subscribers_.size(); }

  static std::string frame(const std::string& event, const std::string& data, std::optional<std::int64_t> id);

 private:
  void deliver(const std::string& job_id, std::string text);
  bool anyone_for(const std::string& job_id) const;
  std::list<std::shared_ptr<Subscriber>> subscribers_;
  std::function<std::string(const Job&)> render_;
};

}  // namespace chronicle::http
