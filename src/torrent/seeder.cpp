#include "torrent/seeder.hpp"

#include <spdlog/spdlog.h>
#include <libtorrent/alert_types.hpp>
#include <libtorrent/read_resume_data.hpp>
#include <libtorrent/session.hpp>
#include <libtorrent/settings_pack.hpp>
#include <libtorrent/torrent_info.hpp>
#include <libtorrent/write_resume_data.hpp>

#include "core/feed.hpp"
#include "sys/sha256.hpp"

#include <fstream>
#include <future>
#include <iterator>
#include <set>

namespace chronicle::torrent {
namespace lt = libtorrent;
namespace fs = std::filesystem;

namespace {
std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}
const char* state_name(lt::torrent_status::state_t s) {
  switch (s) {
    case lt::torrent_status::checking_files:
      return "checking";  // hashing the file
    case lt::torrent_status::checking_resume_data:
      return "loading";  // reading resume data: no hashing
    case lt::torrent_status::seeding:
    case lt::torrent_status::finished:
      return "seeding";
    default:
      return "downloading";
  }
}
}  // namespace

struct Seeder::Impl {
  const Config& config;
  JobStore& store;
  ObjectStore& objects;
  std::unique_ptr<lt::session> session;
  std::thread thread;
  std::atomic<bool> running{false};         // started, and not stopped yet
  std::atomic<bool> stop_requested{false};  // the loop ends within one alert wait
  std::optional<std::stop_callback<std::function<void()>>> on_shutdown;

  mutable std::mutex mutex;
  std::map<std::string, lt::torrent_handle> torrents;  // job id -> handle
  std::map<std::string, SeedingStats> stats;           // job id -> last state update
  std::set<std::string> announced;                     // jobs a tracker has accepted
  std::atomic<std::uint64_t> hash_checks{0};
  std::atomic<std::uint64_t> resumed{0};
  std::atomic<int> pending_resume_saves{0};
  std::function<void()> before_add;

  Impl(const Config& c, JobStore& s, ObjectStore& o) : config(c), store(s), objects(o) {}

  fs::path resume_path(const std::string& job_id) const { return config.seed_state_dir() / (job_id + ".resume"); }

  std::string job_of(const lt::torrent_handle& h) const {
    for (const auto& [id, handle] : torrents)
      if (handle == h) return id;
    return {};
  }

  // Recordings in a remote store are copied here first (libtorrent seeds from files).
  struct Fetch {
    std::future<Result<Ok>> done;
  };
  std::map<std::string, Fetch> fetching;  // job id -> copy in progress (reconcile thread only)
  std::map<std::string, std::chrono::steady_clock::time_point> fetch_failed_at;
  std::atomic<std::uint64_t> fetched_bytes{0};

  FeedFollower feed{store, {JobStatus::completed, JobStatus::failed}};
  std::map<std::string, Job> waiting;  // to seed, not seeding yet: being copied, or the copy failed

  fs::path cache_dir(const std::string& job_id) const { return config.seed_cache_dir() / job_id; }

  // The recording and its torrent as local files: from the store itself, or from the cache
  // once they were fetched. nullopt while they are not there (yet).
  std::optional<std::pair<fs::path, fs::path>> local_files(const Job& job) {
    const std::string torrent_key = job.torrent->key;
    std::error_code ec;
    if (auto recording = objects.local_path(job.recording->key)) {
      auto torrent = objects.local_path(torrent_key);
      if (!torrent || !fs::exists(*recording, ec) || !fs::exists(*torrent, ec)) return std::nullopt;
      return std::pair{*recording, *torrent};
    }
    const fs::path dir = cache_dir(job.id);
    const fs::path recording = dir / fs::path(job.recording->key).filename();
    const fs::path torrent = dir / "job.torrent";
    if (fs::exists(recording, ec) && fs::exists(torrent, ec)) return std::pair{recording, torrent};
    start_fetch(job, recording, torrent);
    return std::nullopt;
  }

  void start_fetch(const Job& job, const fs::path& recording, const fs::path& torrent) {
    if (fetching.count(job.id)) return;
    // A failed copy is tried again, but not on every reconcile.
    if (auto it = fetch_failed_at.find(job.id);
        it != fetch_failed_at.end() && std::chrono::steady_clock::now() - it->second < std::chrono::minutes(1))
      return;
    const std::string torrent_key = job.torrent->key;
    const StoredRecording stored = *job.recording;
    const std::string id = job.id;
    spdlog::info("seed: job {}: fetching {} ({} bytes) from storage", id, stored.key, stored.size);
    fetching[id].done =
        std::async(std::launch::async, [this, id, stored, torrent_key, recording, torrent]() -> Result<Ok> {
          std::error_code ec;
          fs::create_directories(recording.parent_path(), ec);
          if (auto r = objects.fetch(torrent_key, torrent); !r) return r;
          if (auto r = objects.fetch(stored.key, recording.string() + ".unverified"); !r) return r;
          // The copy is checked against the hash the recorder stored before anyone is served it.
          if (!stored.sha256.empty()) {
            auto digest = sys::sha256_file(recording.string() + ".unverified");
            if (!digest || *digest != stored.sha256) {
              fs::remove(recording.string() + ".unverified", ec);
              fs::remove(torrent, ec);
              return make_error("integrity_error", "the copy of " + stored.key + " does not match its SHA-256");
            }
          }
          fs::rename(recording.string() + ".unverified", recording, ec);
          if (ec) return make_error("io_error", "cannot place " + recording.string() + ": " + ec.message());
          fetched_bytes += stored.size;
          return Ok{};
        });
  }

  // Collects finished copies; their jobs are added on this reconcile.
  void collect_fetches() {
    for (auto it = fetching.begin(); it != fetching.end();) {
      if (it->second.done.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
        ++it;
        continue;
      }
      auto result = it->second.done.get();
      if (result) {
        spdlog::info("seed: job {}: fetched from storage", it->first);
        fetch_failed_at.erase(it->first);
      } else {
        spdlog::warn("seed: job {}: {}", it->first, result.error().message);
        fetch_failed_at[it->first] = std::chrono::steady_clock::now();
      }
      it = fetching.erase(it);
    }
  }

  void add(const Job& job) {
    const std::string torrent_key = job.torrent->key;
    auto files = local_files(job);
    if (!files) return;
    if (before_add) before_add();
    const auto& [recording_path, torrent_path] = *files;
    std::error_code ec;
    lt::error_code lec;
    const std::string bytes = read_file(torrent_path);
    auto ti = std::make_shared<lt::torrent_info>(bytes.data(), static_cast<int>(bytes.size()), lec);
    if (lec) {
      spdlog::warn("seed: job {}: unreadable torrent {}: {}", job.id, torrent_key, lec.message());
      return;
    }
    lt::add_torrent_params atp;
    bool from_resume = false;
    if (fs::exists(resume_path(job.id), ec)) {
      const std::string resume = read_file(resume_path(job.id));
      atp = lt::read_resume_data(lt::span<const char>(resume.data(), static_cast<long>(resume.size())), lec);
      from_resume = !lec;
      if (lec) atp = lt::add_torrent_params{};
    }
    atp.ti = ti;
    atp.save_path = recording_path.parent_path().string();
    // A torrent we made from this very file: nothing to verify up front. With resume data
    // libtorrent trusts its saved piece map; without, seed mode checks pieces lazily.
    if (!from_resume) atp.flags |= lt::torrent_flags::seed_mode;
    atp.flags |= lt::torrent_flags::auto_managed;
    atp.flags &= ~lt::torrent_flags::paused;
    auto handle = session->add_torrent(std::move(atp), lec);
    if (lec) {
      spdlog::warn("seed: job {}: cannot add torrent: {}", job.id, lec.message());
      return;
    }
    if (from_resume) ++resumed;
    std::lock_guard lock(mutex);
    torrents[job.id] = handle;
    spdlog::info("seed: seeding job {} ({}){}", job.id, job.recording->key, from_resume ? " from resume data" : "");
  }

  static bool seedable(const Job& job) { return job.recording && job.torrent; }

  bool known(const std::string& id) {
    std::lock_guard lock(mutex);
    return torrents.count(id) > 0;
  }

  // Follows the change feed (see FeedFollower): a new recording is added, a deleted one dropped,
  // and nothing is read about the thousands of recordings that did not change.
  void reconcile() {
    collect_fetches();
    if (auto update = feed.poll()) {
      if (update->full) {
        replace_all(update->jobs);
      } else {
        for (std::size_t i = 0; i < update->jobs.size(); ++i) {
          const Job& job = update->jobs[i];
          // Deleted, or its recording deleted by retention: no longer seeded.
          if (update->removed[i] || !seedable(job))
            drop(job.id);
          else if (seedable(job) && !known(job.id))
            waiting[job.id] = job;
        }
      }
    }
    // Recordings still being copied from storage (or whose copy failed) are tried again.
    for (auto it = waiting.begin(); it != waiting.end();) {
      if (!known(it->first)) add(it->second);
      it = known(it->first) ? waiting.erase(it) : std::next(it);
    }
  }

  void replace_all(const std::vector<Job>& jobs) {
    std::set<std::string> wanted;
    waiting.clear();
    for (const auto& job : jobs) {
      if (!seedable(job)) continue;
      wanted.insert(job.id);
      if (!known(job.id)) waiting[job.id] = job;
    }
    std::vector<std::string> gone;
    {
      std::lock_guard lock(mutex);
      for (const auto& [id, h] : torrents)
        if (!wanted.count(id)) gone.push_back(id);
    }
    for (const auto& id : gone) drop(id);
    // Copies of recordings deleted meanwhile (also while this node was down, or mid-fetch).
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(config.seed_cache_dir(), ec)) {
      const std::string id = entry.path().filename().string();
      if (!wanted.count(id) && !fetching.count(id)) {
        fs::remove_all(entry.path(), ec);
        spdlog::info("seed: dropped the local copy of job {} (deleted)", id);
      }
    }
  }

  void drop(const std::string& id) {
    waiting.erase(id);
    std::optional<lt::torrent_handle> handle;
    {
      std::lock_guard lock(mutex);
      if (auto it = torrents.find(id); it != torrents.end()) {
        handle = it->second;
        torrents.erase(it);
      }
      stats.erase(id);
      announced.erase(id);
    }
    std::error_code ec;
    if (handle) {
      session->remove_torrent(*handle);
      fs::remove(resume_path(id), ec);
      spdlog::info("seed: stopped seeding job {} (its recording was deleted)", id);
    }
    if (!fetching.count(id) && fs::exists(config.seed_cache_dir() / id, ec)) {
      fs::remove_all(config.seed_cache_dir() / id, ec);
      spdlog::info("seed: dropped the local copy of job {} (deleted)", id);
    }
  }

  void save_all_resume_data() {
    std::lock_guard lock(mutex);
    for (const auto& [id, h] : torrents) {
      if (!h.is_valid()) continue;
      h.save_resume_data(lt::torrent_handle::save_info_dict);
      ++pending_resume_saves;
    }
  }

  void handle_alerts() {
    std::vector<lt::alert*> alerts;
    session->pop_alerts(&alerts);
    for (lt::alert* a : alerts) {
      if (auto* st = lt::alert_cast<lt::state_update_alert>(a)) {
        std::lock_guard lock(mutex);
        for (const auto& s : st->status) {
          const std::string id = job_of(s.handle);
          if (id.empty()) continue;
          const double ratio = s.total_wanted > 0 ? static_cast<double>(s.all_time_upload) / s.total_wanted : 0;
          stats[id] = SeedingStats{(s.flags & lt::torrent_flags::paused) ? "paused" : state_name(s.state), s.num_peers,
                                   static_cast<std::uint64_t>(s.all_time_upload), ratio, announced.count(id) > 0};
        }
      } else if (auto* sc = lt::alert_cast<lt::state_changed_alert>(a)) {
        if (sc->state == lt::torrent_status::checking_files) ++hash_checks;
      } else if (auto* rd = lt::alert_cast<lt::save_resume_data_alert>(a)) {
        std::string id;
        {
          std::lock_guard lock(mutex);
          id = job_of(rd->handle);
        }
        if (!id.empty()) {
          const auto buf = lt::write_resume_data_buf(rd->params);
          const fs::path tmp = resume_path(id).string() + ".tmp";
          std::ofstream(tmp, std::ios::binary).write(buf.data(), static_cast<std::streamsize>(buf.size()));
          std::error_code ec;
          fs::rename(tmp, resume_path(id), ec);
        }
        --pending_resume_saves;
      } else if (lt::alert_cast<lt::save_resume_data_failed_alert>(a)) {
        --pending_resume_saves;
      } else if (auto* tr = lt::alert_cast<lt::tracker_reply_alert>(a)) {
        std::lock_guard lock(mutex);
        const std::string id = job_of(tr->handle);
        if (!id.empty()) announced.insert(id);
      } else if (auto* te = lt::alert_cast<lt::tracker_error_alert>(a)) {
        // A tracker that refused us (e.g. its access list was not updated yet) is asked again
        // soon rather than after libtorrent's long back-off.
        spdlog::info("seed: {}", te->message());
        if (te->times_in_row <= 5) te->handle.force_reannounce(3 * te->times_in_row, -1);
      } else if (a->category() & lt::alert_category::error) {
        spdlog::warn("seed: {}", a->message());
      }
    }
  }

  void run() {
    auto last_reconcile = std::chrono::steady_clock::time_point{};
    auto last_save = std::chrono::steady_clock::now();
    while (!stop_requested) {
      const auto t = std::chrono::steady_clock::now();
      if (t - last_reconcile > std::chrono::milliseconds(500)) {
        reconcile();
        session->post_torrent_updates();
        last_reconcile = t;
      }
      if (t - last_save > std::chrono::minutes(5)) {
        save_all_resume_data();
        last_save = t;
      }
      session->wait_for_alert(std::chrono::milliseconds(250));
      handle_alerts();
    }
  }
};

Seeder::Seeder(const Config& config, JobStore& store, ObjectStore& objects)
    : impl_(std::make_unique<Impl>(config, store, objects)) {}

Seeder::~Seeder() { stop(); }

void Seeder::set_before_add(std::function<void()> hook) { impl_->before_add = std::move(hook); }

Result<Ok> Seeder::start(std::stop_token shutdown) {
  const auto& c = impl_->config;
  std::error_code ec;
  fs::create_directories(c.seed_state_dir(), ec);
  lt::settings_pack pack;
  pack.set_str(lt::settings_pack::listen_interfaces, c.effective_seed_listen());
  pack.set_str(lt::settings_pack::user_agent, "chronicle/0.1 libtorrent/" LIBTORRENT_VERSION);
  pack.set_bool(lt::settings_pack::enable_dht, c.seed_dht);
  pack.set_bool(lt::settings_pack::enable_lsd, c.seed_lsd);
  pack.set_bool(lt::settings_pack::enable_upnp, c.seed_upnp);
  pack.set_bool(lt::settings_pack::enable_natpmp, c.seed_natpmp);
  pack.set_int(lt::settings_pack::active_seeds, c.seed_active_limit);
  pack.set_int(lt::settings_pack::active_limit, c.seed_active_limit);
  if (c.seed_ratio_limit > 0)
    pack.set_int(lt::settings_pack::share_ratio_limit, static_cast<int>(c.seed_ratio_limit * 100));
  if (c.seed_time_limit_s > 0) pack.set_int(lt::settings_pack::seed_time_limit, static_cast<int>(c.seed_time_limit_s));
  // Downloaders behind one NAT (or on this machine) share an address.
  pack.set_bool(lt::settings_pack::allow_multiple_connections_per_ip, true);
  pack.set_int(lt::settings_pack::alert_mask, lt::alert_category::error | lt::alert_category::status |
                                                  lt::alert_category::storage | lt::alert_category::tracker);
  try {
    impl_->session = std::make_unique<lt::session>(lt::session_params(pack));
  } catch (const std::exception& e) {
    return make_error("seed_error", std::string("cannot start the seeder: ") + e.what());
  }
  impl_->running = true;
  impl_->on_shutdown.emplace(std::move(shutdown), [this] { impl_->stop_requested = true; });
  impl_->thread = std::thread([this] { impl_->run(); });
  spdlog::info("seed: listening on {} (dht={} lsd={} upnp={} natpmp={})", c.effective_seed_listen(), c.seed_dht,
               c.seed_lsd, c.seed_upnp, c.seed_natpmp);
  return Ok{};
}

void Seeder::stop() {
  if (!impl_->running.exchange(false)) return;
  impl_->stop_requested = true;
  if (impl_->thread.joinable()) impl_->thread.join();
  impl_->on_shutdown.reset();
  impl_->save_all_resume_data();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (impl_->pending_resume_saves > 0 && std::chrono::steady_clock::now() < deadline) {
    impl_->session->wait_for_alert(std::chrono::milliseconds(200));
    impl_->handle_alerts();
  }
  impl_->session.reset();
}

std::optional<SeedingStats> Seeder::stats(const std::string& job_id) const {
  std::lock_guard lock(impl_->mutex);
  auto it = impl_->stats.find(job_id);
  if (it == impl_->stats.end()) return std::nullopt;
  return it->second;
}

std::map<std::string, std::uint64_t> Seeder::counters() const {
  std::lock_guard lock(impl_->mutex);
  std::uint64_t peers = 0, uploaded = 0;
  for (const auto& [id, s] : impl_->stats) {
    peers += static_cast<std::uint64_t>(s.peers);
    uploaded += s.uploaded;
  }
  return {{"chronicle_seed_torrents", impl_->torrents.size()},
          {"chronicle_seed_peers", peers},
          {"chronicle_seed_uploaded_bytes_total", uploaded},
          {"chronicle_seed_hash_checks_total", impl_->hash_checks.load()},
          {"chronicle_seed_resumed_total", impl_->resumed.load()},
          {"chronicle_seed_fetched_bytes_total", impl_->fetched_bytes.load()}};
}

}  // namespace chronicle::torrent
