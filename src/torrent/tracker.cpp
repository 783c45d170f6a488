#include "torrent/tracker.hpp"

#include <signal.h>

#include <spdlog/spdlog.h>

#include <fstream>

#include "sys/process.hpp"

namespace chronicle::torrent {

TrackerSupervisor::~TrackerSupervisor() { stop(); }

namespace {
std::filesystem::path work_dir(const Config& c) { return c.seed_state_dir() / "tracker"; }
}  // namespace

void TrackerSupervisor::start(std::stop_token shutdown) {
  on_shutdown_.emplace(std::move(shutdown), [this] { request_stop(); });
  std::error_code ec;
  std::filesystem::create_directories(work_dir(config_), ec);
  // Started as root, opentracker chroots here and drops to "nobody", which must still enter it
  // and read the access list, whatever chronicle's umask (077). Both hold only infohashes, which
  // are public, and the data directory above stays 0700.
  std::filesystem::permissions(work_dir(config_), std::filesystem::perms(0755), ec);
  sync_whitelist();
  thread_ = std::thread([this] { run(); });
  sync_thread_ = std::thread([this] {
    while (!stopping_) {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, std::chrono::milliseconds(500), [&] { return stopping_.load(); });
      lock.unlock();
      if (!stopping_) sync_whitelist();
    }
  });
}

namespace {

std::set<std::string> infohashes(const Job& j) {
  std::set<std::string> hashes;
  if (!j.torrent) return hashes;
  if (!j.torrent->infohash_v1.empty()) hashes.insert(j.torrent->infohash_v1);
  // Hybrid peers also announce the v2 hash, truncated to 20 bytes.
  if (!j.torrent->infohash_v2.empty()) hashes.insert(j.torrent->infohash_v2.substr(0, 40));
  return hashes;
}

}  // namespace

void TrackerSupervisor::sync_whitelist() {
  std::lock_guard lock(whitelist_mutex_);
  // The change feed, not a listing of every finished job (see FeedFollower).
  auto update = feed_.poll();
  if (!update) return;
  if (update->full) hashes_by_job_.clear();
  bool changed = update->full;
  for (std::size_t i = 0; i < update->jobs.size(); ++i) {
    const Job& j = update->jobs[i];
    if (!update->full && update->removed[i]) {
      changed |= hashes_by_job_.erase(j.id) > 0;
    } else if (auto hashes = infohashes(j); !hashes.empty()) {
      changed = true;
      hashes_by_job_[j.id] = std::move(hashes);
    }
  }
  if (!changed) return;
  std::set<std::string> hashes;
  for (const auto& [id, h] : hashes_by_job_) hashes.insert(h.begin(), h.end());
  if (hashes == whitelisted_) return;
  const auto file = work_dir(config_) / "whitelist";
  {
    std::ofstream out(file.string() + ".tmp");
    for (const auto& h : hashes) out << h << "\n";
  }
  std::error_code ec;
  std::filesystem::permissions(file.string() + ".tmp", std::filesystem::perms(0644), ec);  // see start()
  std::filesystem::rename(file.string() + ".tmp", file, ec);
  whitelisted_ = std::move(hashes);
  if (const int pid = pid_; pid > 0) ::kill(pid, SIGHUP);  // opentracker reloads its access list
}

void TrackerSupervisor::request_stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  if (const int pid = pid_; pid > 0) ::kill(pid, SIGTERM);
  wake_.notify_all();
}

void TrackerSupervisor::stop() {
  request_stop();
  if (thread_.joinable()) thread_.join();
  if (sync_thread_.joinable()) sync_thread_.join();
  on_shutdown_.reset();
}

void TrackerSupervisor::end_leftover(const std::filesystem::path& pid_file, const std::filesystem::path& work) {
  std::ifstream in(pid_file);
  pid_t pid = 0;
  if (!(in >> pid) || pid <= 1) return;
  std::ifstream cmdline("/proc/" + std::to_string(pid) + "/cmdline");
  std::string cmd((std::istreambuf_iterator<char>(cmdline)), std::istreambuf_iterator<char>());
  if (cmd.find("opentracker") == std::string::npos || cmd.find(work.string()) == std::string::npos) return;
  spdlog::warn("tracker: ending opentracker pid {} left by an earlier serve", pid);
  ::kill(pid, SIGTERM);
  for (int i = 0; i < 50 && ::kill(pid, 0) == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  if (::kill(pid, 0) == 0) ::kill(pid, SIGKILL);
}

void TrackerSupervisor::run() {
  const std::string tracker_listen = config_.effective_tracker_listen();
  const auto colon = tracker_listen.rfind(':');
  std::string host = tracker_listen.substr(0, colon);
  const std::string port = tracker_listen.substr(colon + 1);
  if (host.size() > 1 && host.front() == '[') host = host.substr(1, host.size() - 2);
  const auto work = work_dir(config_);
  // opentracker started as root drops to "nobody", which clears the parent-death signal: one
  // left by a serve that was killed still holds the port. It is found by its pid file (and its
  // command line, as pids are reused) and ended before a new one starts.
  const auto pid_file = work / "opentracker.pid";
  end_leftover(pid_file, work);
  auto backoff = std::chrono::seconds(1);
  bool first = true;
  while (!stopping_) {
    sys::SpawnOptions o;
    // Started as root, opentracker chroots into -d and drops to "nobody"; started as anyone
    // else, it only changes into -d. The access list is named relative to -d so that both
    // find it (and after the drop it is readable whatever the permissions above it).
    o.argv = {config_.opentracker, "-p", port, "-P", port, "-d", work.string(), "-w", "whitelist"};
    if (!host.empty() && host != "*") {
      o.argv.emplace_back("-i");
      o.argv.push_back(host);
    }
    o.cwd = work;
    o.new_process_group = true;
    o.parent_death_signal = SIGTERM;  // the tracker never outlives serve
    o.output_file = config_.logs_dir() / "opentracker.log";
    const auto started = std::chrono::steady_clock::now();
    auto child = sys::spawn(o);
    if (!child) {
      spdlog::error("tracker: {}", child.error().message);
    } else {
      pid_ = child->pid;
      if (stopping_) ::kill(child->pid, SIGTERM);  // the stop came while it was starting
      std::ofstream(pid_file) << child->pid << "\n";
      if (!first) ++restarts_;
      first = false;
      spdlog::info("tracker: opentracker pid {} on {} (tcp+udp)", child->pid, tracker_listen);
      const auto status = sys::wait_for(child->pid);
      pid_ = 0;
      if (stopping_) break;
      spdlog::warn("tracker: opentracker exited ({}); restarting in {} s", sys::describe(status), backoff.count());
      if (std::chrono::steady_clock::now() - started > std::chrono::minutes(1)) backoff = std::chrono::seconds(1);
    }
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, backoff, [&] { return stopping_.load(); });
    backoff = std::min(backoff * 2, std::chrono::seconds(30));
  }
}

}  // namespace chronicle::torrent
