#include "core/channel_service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "core/ids.hpp"
#include "core/names.hpp"

namespace chronicle {
namespace {

// A link to a job that does not exist (yet) is a job being created this long; after that, the
// checker that made it is taken to have died before creating it.
constexpr auto kLinkGrace = std::chrono::seconds(60);

std::chrono::milliseconds ms(double seconds) {
  return std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
}

// Checks of many channels with the same interval spread out instead of arriving together.
double jittered(double seconds) {
  thread_local std::mt19937 random{std::random_device{}()};
  return seconds * std::uniform_real_distribution<double>(0.9, 1.1)(random);
}

Result<Ok> check_fields(const ChannelRequest& r, const ChannelSettings& settings) {
  if (r.name) {
    if (auto n = validate_name(*r.name); !n) return n.error();
  }
  if (r.prefix) {
    if (auto p = validate_prefix(*r.prefix); !p) return p.error();
  }
  if (r.name_format) {
    if (auto f = validate_name_format(*r.name_format); !f) return f.error();
  }
  if (r.format) {
    if (auto f = validate_format(*r.format); !f) return f.error();
  }
  if (r.poll_interval_s && !(*r.poll_interval_s >= settings.min_interval_s && *r.poll_interval_s <= 86400)) {
    char text[64];
    std::snprintf(text, sizeof text, "%g", settings.min_interval_s);
    return make_error("invalid_body", std::string("poll_interval_s must be between ") + text +
                                          " (CHRONICLE_CHANNEL_MIN_POLL_INTERVAL) and 86400 seconds");
  }
  return Ok{};
}

void apply_fields(Channel& c, const ChannelRequest& r) {
  if (r.name) c.name = *r.name;
  if (r.prefix) c.prefix = *r.prefix;
  if (r.name_format) c.name_format = *r.name_format;
  if (r.format) c.format = *r.format;
  if (r.poll_interval_s) c.poll_interval_s = *r.poll_interval_s;
  if (r.enabled) c.enabled = *r.enabled;
  if (r.chat) c.chat = *r.chat;
}

}  // namespace

namespace {

// One stream, one channel: the same URL written another way (scheme or host in capitals, the
// default port spelt out, an empty path, a fragment, which never reaches the server) names the
// same channel, so it is stored one way. A URL with a login in it is kept as written.
std::string canonical_channel_url(const std::string& written, const ParsedUrl& u) {
  const auto authority_end = written.find_first_of("/?#", written.find("://") + 3);
  if (written.substr(0, authority_end).find('@') != std::string::npos) return written;
  std::string out = u.scheme + "://" + (u.host.find(':') != std::string::npos ? "[" + u.host + "]" : u.host);
  const bool default_port =
      u.port && ((u.scheme == "http" && *u.port == 80) || (u.scheme == "https" && *u.port == 443) ||
                 ((u.scheme == "rtmp") && *u.port == 1935) || (u.scheme == "rtmps" && *u.port == 443));
  if (u.port && !default_port) out += ":" + std::to_string(*u.port);
  std::string rest = u.rest.substr(0, u.rest.find('#'));
  if (rest.empty() || rest.front() == '?') rest.insert(0, "/");
  return out + rest;
}

}  // namespace

Result<Channel> ChannelService::add(const ChannelRequest& request) {
  if (!request.url) return make_error("invalid_body", "field 'url' is required");
  if (auto bad = check_fields(request, settings_); !bad) return bad.error();
  auto url = check_url(*request.url, policy_, resolver_);
  if (!url) return url.error();
  // Checked before adding; two adds racing at the limit may both pass, which a cap allows.
  if (auto all = channels_.list(); !all) {
    return all.error();
  } else if (all->size() >= static_cast<std::size_t>(settings_.max_channels)) {
    return Error{"limit_reached",
                 "there are already " + std::to_string(all->size()) + " channels, the most max_channels (" +
                     "CHRONICLE_MAX_CHANNELS) allows; remove one or raise the setting",
                 ErrorKind::conflict};
  }
  Channel c;
  c.id = new_job_id();
  c.url = canonical_channel_url(*request.url, *url);
  c.poll_interval_s = settings_.default_interval_s;
  apply_fields(c, request);
  if (c.name.empty()) c.name = url->host;
  c.created_at = now();
  c.updated_at = c.created_at;
  c.next_check_at = c.created_at;  // checked at once
  return channels_.create(c);
}

Result<Channel> ChannelService::get(const std::string& id) {
  auto c = channels_.get(id);
  if (!c) return c.error();
  if (!*c) return make_error("not_found", "no channel with id '" + id + "'");
  return **c;
}

Result<std::vector<Channel>> ChannelService::list() { return channels_.list(); }

Result<Channel> ChannelService::update_channel(const std::string& id,
                                               const std::function<Result<Ok>(Channel&)>& change) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    auto c = get(id);
    if (!c) return c;
    auto changed = change(*c);
    if (!changed) return changed.error();
    c->updated_at = now();
    auto written = channels_.replace_if_version(*c);
    if (!written) return written.error();
    if (*written) return c;
  }
  return make_error("conflict", "channel " + id + " kept changing underneath; try again");
}

Result<Channel> ChannelService::update(const std::string& id, const ChannelRequest& request) {
  if (request.url) return make_error("invalid_body", "a channel's url cannot change; add a new channel instead");
  if (auto bad = check_fields(request, settings_); !bad) return bad.error();
  const bool resumed = request.enabled.value_or(false);
  return update_channel(id, [&](Channel& c) -> Result<Ok> {
    const bool was_enabled = c.enabled;
    apply_fields(c, request);
    if (resumed && !was_enabled) c.next_check_at = now();  // a resumed channel is checked at once
    if (request.poll_interval_s && c.last_check_at) c.next_check_at = *c.last_check_at + ms(c.poll_interval_s);
    return Ok{};
  });
}

Result<Channel> ChannelService::remove(const std::string& id) {
  auto c = get(id);
  if (!c) return c;
  auto removed = channels_.remove(id);
  if (!removed) return removed.error();
  if (!*removed) return make_error("not_found", "no channel with id '" + id + "'");
  return c;
}

Result<ChannelService::Due> ChannelService::due(TimePoint at) {
  auto all = channels_.list();
  if (!all) return all.error();
  Due out;
  for (auto& c : *all) {
    if (!c.enabled) continue;
    if (!c.next_check_at || *c.next_check_at <= at)
      out.channels.push_back(std::move(c));
    else if (!out.next || *c.next_check_at < *out.next)
      out.next = c.next_check_at;
  }
  return out;
}

Result<Channel> ChannelService::check(const std::string& id) {
  auto before = get(id);
  if (!before) return before;
  // The same rules as any submitted URL, checked again: a name may point elsewhere by now.
  auto allowed = check_url(before->url, policy_, resolver_);
  Result<LiveCheck> answer = allowed ? probe_(before->url) : Result<LiveCheck>(allowed.error());
  const TimePoint at = now();
  const bool live = answer && answer->answer == LiveCheck::Answer::live;
  ++stats_.checks;
  if (!answer) ++stats_.failed_checks;

  std::string reserved;  // the id of the job this check is to create
  auto observed = update_channel(id, [&](Channel& c) -> Result<Ok> {
    reserved.clear();
    c.last_check_at = at;
    c.scheduled_start.reset();
    if (!answer) {
      c.failures += 1;
      c.last_error = answer.error();
      c.last_result = answer.error().message;
      c.state = ChannelState::error;
      const double backoff = c.poll_interval_s * std::pow(2.0, std::min(c.failures - 1, 5));
      c.next_check_at = at + ms(jittered(std::min(backoff, std::max(c.poll_interval_s, 1800.0))));
      return Ok{};
    }
    c.failures = 0;
    c.last_error.reset();
    c.last_result = answer->answer == LiveCheck::Answer::live ? "live" : answer->reason;
    c.next_check_at = at + ms(jittered(c.poll_interval_s));

    // The session's job: still active, ended (and how), or a link whose job was never made.
    bool session_active = false;
    if (!c.active_job_id.empty()) {
      auto job = jobs_.get(c.active_job_id);
      if (!job) return job.error();
      // A link whose job does not exist yet is being made by the check that linked it.
      const bool being_created = !*job && c.linked_at && at - *c.linked_at < kLinkGrace;
      if ((*job && is_active((*job)->status)) || being_created) {
        session_active = true;
      } else {
        if (*job && ((*job)->status == JobStatus::canceled || (*job)->end_reason == end_reason::stopped))
          c.skip_until_offline = true;  // a user stopped this session: it is not recorded again
        if (*job) c.last_job_id = c.active_job_id;
        c.active_job_id.clear();
        c.linked_at.reset();
      }
    }

    switch (answer->answer) {
      case LiveCheck::Answer::upcoming:
        c.state = ChannelState::upcoming;
        c.scheduled_start = answer->starts_at;
        c.skip_until_offline = false;
        // An announced start sooner than the next check is checked at that time.
        if (answer->starts_at && *answer->starts_at < *c.next_check_at)
          c.next_check_at = std::max(*answer->starts_at, at + ms(2));
        break;
      case LiveCheck::Answer::offline:
        c.state = session_active ? ChannelState::recording : ChannelState::offline;
        c.skip_until_offline = false;
        break;
      case LiveCheck::Answer::live:
        c.last_live_at = at;
        if (session_active) {
          c.state = ChannelState::recording;
        } else if (c.skip_until_offline) {
          c.state = ChannelState::live;
        } else {
          reserved = new_job_id();
          c.active_job_id = reserved;
          c.linked_at = at;
          c.state = ChannelState::recording;
        }
        break;
    }
    return Ok{};
  });
  if (!observed || reserved.empty()) return observed;

  SubmitRequest request;
  request.url = observed->url;
  request.name = render_job_name(*observed, live ? answer->title : std::string(), at);
  request.prefix = observed->prefix;
  request.format = observed->format;
  request.chat = observed->chat;
  request.channel_id = observed->id;
  request.id = reserved;
  auto outcome = job_service_.submit(request);
  // Whatever came of it, the channel says so: the link to the job that records the session (one
  // submitted by hand for the same URL, if there was one), or why there is none.
  auto linked = update_channel(id, [&](Channel& c) -> Result<Ok> {
    if (c.active_job_id != reserved) return make_error("skip", "");
    if (outcome) {
      c.active_job_id = outcome->job.id;
    } else {
      c.active_job_id.clear();
      c.linked_at.reset();
      c.state = ChannelState::error;
      c.last_error = outcome.error();
    }
    return Ok{};
  });
  if (outcome && outcome->created) {
    ++stats_.sessions_started;
    if (on_live_ && linked) on_live_(*linked, outcome->job);
  }
  if (outcome)
    spdlog::info("channel {}: live; job {} {}", id, outcome->job.id,
                 outcome->created ? "created" : "(already active for this URL) linked");
  else
    spdlog::warn("channel {}: live, but its job could not be created: {}", id, outcome.error().message);
  if (!linked) return linked.error().code == "skip" ? get(id) : linked;
  return linked;
}

}  // namespace chronicle
