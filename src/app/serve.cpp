#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <fstream>
#include <thread>

#include "app/app.hpp"
#include "app/launchers.hpp"
#include "backend/backend.hpp"
#include "core/channel_service.hpp"
#include "core/service.hpp"
#include "dispatch/dispatcher.hpp"
#include "dispatch/reaper.hpp"
#include "http/server.hpp"
#include "notify/notifier.hpp"
#include "record/clips.hpp"
#include "record/probe.hpp"
#include "record/tools.hpp"
#include "sys/access.hpp"
#include "sys/disk.hpp"
#include "sys/http_fetch.hpp"
#include "sys/process.hpp"
#include "sys/resolve.hpp"
#include "torrent/seeder.hpp"
#include "torrent/tracker.hpp"
#include "watch/watcher.hpp"

namespace chronicle::app {
namespace fs = std::filesystem;

void setup_logging(const Config& config) {
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v");
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  spdlog::flush_on(spdlog::level::info);
}

namespace {

fs::path find_web_root(const Config& config) {
  if (!config.web_root.empty()) return config.web_root;
  const fs::path exe_dir = sys::self_executable().parent_path();
  for (const auto& candidate : {exe_dir / "../share/chronicle/web", exe_dir / "web", exe_dir / "../web/dist"}) {
    std::error_code ec;
    if (fs::is_regular_file(candidate / "index.html", ec)) return fs::weakly_canonical(candidate, ec);
  }
  return {};
}

}  // namespace

int run_serve(Config config, const std::optional<fs::path>& config_file, nlohmann::json settings) {
  if (auto closed = sys::keep_data_dir_private(config.data_dir); !closed) {
    spdlog::error("cannot start: {}", closed.error().message);
    return 1;
  }
  setup_logging(config);
  config.web_root = find_web_root(config);
  std::error_code ec;
  for (const auto& dir :
       {config.data_dir, config.recordings_dir(), config.work_dir(), config.logs_dir(), config.seed_state_dir()}) {
    fs::create_directories(dir, ec);
    if (ec) {
      spdlog::error("cannot create {}: {}", dir.string(), ec.message());
      return 1;
    }
  }
  config.data_dir = fs::canonical(config.data_dir);
  // One serve per data directory: two would dispatch, reap and seed the same jobs. The lock is
  // the kernel's (flock), so it goes with the process however it ends; recorders do not hold it.
  const fs::path lock_path = config.data_dir / "serve.lock";
  sys::UniqueFd lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (lock.get() < 0 || ::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
    std::string holder;
    std::ifstream(lock_path) >> holder;
    spdlog::error("cannot start: another chronicle serve{} is already using {}",
                  holder.empty() ? "" : " (pid " + holder + ")", config.data_dir.string());
    return 1;
  }
  if (::ftruncate(lock.get(), 0) == 0) {
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::write(lock.get(), pid.data(), pid.size()) < 0) spdlog::warn("cannot write {}", lock_path.string());
  }
  // Beyond loopback, anyone who can reach the port could record, read and delete: such a server
  // never runs open. The token is printed this once; `chronicle token` shows it again.
  if (config.token.empty() && !config.listens_on_loopback()) {
    auto created = sys::create_token_file(config.token_file());
    if (!created) {
      spdlog::error("cannot start: {} (set CHRONICLE_TOKEN instead)", created.error().message);
      return 1;
    }
    config.token = *created;
    std::printf(
        "chronicle: %s is reachable beyond this machine, so the API needs a token. A new one is in %s\n"
        "  (mode 0600; `chronicle token --data %s` shows it again):\n\n  %s\n\n",
        config.listen.c_str(), config.token_file().c_str(), config.data_dir.c_str(), config.token.c_str());
    std::fflush(stdout);
  }
  // Recorders need these on this machine; an ECS launcher's recorders check their own image.
  std::map<std::string, std::string> tools;
  if (config.launcher == LauncherKind::process) {
    auto found = record::check_tools(config);
    if (!found) {
      spdlog::error("cannot start: {}", found.error().message);
      return 1;
    }
    tools = *found;
    spdlog::info("tools: yt-dlp {}, ffmpeg {}, ffprobe {}", tools["yt-dlp"], tools["ffmpeg"], tools["ffprobe"]);
  }
  const auto tool_warnings = record::tool_warnings(tools, std::chrono::system_clock::now());
  for (const auto& w : tool_warnings) spdlog::warn("{}", w);
  for (const auto& name : sys::ignored_proxy_variables())
    spdlog::warn(
        "{} is set and ignored: chronicle connects only to addresses it has checked, and a proxy would "
        "resolve names itself (yt-dlp and ffmpeg go through chronicle's egress guard)",
        name);

  signal(SIGPIPE, SIG_IGN);

  auto backend = open_backend(config);
  if (!backend) {
    spdlog::error("{}", backend.error().message);
    return 1;
  }
  Launchers launchers(config, config_file);
  Launcher& launcher = launchers.chosen();
  Resolver resolver = sys::resolve_host;
  JobService service(*backend->store, *backend->queue, *backend->objects, &launcher, config.url_policy(), resolver);
  if (config.launcher == LauncherKind::process)
    service.guard_disk([&config] { return sys::disk_space(config.work_dir()); },
                       [&config](std::uint64_t total) { return config.disk_reserve_for(total); });
  // Clips are cut here, beside the recordings: from the journal while a job records (embedded), from
  // the stored file (or its presigned URL) once stored.
  record::ClipWorker clip_worker(config, *backend->store, *backend->objects, 1);
  service.set_clip_cutter(&clip_worker);
  clip_worker.resume();
  http::Metrics metrics;
  dispatch::DispatchStats stats;
  std::optional<torrent::TrackerSupervisor> tracker;
  std::optional<torrent::Seeder> seeder;
  std::optional<ChannelService> channels;
  http::Router router(config, service, metrics, [&] {
    auto m = stats.counters();
    if (seeder) m.merge(seeder->counters());
    if (tracker) m["chronicle_tracker_restarts_total"] = tracker->restarts();
    if (channels) m.merge(channels->stats().counters());
    return m;
  });
  router.guard_browsers();
  router.set_settings({{"settings", std::move(settings)},
                       {"file", config_file ? nlohmann::json(config_file->string()) : nlohmann::json(nullptr)}});
  router.set_info([&config, tools, tool_warnings] {
    nlohmann::json info = {{"version", kVersion}, {"tools", tools}, {"warnings", tool_warnings}};
    if (auto space = sys::disk_space(config.work_dir())) {
      info["disk"] = {{"free", space->free},
                      {"total", space->total},
                      {"reserve", config.disk_reserve_for(space->total)},
                      {"floor", config.disk_floor_for(space->total)}};
    }
    return info;
  });
  router.set_seeding_info([&seeder](const std::string& id) -> std::optional<SeedingStats> {
    return seeder ? seeder->stats(id) : std::nullopt;
  });
  if (backend->channels) {
    channels.emplace(
        *backend->channels, *backend->store, service, config.url_policy(), resolver,
        ChannelSettings{config.channel_poll_interval_s, config.channel_min_poll_interval_s, config.max_channels},
        [&config](const std::string& url) { return record::check_live(config, url); });
    router.set_channels(&*channels);
  }
  router.set_cookies(backend->cookies.get());
  std::optional<notify::Notifier> notifier;
  if (backend->webhooks) {
    notifier.emplace(*backend->webhooks, *backend->store, config.url_policy());
    router.set_webhooks(backend->webhooks.get());
    if (channels) notifier->watch_channels(*channels);
  }
  http::HttpServer server(config, router, service, metrics);
  if (channels) server.watch_channels([&channels] { return channels->list(); });
  if (auto listening = server.listen(config.listen); !listening) {
    spdlog::error("{}", listening.error().message);
    return 1;
  }

  // How serve runs and stops. Threads: the I/O thread (HTTP, SSE, the change feed, signals), the
  // HTTP pool (storage calls and file reads for it), the dispatcher (a receiver, its handlers and a
  // lease keeper), the reaper, the watcher (a
  // scheduler and its channel checkers), the seeder and the tracker's supervisor. One stop: SIGINT/SIGTERM (or
  // the server ending) requests `shutdown`; every component is started with its token and wakes at
  // once; then each is waited for below. Recorders are processes of their own and keep recording.
  std::stop_source shutdown;
  server.stop_on(shutdown.get_token(), [&shutdown](int sig) {
    spdlog::info("received {}, shutting down (recordings keep going)", strsignal(sig));
    shutdown.request_stop();
  });
  dispatch::Dispatcher dispatcher(config, *backend->store, *backend->queue, launcher, resolver, stats, {},
                                  backend->cookies.get());
  dispatch::Reaper reaper(config, *backend->store, *backend->objects, launcher, stats,
                          [&launchers] { launchers.process.reap(); });
  watch::Watcher watcher(service, channels ? &*channels : nullptr, config.channel_check_concurrency);
  dispatcher.start(config.dispatch_concurrency, shutdown.get_token());
  reaper.start(shutdown.get_token());
  watcher.set_retention(config.retention_policy(), config.retention_interval_s, /*always=*/true);
  watcher.start(shutdown.get_token());
  if (notifier) notifier->start(shutdown.get_token());
  // The built-in tracker runs only when no external tracker is configured.
  if (config.tracker_enabled && config.trackers.empty()) {
    tracker.emplace(config, *backend->store);
    tracker->start(shutdown.get_token());
  }
  if (config.seed_enabled && config.torrent_enabled) {
    seeder.emplace(config, *backend->store, *backend->objects);
    seeder->set_before_add([&tracker] {
      if (tracker) tracker->sync_whitelist();
    });
    if (auto started = seeder->start(shutdown.get_token()); !started) {
      spdlog::error("{}", started.error().message);
      seeder.reset();
    }
  }
  // Python imports yt-dlp now rather than when the first job is probed. Started after every
  // port of serve's own is bound: its egress guards take ports of the kernel's choosing.
  record::start_resident_extractor(config);

  spdlog::info("chronicle serving on http://{} data={} backend={} web={} max_recordings={}", config.listen,
               config.data_dir.string(), to_string(config.backend),
               config.web_root.empty() ? "built-in page" : config.web_root.string(), config.max_concurrent_recordings);
  server.run();

  const auto stopping_since = std::chrono::steady_clock::now();
  shutdown.request_stop();  // also when the server ended for another reason
  dispatcher.stop();
  reaper.stop();
  watcher.stop();
  if (notifier) notifier->stop();
  if (seeder) seeder->stop();
  if (tracker) tracker->stop();
  spdlog::info(
      "stopped in {} ms",
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - stopping_since).count());
  return 0;
}

}  // namespace chronicle::app
