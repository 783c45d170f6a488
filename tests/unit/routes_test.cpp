#include <gtest/gtest.h>

#include "backend/backend.hpp"
#include "http/compress.hpp"
#include "http/routes.hpp"
#include "store/sqlite/sqlite_job_store.hpp"
#include "temp_dir.hpp"

using namespace chronicle::http;

TEST(Range, ParsesSingleRanges) {
  auto r = parse_range("bytes=0-99", 1000);
  ASSERT_TRUE(r && *r);
  EXPECT_EQ((*r)->first, 0u);
  EXPECT_EQ((*r)->last, 99u);
  r = parse_range("bytes=900-", 1000);
  EXPECT_EQ((*r)->first, 900u);
  EXPECT_EQ((*r)->last, 999u);
  r = parse_range("bytes=-100", 1000);
  EXPECT_EQ((*r)->first, 900u);
  r = parse_range("bytes=990-5000", 1000);
  EXPECT_EQ((*r)->last, 999u);
  r = parse_range("bytes=-5000", 1000);
  EXPECT_EQ((*r)->first, 0u);
}

TEST(Range, UnsatisfiableAndIgnored) {
  auto r = parse_range("bytes=1000-", 1000);
  ASSERT_TRUE(r);
  EXPECT_FALSE(*r) << "past the end: 416";
  EXPECT_FALSE(parse_range("bytes=5-2", 1000)) << "malformed: send everything";
  EXPECT_FALSE(parse_range("bytes=0-1,5-6", 1000));
  EXPECT_FALSE(parse_range("items=0-1", 1000));
  EXPECT_FALSE(parse_range("bytes=abc-", 1000));
}

TEST(Query, DecodesPercentAndPlus) {
  auto q = parse_query("status=recording&cursor=01AB&name=a%20b+c");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ((*q)["status"], "recording");
  EXPECT_EQ((*q)["name"], "a b c");
  auto bad = parse_query("status=recording&bad=%zz");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("'bad'"), std::string::npos) << bad.error().message;
  EXPECT_FALSE(parse_query("q%4=1").ok());
  EXPECT_FALSE(percent_decode("%4"));
}

TEST(ContentDisposition, HasAnAsciiFallbackAndTheUtf8Name) {
  EXPECT_EQ(content_disposition("evening news.mkv"),
            "attachment; filename=\"evening news.mkv\"; filename*=UTF-8''evening%20news.mkv");
  EXPECT_EQ(content_disposition("caf\xC3\xA9 \"x\".mkv"),
            "attachment; filename=\"caf__ _x_.mkv\"; filename*=UTF-8''caf%C3%A9%20%22x%22.mkv");
  // "exe" + RIGHT-TO-LEFT OVERRIDE + "vkm.exe" would show as "exeexe.mkv" in some file managers.
  EXPECT_EQ(content_disposition("a\xE2\x80\xAEvkm.exe"),
            "attachment; filename=\"avkm.exe\"; filename*=UTF-8''avkm.exe");
  EXPECT_EQ(content_disposition("b\xE2\x81\xA6x.ts"), "attachment; filename=\"bx.ts\"; filename*=UTF-8''bx.ts");
  // Found by fuzz_names: strchr matched the NUL byte, which then went into the header raw.
  EXPECT_EQ(content_disposition(std::string("a\0b.ts", 6)),
            "attachment; filename=\"a_b.ts\"; filename*=UTF-8''a%00b.ts");
}

TEST(ErrorReply, StatusAndRetryAfterFollowTheKind) {
  using chronicle::ErrorKind;
  using chronicle::make_error;
  auto header = [](const Reply& r, const std::string& name) {
    for (const auto& [k, v] : r.headers)
      if (k == name) return v;
    return std::string();
  };
  auto outage = error_reply(make_error(ErrorKind::unavailable, "aws_unreachable", "DynamoDB is down"));
  EXPECT_EQ(outage.status, 503u);
  EXPECT_EQ(header(outage, "Retry-After"), "5");
  EXPECT_NE(outage.body.find("aws_unreachable"), std::string::npos);
  auto slow = error_reply(make_error(ErrorKind::throttled, "ThrottlingException", "slow down"));
  EXPECT_EQ(slow.status, 503u);
  EXPECT_EQ(header(slow, "Retry-After"), "2");
  EXPECT_EQ(error_reply(make_error("storage_error", "locked")).status, 503u) << "a store error is never a 400";
  EXPECT_EQ(error_reply(make_error(ErrorKind::internal, "AccessDeniedException", "no")).status, 500u);
  EXPECT_EQ(error_reply(make_error("not_found", "no job")).status, 404u);
  EXPECT_EQ(error_reply(make_error("conflict", "running")).status, 409u);
  EXPECT_EQ(error_reply(make_error("insufficient_storage", "full")).status, 507u);
  auto bad = error_reply(make_error("invalid_url", "bad"));
  EXPECT_EQ(bad.status, 400u);
  EXPECT_EQ(header(bad, "Retry-After"), "");
}

// Job reads answered from memory, against a real SQLite store: kept while nothing is written,
// never stale after a write by another connection (a recorder process), never past the token.
namespace {
using namespace chronicle;

struct RouterWorld {
  test_support::TempDir dir;
  Config config;
  Backend backend;
  std::unique_ptr<JobService> service;
  Metrics metrics;
  std::unique_ptr<Router> router;

  explicit RouterWorld(const std::string& token = "") {
    config.data_dir = dir.path;
    config.torrent_enabled = false;
    config.token = token;
    backend = std::move(*open_backend(config));
    service = std::make_unique<JobService>(*backend.store, *backend.queue, *backend.objects, nullptr, UrlPolicy{},
                                           [](const std::string&) -> Result<std::vector<IpAddress>> {
                                             return std::vector{*parse_ip_literal("93.184.216.34")};
                                           });
    router = std::make_unique<Router>(config, *service, metrics, nullptr);
  }
  Job add(const std::string& url) {
    Job j;
    j.id = new_job_id();
    j.url = url;
    j.created_at = now();
    return backend.store->create_or_get_active(j)->job;
  }
  // Another connection to the same file, as a recorder process has.
  void write_elsewhere(const std::string& id, JobStatus status) {
    auto db = *sqlite::Db::open(config.db_path());
    auto other = std::move(*sqlite::SqliteJobStore::open(db));
    ASSERT_TRUE(update_job(*other, id, [&](Job& j) { return transition(j, status, now()); }).ok());
  }
};

Request get(const std::string& target, const std::string& bearer = "") {
  Request r{boost::beast::http::verb::get, target, 11};
  r.set(boost::beast::http::field::host, "127.0.0.1:8080");
  if (!bearer.empty()) r.set(boost::beast::http::field::authorization, "Bearer " + bearer);
  return r;
}

std::string status_in(const std::string& body) { return nlohmann::json::parse(body)["status"].get<std::string>(); }
}  // namespace

TEST(ReadsFromMemory, KeptUntilAnotherProcessWrites) {
  RouterWorld w;
  const auto job = w.add("http://example.com/live.m3u8");
  const auto path = "/api/v1/jobs/" + job.id;
  EXPECT_FALSE(w.router->handle_from_memory(get(path))) << "never read: nothing kept";
  const auto first = w.router->handle(get(path));
  ASSERT_EQ(first.status, 200u);
  auto kept = w.router->handle_from_memory(get(path));
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->body, first.body);

  w.write_elsewhere(job.id, JobStatus::starting);
  EXPECT_FALSE(w.router->handle_from_memory(get(path))) << "a write by another connection drops what was kept";
  EXPECT_EQ(status_in(w.router->handle(get(path)).body), "starting");
  EXPECT_EQ(status_in(w.router->handle_from_memory(get(path))->body), "starting");
}

TEST(ReadsFromMemory, ListPagesFollowEveryWrite) {
  RouterWorld w;
  const auto a = w.add("http://example.com/a.m3u8");
  const auto listing = w.router->handle(get("/api/v1/jobs?limit=10"));
  ASSERT_EQ(listing.status, 200u);
  const auto kept = w.router->handle_from_memory(get("/api/v1/jobs?limit=10"));
  ASSERT_TRUE(kept);
  EXPECT_EQ(nlohmann::json::parse(kept->body), nlohmann::json::parse(listing.body));
  EXPECT_FALSE(w.router->handle_from_memory(get("/api/v1/jobs?limit=11"))) << "another page is read on its own";

  const auto b = w.add("http://example.com/b.m3u8");
  EXPECT_FALSE(w.router->handle_from_memory(get("/api/v1/jobs?limit=10")));
  const auto after = nlohmann::json::parse(w.router->handle(get("/api/v1/jobs?limit=10")).body);
  ASSERT_EQ(after["jobs"].size(), 2u);
  EXPECT_EQ(after["jobs"][0]["id"], b.id);
  EXPECT_EQ(after["jobs"][1]["id"], a.id);
  EXPECT_TRUE(after["next_cursor"].is_null());
  EXPECT_EQ(nlohmann::json::parse(w.router->handle_from_memory(get("/api/v1/jobs?limit=10"))->body), after);
  EXPECT_FALSE(w.router->handle_from_memory(get("/api/v1/jobs?limit=0"))) << "a bad query gets handle()'s 400";
}

TEST(ReadsFromMemory, NeverAnswerWithoutTheToken) {
  RouterWorld w("s3cret");
  const auto job = w.add("http://example.com/live.m3u8");
  const auto path = "/api/v1/jobs/" + job.id;
  ASSERT_EQ(w.router->handle(get(path, "s3cret")).status, 200u);
  ASSERT_EQ(w.router->handle(get("/api/v1/jobs", "s3cret")).status, 200u);
  for (const auto& target : {path, std::string("/api/v1/jobs")}) {
    auto refused = w.router->handle_from_memory(get(target));
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 401u) << target;
    EXPECT_EQ(w.router->handle_from_memory(get(target, "wrong"))->status, 401u);
    EXPECT_EQ(w.router->handle_from_memory(get(target, "s3cret"))->status, 200u);
  }
}

TEST(ContentCoding, TheClientsPreferenceAndRefusalsAreHonoured) {
  EXPECT_EQ(http::preferred_encoding("gzip, deflate, br"), "br");
  EXPECT_EQ(http::preferred_encoding("gzip, deflate, br", /*br_offered=*/false), "gzip");
  EXPECT_EQ(http::preferred_encoding("br;q=0, gzip"), "gzip");
  EXPECT_EQ(http::preferred_encoding("br;q=0.0, gzip;q=0"), "");
  EXPECT_EQ(http::preferred_encoding("gzip;q=0.5"), "gzip");
  EXPECT_EQ(http::preferred_encoding("*"), "br");
  EXPECT_EQ(http::preferred_encoding("*, br;q=0"), "gzip");
  EXPECT_EQ(http::preferred_encoding(""), "");
  EXPECT_EQ(http::preferred_encoding("identity"), "");
  const std::string text(10000, 'a');
  auto packed = http::gzip(text);
  ASSERT_TRUE(packed);
  EXPECT_LT(packed->size(), 200u);
  EXPECT_EQ(static_cast<unsigned char>((*packed)[0]), 0x1f) << "a gzip member";
}
