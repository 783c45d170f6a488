#include "dispatch/dispatcher.hpp"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <mutex>

#include "record/probe.hpp"

namespace chronicle::dispatch {
namespace {

Result<Job> fail_job(JobStore& store, const std::string& id, const Error& error) {
  return update_job(store, id, [&](Job& j) -> Result<Ok> {
    auto t = transition(j, JobStatus::failed, now());
    if (t) j.error = error;
    return t;
  });
}

// A message is received with a short lease, renewed while its job is being dispatched:
// a dispatcher that dies mid-probe frees the message within one lease, however long probes
// may take.
constexpr std::chrono::seconds kLease{30};

class LeaseKeeper {
 public:
  LeaseKeeper(JobQueue& queue, const QueueMessage& message)
      : thread_([this, &queue, message] {
          std::unique_lock lock(mutex_);
          while (!wake_.wait_for(lock, kLease / 3, [this] { return done_; })) {
            lock.unlock();
            if (auto r = queue.extend_visibility(message, kLease); !r)
              spdlog::warn("job {}: cannot extend the queue lease: {}", message.job_id, r.error().message);
            lock.lock();
          }
        }) {}
  ~LeaseKeeper() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  bool done_ = false;
  std::thread thread_;
};

}  // namespace

std::map<std::string, std::uint64_t> DispatchStats::counters() const {
  return {{"chronicle_dispatch_received_total", received.load()},
          {"chronicle_dispatch_launched_total", launched.load()},
          {"chronicle_dispatch_rejected_total", rejected.load()},
          {"chronicle_recoveries_total", recovered.load()}};
}

Dispatcher::Dispatcher(const Config& config, JobStore& store, JobQueue& queue, Launcher& launcher, Resolver resolver,
                       DispatchStats& stats)
    : config_(config),
      store_(store),
      queue_(queue),
      launcher_(launcher),
      resolver_(std::move(resolver)),
      stats_(stats) {}

Dispatcher::~Dispatcher() { stop(); }

void Dispatcher::start(int workers) {
  running_ = true;
  for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { run(); });
}

void Dispatcher::stop() {
  running_ = false;
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

bool Dispatcher::has_capacity() {
  auto counts = store_.count_by_status();
  if (!counts) return false;
  const auto busy = (*counts)[JobStatus::starting] + (*counts)[JobStatus::recording] + (*counts)[JobStatus::uploading];
  // Jobs this process is probing are already counted as "starting".
  return busy < config_.max_concurrent_recordings;
}

void Dispatcher::fail_dead_letters() {
  auto dead = queue_.take_dead_letters();
  if (!dead) return;
  for (const auto& m : *dead) fail_dead_letter(m);
}

void Dispatcher::fail_dead_letter(const QueueMessage& m) {
  auto r = fail_job(store_, m.job_id,
                    Error{"dispatch_failed", "could not be dispatched after " + std::to_string(m.receive_count - 1) +
                                                 " attempts; moved to the dead-letter queue"});
  if (r) spdlog::warn("job {} dead-lettered after {} deliveries", m.job_id, m.receive_count - 1);
}

void Dispatcher::run() {
  while (running_) {
    fail_dead_letters();
    if (!has_capacity()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
      continue;
    }
    auto message = queue_.receive(kLease, std::chrono::milliseconds(500));
    if (!message) {
      spdlog::error("queue receive failed: {}", message.error().message);
      std::this_thread::sleep_for(std::chrono::seconds(1));
      continue;
    }
    if (!message->has_value()) continue;
    LeaseKeeper lease(queue_, **message);
    handle(**message);
  }
}

Dispatcher::Handled Dispatcher::handle(const QueueMessage& message) {
  ++stats_.received;
  const std::string& id = message.job_id;
  const auto takeover_after = std::chrono::milliseconds(static_cast<long long>((config_.probe_timeout_s + 10) * 1000));

  // The claim: pending -> starting is a compare-and-set, so a message delivered twice (or two
  // dispatchers) can never start two recorders. A job stuck in `starting` without a recorder
  // (serve died mid-probe) is taken over once its claim is old enough.
  bool not_mine = false;
  auto claimed = update_job(store_, id, [&](Job& j) -> Result<Ok> {
    if (j.status == JobStatus::pending) return transition(j, JobStatus::starting, now());
    if (j.status == JobStatus::starting && j.recorder_ref.empty() && j.updated_at &&
        now() - *j.updated_at > takeover_after)
      return Ok{};
    not_mine = true;
    return make_error("skip", "job is " + std::string(to_string(j.status)));
  });
  if (!claimed) {
    if (claimed.error().code == "not_found" || not_mine) {
      (void)queue_.ack(message);
      return Handled::done;
    }
    spdlog::warn("job {}: cannot claim it yet: {}", id, claimed.error().message);
    return Handled::retry;
  }
  Job job = *claimed;
  if (job.stop_requested) {
    (void)update_job(store_, id, [](Job& j) -> Result<Ok> {
      j.error = Error{"canceled", "canceled before recording started"};
      return transition(j, JobStatus::canceled, now());
    });
    (void)queue_.ack(message);
    return Handled::done;
  }

  spdlog::info("job {}: probing {}", id, job.url);
  // Names can point somewhere else by now: the policy is checked again before any fetch.
  auto allowed = check_url(job.url, config_.url_policy(), resolver_);
  Result<record::StreamInfo> info =
      allowed ? record::probe_stream(config_, job.url) : Result<record::StreamInfo>(allowed.error());
  if (!info) {
    ++stats_.rejected;
    spdlog::info("job {}: rejected: {}", id, info.error().message);
    (void)fail_job(store_, id, info.error());
    (void)queue_.ack(message);
    return Handled::done;
  }

  bool canceled = false;
  auto probed = update_job(store_, id, [&](Job& j) -> Result<Ok> {
    if (j.status != JobStatus::starting) return make_error("skip", "job left starting");
    j.title = info->title;
    j.protocol = info->protocol;
    j.heartbeat_at = now();
    if (j.stop_requested) {
      canceled = true;
      j.error = Error{"canceled", "canceled before recording started"};
      return transition(j, JobStatus::canceled, now());
    }
    return Ok{};
  });
  if (!probed || canceled) {
    (void)queue_.ack(message);
    return Handled::done;
  }

  auto ref = launcher_.launch(*probed, info->extracted);
  if (!ref) {
    spdlog::error("job {}: launch failed: {}", id, ref.error().message);
    (void)fail_job(store_, id, Error{"launch_failed", "could not start a recorder: " + ref.error().message});
    (void)queue_.ack(message);
    return Handled::done;
  }
  ++stats_.launched;
  (void)update_job(store_, id, [&](Job& j) -> Result<Ok> {
    j.recorder_ref = *ref;
    return Ok{};
  });
  spdlog::info("job {}: recorder launched ({}) title=\"{}\"", id, *ref, info->title);
  (void)queue_.ack(message);
  return Handled::done;
}

}  // namespace chronicle::dispatch
