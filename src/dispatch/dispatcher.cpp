#include "dispatch/dispatcher.hpp"

#include "core/waiting.hpp"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <mutex>

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

}  // namespace

std::map<std::string, std::uint64_t> DispatchStats::counters() const {
  return {{"chronicle_dispatch_received_total", received.load()},
          {"chronicle_dispatch_launched_total", launched.load()},
          {"chronicle_dispatch_rejected_total", rejected.load()},
          {"chronicle_recoveries_total", recovered.load()}};
}

Dispatcher::Dispatcher(const Config& config, JobStore& store, JobQueue& queue, Launcher& launcher, Resolver resolver,
                       DispatchStats& stats, Prober prober, CookieStore* cookies)
    : config_(config),
      store_(store),
      queue_(queue),
      launcher_(launcher),
      resolver_(std::move(resolver)),
      stats_(stats),
      cookies_(cookies),
      prober_(prober ? std::move(prober) : Prober([this](const Job& job) {
        // A copy of the job's domain's cookies for this probe alone (yt-dlp writes the jar back).
        const auto dir = config_.work_dir() / (".probe-" + job.id);
        const std::string jar = record::cookies_copy_for(cookies_, job.url, dir);
        auto probed = record::probe_stream(config_, job.url, {format_selector(job.format, config_.ytdlp_format), jar});
        std::error_code ec;
        if (!jar.empty()) std::filesystem::remove_all(dir, ec);
        return probed;
      })) {}

Dispatcher::~Dispatcher() { stop(); }

void Dispatcher::start(int workers, std::stop_token shutdown) {
  running_ = true;
  on_shutdown_.emplace(std::move(shutdown), [this] { request_stop(); });
  handlers_ = std::max(1, workers);
  threads_.emplace_back([this] { receive_loop(); });
  threads_.emplace_back([this] { keep_leases(); });
  for (int i = 0; i < handlers_; ++i) threads_.emplace_back([this] { handle_loop(); });
}

void Dispatcher::request_stop() {
  {
    std::lock_guard lock(mutex_);
    running_ = false;
  }
  changed_.notify_all();
}

void Dispatcher::stop() {
  request_stop();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
  on_shutdown_.reset();
}

bool Dispatcher::has_capacity() {
  auto counts = store_.count_by_status({JobStatus::starting, JobStatus::recording, JobStatus::uploading});
  if (!counts) return false;
  // Jobs this process is probing are already counted as "starting"; messages it has taken but
  // not claimed yet are not, so they are added.
  const auto busy = (*counts)[JobStatus::starting] + (*counts)[JobStatus::recording] + (*counts)[JobStatus::uploading] +
                    unclaimed_.load();
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

bool Dispatcher::may_receive() {
  {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return !running_ || handling_ < handlers_; });
    if (!running_) return false;
  }
  return has_capacity();
}

void Dispatcher::receive_loop() {
  auto last_dead_letter_check = std::chrono::steady_clock::time_point{};
  while (running_) {
    if (std::chrono::steady_clock::now() - last_dead_letter_check > std::chrono::seconds(5)) {
      last_dead_letter_check = std::chrono::steady_clock::now();
      fail_dead_letters();
    }
    if (!may_receive()) {
      std::unique_lock lock(mutex_);
      changed_.wait_for(lock, std::chrono::milliseconds(250), [this] { return !running_; });
      continue;
    }
    auto message = queue_.receive(kLease, std::chrono::milliseconds(500));
    if (!message) {
      spdlog::error("queue receive failed: {}", message.error().message);
      std::unique_lock lock(mutex_);
      changed_.wait_for(lock, std::chrono::seconds(1), [this] { return !running_; });
      continue;
    }
    if (!message->has_value()) continue;
    ++unclaimed_;
    {
      std::lock_guard lock(mutex_);
      ++handling_;
      inbox_.push_back(**message);
      leased_[(*message)->receipt] = **message;
    }
    changed_.notify_all();
  }
}

void Dispatcher::handle_loop() {
  for (;;) {
    QueueMessage message;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [this] { return !running_ || !inbox_.empty(); });
      // Stopping: what was not taken yet goes back to the queue when its lease runs out.
      if (!running_) return;
      message = std::move(inbox_.front());
      inbox_.pop_front();
    }
    handle(message, /*counted_unclaimed=*/true);
    {
      std::lock_guard lock(mutex_);
      --handling_;
      leased_.erase(message.receipt);
    }
    changed_.notify_all();
  }
}

void Dispatcher::keep_leases() {
  std::unique_lock lock(mutex_);
  while (running_) {
    changed_.wait_for(lock, kLease / 3, [this] { return !running_; });
    std::vector<QueueMessage> held;
    for (const auto& [receipt, m] : leased_) held.push_back(m);
    lock.unlock();
    for (const auto& m : held)
      if (auto r = queue_.extend_visibility(m, kLease); !r)
        spdlog::warn("job {}: cannot extend the queue lease: {}", m.job_id, r.error().message);
    lock.lock();
  }
}

Dispatcher::Handled Dispatcher::handle(const QueueMessage& message) { return handle(message, false); }

Dispatcher::Handled Dispatcher::handle(const QueueMessage& message, bool counted_unclaimed) {
  ++stats_.received;
  const std::string& id = message.job_id;
  const auto takeover_after = std::chrono::milliseconds(static_cast<long long>((config_.probe_timeout_s + 10) * 1000));

  // The claim: pending -> starting is a compare-and-set, so a message delivered twice (or two
  // dispatchers) can never start two recorders. A job stuck in `starting` without a recorder
  // (serve died mid-probe) is taken over once its claim is old enough.
  // An ack that fails leaves the message to come back after its visibility timeout; by then the
  // job is no longer pending, and that delivery is dropped as handled.
  auto ack = [&] {
    if (auto acked = queue_.ack(message); !acked)
      spdlog::warn("job {}: its queue message stays for now (it will come back and be dropped): {}", id,
                   acked.error().message);
    return Handled::done;
  };
  // A job that cannot be ended here stays `starting` without a recorder, and is taken over (and
  // probed again) once its claim is old enough; the reaper ends it if nobody does.
  auto warn_if_unwritten = [&](const char* what, const Result<Job>& written) {
    if (!written) spdlog::warn("job {}: cannot record that it {}: {}", id, what, written.error().message);
  };
  bool not_mine = false;
  auto claimed = update_job(store_, id, [&](Job& j) -> Result<Ok> {
    if (j.status == JobStatus::pending || due_for_check(j, now())) return transition(j, JobStatus::starting, now());
    if (j.status == JobStatus::starting && j.recorder_ref.empty() && j.updated_at &&
        now() - *j.updated_at > takeover_after)
      return Ok{};
    not_mine = true;
    return make_error("skip", "job is " + std::string(to_string(j.status)));
  });
  if (counted_unclaimed) --unclaimed_;  // from here the store counts it (or it is not ours)
  if (!claimed) {
    if (claimed.error().code == "not_found" || not_mine) return ack();
    spdlog::warn("job {}: cannot claim it yet: {}", id, claimed.error().message);
    return Handled::retry;
  }
  Job job = *claimed;
  if (job.stop_requested) {
    warn_if_unwritten("was canceled", update_job(store_, id, [](Job& j) -> Result<Ok> {
                        j.error = Error{"canceled", "canceled before recording started"};
                        return transition(j, JobStatus::canceled, now());
                      }));
    return ack();
  }

  spdlog::info("job {}: probing {}", id, job.url);
  // Names can point somewhere else by now: the policy is checked again before any fetch.
  auto allowed = check_url(job.url, config_.url_policy(), resolver_);
  Result<record::StreamInfo> info = allowed ? prober_(job) : Result<record::StreamInfo>(allowed.error());
  // Not live yet: a job that may wait (wait_for_live_s, or a stream announced for later) goes to
  // `waiting` with its next check planned; the watcher sends it back through the queue then.
  if (!info || info->upcoming) {
    const Error reason =
        info ? Error{"stream_not_started", "the stream at " + job.url + " has not started yet"} : info.error();
    if (is_not_live_yet(reason)) {
      const NotLive why{reason, info ? info->starts_at : std::nullopt};
      const WaitPolicy policy{config_.live_check_max_interval_s, config_.upcoming_wait_s};
      bool waits = false;
      auto planned = update_job(store_, id, [&](Job& j) -> Result<Ok> {
        if (j.status != JobStatus::starting) return make_error("skip", "job left starting");
        if (j.stop_requested) {
          j.error = Error{"canceled", "canceled while waiting for the stream to start"};
          return transition(j, JobStatus::canceled, now());
        }
        waits = plan_next_check(j, why, now(), policy);
        if (waits) return Ok{};
        if (!j.wait_until) return make_error("no_wait", "");
        j.error = not_live_error(j, reason);
        return transition(j, JobStatus::failed, now());
      });
      if (planned) {
        if (waits)
          spdlog::info("job {}: not live yet, next check at {} ({})", id, to_rfc3339(*planned->next_check_at),
                       reason.message);
        else
          spdlog::info("job {}: {}", id, planned->error ? planned->error->message : "ended while waiting");
        return ack();
      }
      if (planned.error().code != "no_wait") {
        warn_if_unwritten("waits for its stream", planned);
        return ack();
      }
    }
    if (info) info = Result<record::StreamInfo>(reason);
  }
  if (!info) {
    ++stats_.rejected;
    spdlog::info("job {}: rejected: {}", id, info.error().message);
    warn_if_unwritten("was rejected", fail_job(store_, id, info.error()));
    return ack();
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
  if (!probed || canceled) return ack();

  auto ref = launcher_.launch(*probed, info->extracted);
  if (!ref) {
    spdlog::error("job {}: launch failed: {}", id, ref.error().message);
    warn_if_unwritten(
        "failed to launch",
        fail_job(store_, id, Error{"launch_failed", "could not start a recorder: " + ref.error().message}));
    return ack();
  }
  ++stats_.launched;
  // The recorder moves its job on by itself; without the reference, though, a stop cannot signal
  // it (it sees the stop at its next heartbeat) and the reaper cannot watch the process.
  auto referenced = update_job(store_, id, [&](Job& j) -> Result<Ok> {
    j.recorder_ref = *ref;
    return Ok{};
  });
  if (!referenced)
    spdlog::error("job {}: recorder {} launched, but its reference is not stored: {}", id, *ref,
                  referenced.error().message);
  spdlog::info("job {}: recorder launched ({}) title=\"{}\"", id, *ref, info->title);
  return ack();
}

}  // namespace chronicle::dispatch
