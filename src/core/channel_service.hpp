#pragma once
// The use cases of channels: add, change, remove, and the check that turns a live session into a
// job. The API, the CLI's `channel check`, the watcher in serve and the scheduled Lambda all go
// through here.
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/channel.hpp"
#include "core/service.hpp"

namespace chronicle {

// What a client may set on a channel: all of it on add (url required), any of it on update
// except the URL.
struct ChannelRequest {
  std::optional<std::string> url, name, prefix, name_format, format;
  std::optional<double> poll_interval_s;
  std::optional<bool> enabled;
  std::optional<bool> chat;
};

struct ChannelSettings {
  double default_interval_s = 60;
  double min_interval_s = 10;
  int max_channels = 1000;
};

// What the checks did, for /metrics.
struct ChannelStats {
  std::atomic<std::uint64_t> checks{0};            // checks made
  std::atomic<std::uint64_t> failed_checks{0};     // checks that could not tell (state `error`)
  std::atomic<std::uint64_t> sessions_started{0};  // jobs created for a live session
  std::map<std::string, std::uint64_t> counters() const {
    return {{"chronicle_channel_checks_total", checks.load()},
            {"chronicle_channel_check_errors_total", failed_checks.load()},
            {"chronicle_channel_sessions_started_total", sessions_started.load()}};
  }
};

// Asks whether a URL is live now (record::check_live: yt-dlp).
using LiveProbe = std::function<Result<LiveCheck>(const std::string& url)>;

class ChannelService {
 public:
  ChannelService(ChannelStore& channels, JobStore& jobs, JobService& job_service, UrlPolicy policy, Resolver resolver,
                 ChannelSettings settings, LiveProbe probe)
      : channels_(channels),
        jobs_(jobs),
        job_service_(job_service),
        policy_(std::move(policy)),
        resolver_(std::move(resolver)),
        settings_(settings),
        probe_(std::move(probe)) {}

  Result<Channel> add(const ChannelRequest& request);
  Result<Channel> get(const std::string& id);
  Result<std::vector<Channel>> list();
  Result<Channel> update(const std::string& id, const ChannelRequest& request);
  // Removes the channel; its jobs stay (a recording in progress goes on).
  Result<Channel> remove(const std::string& id);

  // One check: is the channel live now? A live channel whose session has no job gets one, linked
  // to the channel by a compare-and-set on the channel made before the job is created, so two
  // checks at once (two watchers, a restart mid-check, `channel check` beside serve) make one job.
  Result<Channel> check(const std::string& id);
  // Enabled channels whose next check is due at `at`, and when the next of the others is.
  struct Due {
    std::vector<Channel> channels;
    std::optional<TimePoint> next;
  };
  Result<Due> due(TimePoint at);
  const ChannelStats& stats() const { return stats_; }
  // Called when a check found a channel live and created the job for the session (webhooks).
  void on_live(std::function<void(const Channel&, const Job&)> f) { on_live_ = std::move(f); }

 private:
  Result<Channel> update_channel(const std::string& id, const std::function<Result<Ok>(Channel&)>& change);

  ChannelStore& channels_;
  JobStore& jobs_;
  JobService& job_service_;
  UrlPolicy policy_;
  Resolver resolver_;
  ChannelSettings settings_;
  LiveProbe probe_;
  ChannelStats stats_;
  std::function<void(const Channel&, const Job&)> on_live_;
};

}  // namespace chronicle
