#include <signal.h>

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <thread>

#include "app/app.hpp"
#include "app/launchers.hpp"
#include "aws/lambda_runtime.hpp"
#include "backend/backend.hpp"
#include "core/channel_service.hpp"
#include "core/service.hpp"
#include "dispatch/dispatcher.hpp"
#include "dispatch/lambda_clip_cutter.hpp"
#include "dispatch/reaper.hpp"
#include "http/metrics.hpp"
#include "http/routes.hpp"
#include "lambda/event_source_queue.hpp"
#include "lambda/handler.hpp"
#include "notify/notifier.hpp"
#include "record/clips.hpp"
#include "record/probe.hpp"
#include "sys/resolve.hpp"
#include "watch/watcher.hpp"

namespace chronicle::app {

int run_lambda(const Config& config, const std::optional<std::filesystem::path>& config_file) {
  setup_logging(config);
  signal(SIGPIPE, SIG_IGN);
  const char* api = std::getenv("AWS_LAMBDA_RUNTIME_API");
  if (!api || !*api) {
    spdlog::error("chronicle lambda is the bootstrap of a Lambda function: AWS_LAMBDA_RUNTIME_API is not set");
    return 2;
  }
  const aws::LambdaRuntime runtime(api);
  auto backend = open_backend(config);
  if (!backend) {
    spdlog::error("{}", backend.error().message);
    // Exiting reports the failure to Lambda too; this call only adds the reason.
    (void)runtime.fail_init("BackendUnavailable", backend.error().message);
    return 1;
  }

  Launchers launchers(config, config_file);
  Launcher& launcher = launchers.chosen();
  Resolver resolver = sys::resolve_host;
  JobService service(*backend->store, *backend->queue, *backend->objects, &launcher, config.url_policy(), resolver);
  std::optional<dispatch::LambdaClipCutter> clip_cutter;
  if (!config.clip_function.empty()) {
    clip_cutter.emplace(aws::Client(aws::Settings::from_environment()), config.clip_function, config.lambda_endpoint);
    service.set_clip_cutter(&*clip_cutter);
  }
  http::Metrics metrics;
  dispatch::DispatchStats stats;
  http::Router router(config, service, metrics, [&stats] { return stats.counters(); });
  std::optional<ChannelService> channels;
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
  lambda::EventSourceQueue queue(*backend->queue);
  dispatch::Dispatcher dispatcher(config, *backend->store, queue, launcher, resolver, stats, {},
                                  backend->cookies.get());
  dispatch::Reaper reaper(config, *backend->store, *backend->objects, launcher, stats);
  // The scheduled event (once a minute) is the watcher's tick on AWS: a channel is checked at most
  // once a minute here, whatever its poll_interval_s below that.
  lambda::Handler handler(router, dispatcher, queue, config.max_body_bytes, config.max_receive_count, [&] {
    reaper.sweep();
    watch::Watcher watcher(service, channels ? &*channels : nullptr, config.channel_check_concurrency);
    watcher.set_retention(config.retention_policy(), config.retention_interval_s);
    const auto pass = watcher.run_once();
    nlohmann::json out = {{"checks_sent", pass.checks_sent},
                          {"channels_checked", pass.channels_checked},
                          {"recordings_deleted", pass.recordings_deleted}};
    if (notifier) {
      // The webhooks' sender on AWS: job events since the last pass are queued from the job feed,
      // then what is due is sent, for at most a minute so the pass ends well inside the function's
      // timeout (what is left waits for the next pass).
      auto queued = notifier->follow_jobs();
      if (!queued) spdlog::warn("webhooks: cannot read the job feed: {}", queued.error().message);
      out["webhooks_queued"] = queued ? *queued : 0;
      out["webhooks_delivered"] = notifier->send_due(now() + std::chrono::seconds(60));
    }
    return out;
  });
  spdlog::info("chronicle lambda ready: backend={} launcher={}", to_string(config.backend), to_string(config.launcher));

  for (;;) {
    auto invocation = runtime.next();
    if (!invocation) {
      // Lambda restarts a runtime that exits; looping on a broken Runtime API would not help.
      spdlog::error("{}", invocation.error().message);
      return 1;
    }
    const auto event = nlohmann::json::parse(invocation->body, nullptr, false);
    Result<nlohmann::json> outcome = make_error("InvalidEvent", "the event is not JSON");
    if (event.is_object() && event.value("chronicle", "") == dispatch::kCutClipEvent) {
      // A clip the API function asked for (LambdaClipCutter): cut here, from the stored recording.
      auto cut = record::cut_clip(config, *backend->store, *backend->objects, event.value("job_id", ""),
                                  event.value("clip_id", ""));
      outcome =
          cut ? Result<nlohmann::json>(nlohmann::json{{"clip", to_json(*cut)}}) : Result<nlohmann::json>(cut.error());
    } else if (!event.is_discarded()) {
      try {
        outcome = handler.handle(event);
      } catch (const std::exception& e) {
        outcome = make_error("InternalError", e.what());
      }
    }
    auto posted = outcome ? runtime.respond(invocation->request_id, outcome->dump())
                          : runtime.fail(invocation->request_id, outcome.error().code, outcome.error().message);
    if (!outcome) spdlog::warn("lambda: invocation {} failed: {}", invocation->request_id, outcome.error().message);
    if (!posted) spdlog::error("{}", posted.error().message);
    launchers.process.reap();
  }
}

}  // namespace chronicle::app
