// Channels and waiting, in the core: the check that turns a live session into one job (on
// in-memory ports with a scripted live probe), names from a channel's format, and the plan of a
// waiting job's checks.
#include <gtest/gtest.h>

#include <thread>

#include "core/channel_service.hpp"
#include "core/waiting.hpp"
#include "fakes/memory_ports.hpp"

using namespace chronicle;

namespace {

class ChannelTest : public ::testing::Test {
 protected:
  fakes::MemoryJobStore jobs;
  fakes::MemoryJobQueue queue{3};
  fakes::MemoryObjectStore objects;
  fakes::FakeLauncher launcher;
  fakes::MemoryChannelStore channel_store;
  JobService job_service{jobs, queue, objects, &launcher, UrlPolicy{}, fakes::public_dns()};
  std::mutex probe_mutex;
  Result<LiveCheck> answer = offline();
  int probes = 0;
  std::chrono::milliseconds probe_delay{0};
  ChannelService service{channel_store,
                         jobs,
                         job_service,
                         UrlPolicy{},
                         fakes::public_dns(),
                         ChannelSettings{60, 10},
                         [this](const std::string&) {
                           std::this_thread::sleep_for(probe_delay);
                           std::lock_guard lock(probe_mutex);
                           ++probes;
                           return answer;
                         }};

  static LiveCheck offline() {
    LiveCheck c;
    c.answer = LiveCheck::Answer::offline;
    c.reason = "HTTP Error 404: Not Found";
    return c;
  }
  static LiveCheck live(const std::string& title = "Evening show") {
    LiveCheck c;
    c.answer = LiveCheck::Answer::live;
    c.title = title;
    return c;
  }
  Channel added(ChannelRequest r = {}) {
    if (!r.url) r.url = "https://example.com/channel/live";
    auto c = service.add(r);
    EXPECT_TRUE(c.ok()) << c.error().message;
    return *c;
  }
  Channel checked(const std::string& id) {
    auto c = service.check(id);
    EXPECT_TRUE(c.ok()) << c.error().message;
    return *c;
  }
  std::vector<Job> jobs_of(const std::string& channel_id) {
    std::vector<Job> out;
    const JobPage page = jobs.list({}).value();
    for (const auto& j : page.jobs)
      if (j.channel_id == channel_id) out.push_back(j);
    return out;
  }
  void end_job(const std::string& id, JobStatus status, const std::string& reason) {
    ASSERT_TRUE(update_job(jobs, id, [&](Job& j) -> Result<Ok> {
                  j.status = status;
                  j.end_reason = reason;
                  return Ok{};
                }).ok());
  }
};

}  // namespace

TEST_F(ChannelTest, AnOfflineChannelIsCheckedAgainAfterItsInterval) {
  auto c = added();
  EXPECT_EQ(c.state, ChannelState::unknown);
  EXPECT_EQ(c.name, "example.com") << "named after its host when no name is given";
  c = checked(c.id);
  EXPECT_EQ(c.state, ChannelState::offline);
  EXPECT_FALSE(c.last_error) << "offline is an answer, not a failed check";
  const double next = seconds_between(*c.last_check_at, *c.next_check_at);
  EXPECT_GE(next, 54);
  EXPECT_LE(next, 66);
  EXPECT_TRUE(jobs_of(c.id).empty());
}

TEST_F(ChannelTest, ALiveChannelGetsOneJobNamedByItsFormat) {
  ChannelRequest r;
  r.name = "My Show";
  r.prefix = "shows";
  r.name_format = "{channel} - {title} {date:%Y}";
  r.format = "720p";
  auto c = added(r);
  answer = live("Evening/show");  // a title may hold anything: the name is made safe
  c = checked(c.id);
  auto made = jobs_of(c.id);
  ASSERT_EQ(made.size(), 1u);
  EXPECT_EQ(c.state, ChannelState::recording);
  EXPECT_EQ(c.active_job_id, made[0].id);
  EXPECT_EQ(made[0].url, c.url);
  EXPECT_EQ(made[0].prefix, "shows");
  EXPECT_EQ(made[0].format, "720p") << "the channel's quality";
  EXPECT_TRUE(made[0].name.starts_with("My Show - Evening_show 20")) << made[0].name;
  EXPECT_EQ(queue.sent.size(), 1u) << "through the ordinary job path: queued";
  // Checks while the session's job is active make nothing more.
  c = checked(c.id);
  EXPECT_EQ(c.state, ChannelState::recording);
  EXPECT_EQ(jobs_of(c.id).size(), 1u);
}

TEST_F(ChannelTest, ChecksAtTheSameTimeMakeOneJob) {
  auto c = added();
  answer = live();
  probe_delay = std::chrono::milliseconds(20);  // every check reads the channel before any writes
  std::vector<std::thread> checkers;
  for (int i = 0; i < 8; ++i) checkers.emplace_back([&] { EXPECT_TRUE(service.check(c.id).ok()); });
  for (auto& t : checkers) t.join();
  auto made = jobs_of(c.id);
  ASSERT_EQ(made.size(), 1u);
  EXPECT_EQ(service.get(c.id)->active_job_id, made[0].id);
  EXPECT_EQ(probes, 8);
}

TEST_F(ChannelTest, ANewSessionAfterTheJobEndedIsANewJob) {
  auto c = added();
  answer = live();
  const auto first = checked(c.id).active_job_id;
  end_job(first, JobStatus::completed, end_reason::stream_lost);
  c = checked(c.id);
  auto made = jobs_of(c.id);
  ASSERT_EQ(made.size(), 2u) << "still live after the recorder gave up: the rest is recorded";
  EXPECT_EQ(c.last_job_id, first);
  EXPECT_NE(c.active_job_id, first);
}

TEST_F(ChannelTest, ASessionStoppedByHandIsNotRecordedAgainUntilTheNextOne) {
  auto c = added();
  answer = live();
  const auto first = checked(c.id).active_job_id;
  end_job(first, JobStatus::completed, end_reason::stopped);
  c = checked(c.id);
  EXPECT_EQ(c.state, ChannelState::live);
  EXPECT_TRUE(c.skip_until_offline);
  EXPECT_TRUE(c.active_job_id.empty());
  EXPECT_EQ(jobs_of(c.id).size(), 1u);
  answer = offline();
  c = checked(c.id);
  EXPECT_FALSE(c.skip_until_offline);
  answer = live();
  c = checked(c.id);
  EXPECT_EQ(jobs_of(c.id).size(), 2u);
}

TEST_F(ChannelTest, ALinkWhoseJobWasNeverMadeIsReplacedAfterItsGrace) {
  auto c = added();
  answer = live();
  // A checker linked a job and died before creating it: within the grace it is taken as being
  // made, after it a new job is made.
  auto link = [&](TimePoint at) {
    auto r = channel_store.get(c.id);
    Channel ch = **r;
    ch.active_job_id = "01JZZZZZZZZZZZZZZZZZZZZZZZ";
    ch.linked_at = at;
    ASSERT_TRUE(*channel_store.replace_if_version(ch));
  };
  link(now());
  EXPECT_TRUE(jobs_of(c.id).empty() && checked(c.id).state == ChannelState::recording);
  EXPECT_TRUE(jobs_of(c.id).empty());
  link(now() - std::chrono::minutes(2));
  c = checked(c.id);
  ASSERT_EQ(jobs_of(c.id).size(), 1u);
  EXPECT_EQ(c.active_job_id, jobs_of(c.id)[0].id);
}

TEST_F(ChannelTest, AJobSubmittedByHandForTheUrlIsLinkedInsteadOfASecond) {
  auto c = added();
  SubmitRequest by_hand;
  by_hand.url = c.url;
  auto submitted = job_service.submit(by_hand);
  ASSERT_TRUE(submitted.ok());
  answer = live();
  c = checked(c.id);
  EXPECT_EQ(c.active_job_id, submitted->job.id);
  EXPECT_EQ(jobs.list({}).value().jobs.size(), 1u);
}

TEST_F(ChannelTest, AFailingCheckBacksOffAndSaysWhy) {
  auto c = added();
  answer = make_error("probe_timeout", "yt-dlp did not answer within 30 s");
  c = checked(c.id);
  EXPECT_EQ(c.state, ChannelState::error);
  EXPECT_EQ(c.failures, 1);
  ASSERT_TRUE(c.last_error);
  EXPECT_EQ(c.last_error->code, "probe_timeout");
  const double first = seconds_between(*c.last_check_at, *c.next_check_at);
  c = checked(c.id);
  const double second = seconds_between(*c.last_check_at, *c.next_check_at);
  EXPECT_EQ(c.failures, 2);
  EXPECT_GT(second, first * 1.5);
  answer = offline();
  c = checked(c.id);
  EXPECT_EQ(c.failures, 0);
  EXPECT_FALSE(c.last_error);
}

TEST_F(ChannelTest, BadSettingsAreRefusedWithTheReason) {
  struct Case {
    ChannelRequest request;
    const char* code;
  };
  auto with = [](auto set) {
    ChannelRequest r;
    r.url = "https://example.com/live";
    set(r);
    return r;
  };
  const Case cases[] = {
      {ChannelRequest{}, "invalid_body"},
      {with([](ChannelRequest& r) { r.poll_interval_s = 5; }), "invalid_body"},
      {with([](ChannelRequest& r) { r.name = "../x"; }), "invalid_name"},
      {with([](ChannelRequest& r) { r.prefix = "a/../b"; }), "invalid_prefix"},
      {with([](ChannelRequest& r) { r.name_format = "{channel"; }), "invalid_body"},
      {with([](ChannelRequest& r) { r.name_format = "{id}"; }), "invalid_body"},
      {with([](ChannelRequest& r) { r.format = "bv*;rm -rf"; }), "invalid_format"},
      {with([](ChannelRequest& r) { r.url = "http://169.254.169.254/"; }), "forbidden_address"},
  };
  for (const auto& c : cases) {
    auto r = service.add(c.request);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, c.code) << r.error().message;
  }
  EXPECT_TRUE(service.list()->empty());
  auto c = added();
  ChannelRequest move;
  move.url = "https://example.com/other";
  EXPECT_EQ(service.update(c.id, move).error().code, "invalid_body");
  EXPECT_EQ(service.update("01JZZZZZZZZZZZZZZZZZZZZZZZ", {}).error().code, "not_found");
}

TEST_F(ChannelTest, AnAnnouncedStreamIsCheckedAtItsStart) {
  auto c = added();
  LiveCheck upcoming;
  upcoming.answer = LiveCheck::Answer::upcoming;
  upcoming.reason = "the stream is announced for later";
  upcoming.starts_at = now() + std::chrono::seconds(20);
  answer = upcoming;
  c = checked(c.id);
  EXPECT_EQ(c.state, ChannelState::upcoming);
  EXPECT_EQ(c.scheduled_start, upcoming.starts_at);
  EXPECT_EQ(c.next_check_at, upcoming.starts_at) << "sooner than the interval: checked when it starts";
  EXPECT_EQ(c.last_result, "the stream is announced for later");
  EXPECT_TRUE(jobs_of(c.id).empty());
  upcoming.starts_at = now() + std::chrono::hours(3);
  answer = upcoming;
  c = checked(c.id);
  EXPECT_LT(seconds_between(*c.last_check_at, *c.next_check_at), 70) << "later than the interval: the usual check";
  answer = offline();
  c = checked(c.id);
  EXPECT_FALSE(c.scheduled_start);
  EXPECT_EQ(c.last_result, "HTTP Error 404: Not Found");
}

TEST_F(ChannelTest, PausedChannelsAreNotDue) {
  auto c = added();
  EXPECT_EQ(service.due(now())->channels.size(), 1u) << "a new channel is checked at once";
  ChannelRequest pause;
  pause.enabled = false;
  ASSERT_TRUE(service.update(c.id, pause).ok());
  EXPECT_TRUE(service.due(now())->channels.empty());
  ChannelRequest resume;
  resume.enabled = true;
  ASSERT_TRUE(service.update(c.id, resume).ok());
  EXPECT_EQ(service.due(now())->channels.size(), 1u) << "a resumed channel is checked at once";
  checked(c.id);
  auto after = service.due(now());
  EXPECT_TRUE(after->channels.empty());
  EXPECT_EQ(after->next, service.get(c.id)->next_check_at) << "when to look again";
}

TEST(NameFormat, FieldsAreReplacedAndTheNameIsSafe) {
  Channel c;
  c.id = "01J";
  c.name = "Late/Night";
  c.name_format = "{channel} {date:%Y-%m-%d %H%M} {title}";
  const TimePoint at = *from_rfc3339("2026-11-26T21:05:00.000Z");
  EXPECT_EQ(render_job_name(c, "Ep. 4: ..\\x", at), "Late_Night 2026-11-26 2105 Ep. 4_ __x");
  c.name_format = kDefaultNameFormat;
  EXPECT_EQ(render_job_name(c, "", at), "Late_Night 2026-11-26 2105");
  EXPECT_TRUE(validate_name_format("{channel}").ok());
  EXPECT_FALSE(validate_name_format("").ok());
  EXPECT_FALSE(validate_name_format("{date:%Y").ok());
}

TEST(NameFormat, AChannelStoredBeforeQualityKeepsItsNameTemplate) {
  auto old = parse_stored_channel(R"({"id":"01J","url":"https://x/","format":"{channel} {title}"})");
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->name_format, "{channel} {title}");
  EXPECT_EQ(old->format, "") << "its quality is the default";
  Channel c;
  c.id = "01J";
  c.name_format = "{title}";
  c.format = "480p";
  auto back = parse_stored_channel(to_storage_json(c).dump());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->name_format, "{title}");
  EXPECT_EQ(back->format, "480p");
}

TEST(WaitPlan, ChecksBackOffUpToTheIntervalAndNeverPastTheDeadline) {
  Job job;
  job.id = "j";
  job.url = "https://example.com/soon";
  job.status = JobStatus::starting;
  const TimePoint start = now();
  job.created_at = start;
  job.wait_until = start + std::chrono::seconds(100);
  const NotLive why{Error{"stream_not_found", "HTTP Error 404"}, std::nullopt};
  std::vector<double> gaps;
  for (int i = 0; i < 6; ++i) {
    job.status = JobStatus::starting;
    ASSERT_TRUE(plan_next_check(job, why, start, WaitPolicy{20, 3600}));
    EXPECT_EQ(job.status, JobStatus::waiting);
    gaps.push_back(seconds_between(start, *job.next_check_at));
  }
  EXPECT_EQ(gaps, (std::vector<double>{2, 4, 8, 16, 20, 20}));
  job.status = JobStatus::starting;
  ASSERT_TRUE(plan_next_check(job, why, start + std::chrono::seconds(95), WaitPolicy{20, 3600}));
  EXPECT_EQ(job.next_check_at, job.wait_until) << "the last check is at the deadline";
  job.status = JobStatus::starting;
  EXPECT_FALSE(plan_next_check(job, why, start + std::chrono::seconds(100), WaitPolicy{20, 3600}));
  EXPECT_EQ(not_live_error(job, why.reason).code, "not_live");
  EXPECT_NE(not_live_error(job, why.reason).message.find("within 1 min 40 s"), std::string::npos)
      << not_live_error(job, why.reason).message;

  Job plain = job;
  plain.wait_until.reset();
  plain.status = JobStatus::starting;
  EXPECT_FALSE(plan_next_check(plain, why, start, WaitPolicy{20, 3600})) << "nothing asked, nothing announced";
  EXPECT_TRUE(is_not_live_yet(Error{"not_a_stream", ""}));
  EXPECT_FALSE(is_not_live_yet(Error{"forbidden_address", ""}));
}
