"""The contract's edges: bad input gets a clear error and changes nothing."""
import hashlib
import json
import os
import stat
import subprocess
import time
import urllib.request

import pytest

from harness import CHRONICLE, Chronicle, free_port, wait_for


def error_of(response):
    status, body = response
    assert "error" in body and {"code", "message"} <= set(body["error"]), body
    return status, body["error"]["code"], body["error"]["message"]


@pytest.fixture
def strict():
    c = Chronicle(allow_private=False)
    yield c
    c.close()


def test_bad_input_is_refused_and_nothing_changes(strict):
    c = strict
    cases = [
        (c.api("POST", "/api/v1/jobs", raw=b"{not json"), 400, "invalid_json", "not valid JSON"),
        (c.api("POST", "/api/v1/jobs", raw=b"[1,2]"), 400, "invalid_body", "JSON object"),
        (c.api("POST", "/api/v1/jobs", {}), 400, "invalid_body", "'url' is required"),
        (c.api("POST", "/api/v1/jobs", {"url": 5}), 400, "invalid_body", "must be a string"),
        (c.api("POST", "/api/v1/jobs", {"url": "-o/etc/passwd"}), 400, "invalid_url", "must not begin with '-'"),
        (c.api("POST", "/api/v1/jobs", {"url": "file:///etc/passwd"}), 400, "unsupported_scheme", "file"),
        (c.api("POST", "/api/v1/jobs", {"url": "ftp://example.com/x"}), 400, "unsupported_scheme", "ftp"),
        (c.api("POST", "/api/v1/jobs", {"url": "http://169.254.169.254/latest/meta-data/"}), 400,
         "forbidden_address", "metadata"),
        (c.api("POST", "/api/v1/jobs", {"url": "http://[fd00:ec2::254]/"}), 400, "forbidden_address", "metadata"),
        # Without a scheme an address is taken as https, and judged as such.
        (c.api("POST", "/api/v1/jobs", {"url": "169.254.169.254/latest/meta-data/"}), 400, "forbidden_address",
         "metadata"),
        (c.api("POST", "/api/v1/jobs", {"url": "http://127.0.0.1:9/live.m3u8"}), 400, "forbidden_address",
         "CHRONICLE_ALLOW_NETWORKS"),
        (c.api("POST", "/api/v1/jobs", {"url": "http://localhost/live.m3u8"}), 400, "forbidden_address", "loopback"),
        (c.api("POST", "/api/v1/jobs", {"url": "http://10.1.2.3/live.m3u8"}), 400, "forbidden_address", "private"),
        (c.api("POST", "/api/v1/jobs", {"url": "http://[::ffff:127.0.0.1]/x"}), 400, "forbidden_address", "loopback"),
        (c.api("POST", "/api/v1/jobs", {"url": "https://example.com/live", "name": "../../etc/x"}), 400,
         "invalid_name", ".."),
        (c.api("POST", "/api/v1/jobs", {"url": "https://example.com/live", "name": "a/b"}), 400, "invalid_name", "/"),
        (c.api("POST", "/api/v1/jobs", {"url": "https://example.com/live", "prefix": "../up"}), 400,
         "invalid_prefix", ".."),
        (c.api("POST", "/api/v1/jobs", {"url": "https://example.com/" + "a" * 3000}), 400, "invalid_url", "longer"),
        (c.api("POST", "/api/v1/jobs", raw=b'{"url": "' + b"a" * 100000 + b'"}'), 413, "body_too_large", "larger"),
        (c.api("GET", "/api/v1/jobs/01ARZ3NDEKTSV4RRFFQ69G5FAV"), 404, "not_found", "01ARZ3NDEKTSV4RRFFQ69G5FAV"),
        (c.api("GET", "/api/v1/jobs/../../etc/passwd"), 404, "not_found", ""),
        (c.api("POST", "/api/v1/jobs/01ARZ3NDEKTSV4RRFFQ69G5FAV/stop"), 404, "not_found", "no job"),
        (c.api("DELETE", "/api/v1/jobs/01ARZ3NDEKTSV4RRFFQ69G5FAV"), 404, "not_found", "no job"),
        (c.api("GET", "/api/v1/jobs?status=bogus"), 400, "invalid_status", "bogus"),
        (c.api("GET", "/api/v1/jobs?limit=0"), 400, "invalid_limit", "limit"),
        (c.api("PUT", "/api/v1/jobs"), 405, "method_not_allowed", "GET, POST"),
        (c.api("GET", "/api/v1/nothing"), 404, "not_found", "no such endpoint"),
    ]
    for response, status, code, words in cases:
        got_status, got_code, message = error_of(response)
        assert (got_status, got_code) == (status, code), (response, status, code)
        assert words in message, (words, message)

    status, page = c.api("GET", "/api/v1/jobs")
    assert status == 200 and page == {"jobs": [], "next_cursor": None}
    status, health = c.api("GET", "/healthz")
    assert status == 200 and health["status"] == "ok"
    assert set(health["tools"]) == {"yt-dlp", "ffmpeg", "ffprobe"}, "the tools serve found at start"


def test_metrics_and_pages(chronicle):
    status, headers, body = chronicle.request("GET", "/metrics")
    text = body.decode()
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    assert 'chronicle_jobs{status="pending"} 0' in text
    assert "chronicle_http_requests_total" in text
    status, headers, body = chronicle.request("GET", "/")
    assert status == 200 and b"chronicle" in body


def test_listing_pages_newest_first(chronicle):
    ids = []
    for i in range(5):
        # Distinct URLs that will fail at the probe; the listing is what matters here.
        status, job = chronicle.api("POST", "/api/v1/jobs", {"url": f"http://127.0.0.1:9/{i}.m3u8"})
        assert status == 201
        ids.append(job["id"])
    status, page = chronicle.api("GET", "/api/v1/jobs?limit=2")
    assert [j["id"] for j in page["jobs"]] == ids[::-1][:2]
    status, page2 = chronicle.api("GET", f"/api/v1/jobs?limit=2&cursor={page['next_cursor']}")
    assert [j["id"] for j in page2["jobs"]] == ids[::-1][2:4]
    status, page3 = chronicle.api("GET", f"/api/v1/jobs?limit=2&cursor={page2['next_cursor']}")
    assert [j["id"] for j in page3["jobs"]] == ids[:1] and page3["next_cursor"] is None


def test_cursor_paging_returns_every_job_once_while_jobs_are_written(chronicle):
    """100 submits from 8 threads while another client pages through the list (7 a page): a pass
    never shows a job twice and shows every job submitted before it began; once the submits are
    done, a pass shows all 100 exactly once. (The jobs are dispatched and fail at the probe
    meanwhile, so they are being rewritten too.)"""
    import concurrent.futures
    import threading

    submitted, lock, done = [], threading.Lock(), threading.Event()

    def submit(i):
        status, job = chronicle.api("POST", "/api/v1/jobs", {"url": f"http://127.0.0.1:9/paging-{i}.m3u8"})
        assert status == 201, job
        with lock:
            submitted.append(job["id"])

    def one_pass():
        seen, cursor = [], None
        while True:
            status, page = chronicle.api("GET", "/api/v1/jobs?limit=7" + (f"&cursor={cursor}" if cursor else ""))
            assert status == 200, page
            seen += [j["id"] for j in page["jobs"]]
            cursor = page["next_cursor"]
            if not cursor:
                return seen

    passes = []

    def pager():
        while not done.is_set():
            with lock:
                before = set(submitted)
            seen = one_pass()
            passes.append((before, seen))

    t = threading.Thread(target=pager)
    t.start()
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(submit, range(100)))
    done.set()
    t.join()
    assert passes, "the pager made at least one pass during the submits"
    for before, seen in passes:
        assert len(seen) == len(set(seen)), "a job shown twice in one pass"
        assert before <= set(seen), f"{len(before - set(seen))} jobs missing from a pass"
    final = one_pass()
    assert len(final) == len(set(final)) == 100
    assert set(final) == set(submitted)


def test_with_a_token_every_api_request_needs_it():
    c = Chronicle(env={"CHRONICLE_TOKEN": "s3cret"})
    bearer = {"Authorization": "Bearer s3cret"}
    try:
        status, code, message = error_of(c.api("POST", "/api/v1/jobs", {"url": "http://127.0.0.1:9/a.m3u8"}))
        assert (status, code) == (401, "unauthorized") and "Bearer" in message
        status, code, _ = error_of(c.api("POST", "/api/v1/jobs", {"url": "http://127.0.0.1:9/a.m3u8"},
                                         headers={"Authorization": "Bearer wrong"}))
        assert status == 401
        status, job = c.api("POST", "/api/v1/jobs", {"url": "http://127.0.0.1:9/a.m3u8"}, headers=bearer)
        assert status == 201
        # Reads need it too: the list, one job, the events, the metrics, the info.
        for path in ["/api/v1/jobs", f"/api/v1/jobs/{job['id']}", "/api/v1/events", "/metrics", "/api/v1/info",
                     f"/api/v1/jobs/{job['id']}/recording"]:
            status, headers, _ = c.request("GET", path)
            assert status == 401, path
            assert headers.get("WWW-Authenticate") == "Bearer"
        assert c.api("GET", "/api/v1/jobs", headers=bearer)[0] == 200
        assert c.request("GET", "/metrics", headers=bearer)[0] == 200
        assert c.api("GET", "/healthz")[0] == 200  # liveness stays open
        # EventSource cannot send headers: the stream takes access_token, and only the stream does.
        with urllib.request.urlopen(c.base + "/api/v1/events?access_token=s3cret", timeout=5) as r:
            assert r.status == 200 and r.headers["Content-Type"] == "text/event-stream"
        assert c.request("GET", "/api/v1/jobs?access_token=s3cret")[0] == 401
        assert c.request("GET", "/api/v1/events?access_token=wrong")[0] == 401
        r = c.cli("submit", "http://127.0.0.1:9/b.m3u8")  # the CLI takes CHRONICLE_TOKEN from the env
        assert r.returncode == 0, r.stderr
        r = c.cli("ls")
        assert r.returncode == 0, r.stderr
        # The log never shows the token.
        with open(c.log.name, "rb") as f:
            assert b"s3cret" not in f.read()
    finally:
        c.close()


def test_signed_download_links_work_without_the_token_until_they_expire(make_stream, tmp_path):
    from bencode import loads
    from harness import sha256_of
    c = Chronicle(env={"CHRONICLE_TOKEN": "s3cret", "CHRONICLE_LINK_TTL": "6"})
    bearer = {"Authorization": "Bearer s3cret"}
    try:
        stream = make_stream(4)
        r = c.cli("submit", stream.url, "--name", "signed", "--wait", "--json", timeout=120)
        assert r.returncode == 0, r.stderr
        job = c.api("GET", f"/api/v1/jobs/{json.loads(r.stdout)['id']}", headers=bearer)[1]
        link = job["recording"]["url"]
        assert "exp=" in link and "sig=" in link, link
        path = link[len(c.base):]
        status, _, body = c.request("GET", path)
        assert status == 200
        assert hashlib.sha256(body).hexdigest() == job["recording"]["sha256"]
        status, _, torrent = c.request("GET", job["torrent"]["url"][len(c.base):])
        assert status == 200
        # The web seed inside the torrent is signed for a long time: BitTorrent clients have no token.
        seeds = loads(torrent)[b"url-list"]
        seed = (seeds[0] if isinstance(seeds, list) else seeds).decode()
        assert "sig=" in seed and c.request("GET", seed[len(c.base):])[0] == 200
        # Another job's id, another file, or an altered signature or expiry: refused.
        sig = path.split("sig=")[1]
        altered = path.replace("sig=" + sig, "sig=" + ("0" if sig[0] != "0" else "1") + sig[1:])
        assert c.request("GET", altered)[0] == 401
        exp = path.split("exp=")[1].split("&")[0]
        assert c.request("GET", path.replace("exp=" + exp, "exp=" + str(int(exp) + 3600)))[0] == 401
        assert c.request("GET", path.replace("/recording?", "/torrent?"))[0] == 401
        assert c.request("GET", path.replace(job["id"], "01ARZ3NDEKTSV4RRFFQ69G5FAV"))[0] == 401
        # A reconnecting event-stream client (Last-Event-ID) gets the missed changes rendered as live
        # ones are: with signed links and seeding state.
        wait_for(lambda: "seeding" in c.api("GET", f"/api/v1/jobs/{job['id']}", headers=bearer)[1]["torrent"], 15,
                 what="the recording to be seeded")
        req = urllib.request.Request(c.base + "/api/v1/events?access_token=s3cret", headers={"Last-Event-ID": "0"})
        replayed = None
        with urllib.request.urlopen(req, timeout=10) as events:
            data = None
            for raw in events:
                line = raw.decode().rstrip("\n")
                if line.startswith("data:"):
                    data = json.loads(line[5:])
                elif line == "" and data is not None:
                    if data.get("id") == job["id"] and data.get("status") == "completed":
                        replayed = data
                        break
                    data = None
        assert replayed, "the completed job is replayed"
        assert "sig=" in replayed["recording"]["url"] and "sig=" in replayed["torrent"]["url"], replayed
        assert "seeding" in replayed["torrent"], replayed["torrent"]
        time.sleep(max(0, int(exp) - time.time()) + 1)
        status, code, message = error_of(c.api("GET", path))
        assert status == 401
    finally:
        c.close()


@pytest.mark.skipif(os.geteuid() != 0, reason="a private network namespace needs root")
def test_a_server_reachable_beyond_loopback_creates_a_token_and_prints_it(tmp_path):
    """`serve --listen 0.0.0.0:PORT` in a network namespace of its own (nothing outside can reach it)."""
    data = tmp_path / "data"
    port = free_port()
    log = tmp_path / "serve.log"
    env = dict(os.environ, CHRONICLE_TRACKER="0", CHRONICLE_SEED="0")
    env.pop("CHRONICLE_TOKEN", None)
    with open(log, "wb") as out:
        proc = subprocess.Popen(["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", CHRONICLE,
                                 "serve", "--data", str(data), "--listen", f"0.0.0.0:{port}"],
                                env=env, stdout=out, stderr=subprocess.STDOUT)

    def inside(*argv):
        return subprocess.run(["nsenter", "-t", str(proc.pid), "-n", *argv], capture_output=True, text=True,
                              timeout=30)

    def code(*extra):
        r = inside("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", *extra, f"http://127.0.0.1:{port}/api/v1/jobs")
        return r.stdout

    try:
        wait_for(lambda: code() not in ("", "000"), 20, what="serve in its namespace")
        token_file = data / "token"
        assert stat.S_IMODE(os.stat(token_file).st_mode) == 0o600
        token = token_file.read_text().strip()
        assert len(token) >= 32
        printed = log.read_text()
        assert token in printed and "chronicle token" in printed, printed
        r = subprocess.run([CHRONICLE, "token", "--data", str(data)], capture_output=True, text=True)
        assert r.returncode == 0 and r.stdout.strip() == token
        assert code() == "401"
        assert code("-H", f"Authorization: Bearer {token}") == "200"
    finally:
        proc.terminate()
        proc.wait(20)
    # Restarted, it keeps the same token and does not print it again.
    before = log.read_text()
    with open(log, "ab") as out:
        proc = subprocess.Popen(["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", CHRONICLE,
                                 "serve", "--data", str(data), "--listen", f"0.0.0.0:{port}"],
                                env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: code() not in ("", "000"), 20, what="serve restarted")
        assert code("-H", f"Authorization: Bearer {token}") == "200"
        assert log.read_text()[len(before):].count(token) == 0
    finally:
        proc.terminate()
        proc.wait(20)
    # A server without a token says so.
    r = subprocess.run([CHRONICLE, "token", "--data", str(tmp_path / "other")], capture_output=True, text=True)
    assert r.returncode == 3 and "no token" in r.stderr


def test_cli_errors_are_one_line_and_non_zero(chronicle):
    r = chronicle.cli("show", "01ARZ3NDEKTSV4RRFFQ69G5FAV")
    assert r.returncode != 0 and r.stdout == ""
    assert r.stderr.strip().count("\n") == 0 and "no job with id" in r.stderr
    r = chronicle.cli("submit", "--", "-rf")
    assert r.returncode != 0 and "must not begin with '-'" in r.stderr
    r = subprocess.run([CHRONICLE, "--server", "http://127.0.0.1:9", "ls"], capture_output=True, text=True)
    assert r.returncode != 0 and "cannot reach chronicle" in r.stderr
    r = chronicle.cli("ls", "--json", check=True)
    assert json.loads(r.stdout) == {"jobs": [], "next_cursor": None}


def test_answers_always_serialize(chronicle):
    # An error message that quotes invalid UTF-8 from the request is still JSON.
    status, headers, body = chronicle.request("GET", "/api/v1/jobs?status=%ff")
    assert status == 400, body
    err = json.loads(body)["error"]
    assert err["code"] == "invalid_status" and "unknown status" in err["message"]


def test_one_serve_per_data_directory(chronicle):
    from harness import free_port
    r = subprocess.run([CHRONICLE, "serve", "--data", chronicle.data, "--listen", f"127.0.0.1:{free_port()}"],
                       env=chronicle.env, capture_output=True, text=True, timeout=30)
    assert r.returncode != 0
    out = r.stdout + r.stderr
    assert "another chronicle serve" in out and chronicle.data in out, out
    assert f"pid {chronicle.proc.pid}" in out
    assert chronicle._healthy(), "the first one is untouched"


def test_pages_of_other_sites_cannot_use_the_api(chronicle):
    job = {"url": "https://example.com/live.m3u8"}
    body = json.dumps(job).encode()
    # A cross-site form or text/plain POST needs no preflight: refused before anything happens.
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
        status, _, raw = chronicle.request("POST", "/api/v1/jobs", raw=body, headers={"Content-Type": content_type})
        assert status == 415, (content_type, raw)
        assert json.loads(raw)["error"]["code"] == "unsupported_media_type"
    # A foreign Origin cannot change anything; the same origin (the dashboard) can.
    for method, path in (("POST", "/api/v1/jobs"), ("DELETE", "/api/v1/jobs/01M8AJWJ0MMK1J7VKJYMAJE2ZZ"),
                         ("POST", "/api/v1/jobs/01M8AJWJ0MMK1J7VKJYMAJE2ZZ/stop")):
        status, _, raw = chronicle.request(method, path, raw=body if method == "POST" else None,
                                           headers={"Origin": "https://evil.example"})
        assert status == 403 and json.loads(raw)["error"]["code"] == "cross_origin", (method, path, raw)
    # Another port of this machine is another origin (any local program can serve a page there),
    # text/plain bodies and the actions without a body included.
    for origin in (f"http://127.0.0.1:{chronicle.port + 1}", "http://localhost:9999", "http://[::1]:9999", "null"):
        for path in ("/api/v1/jobs/01M8AJWJ0MMK1J7VKJYMAJE2ZZ/stop", "/api/v1/channels/01M8AJWJ0MMK1J7VKJYMAJE2ZZ/check",
                     "/api/v1/webhooks/01M8AJWJ0MMK1J7VKJYMAJE2ZZ/test"):
            status, _, raw = chronicle.request("POST", path, headers={"Origin": origin, "Content-Type": "text/plain"})
            assert status == 403 and json.loads(raw)["error"]["code"] == "cross_origin", (origin, path, raw)
    status, _, raw = chronicle.request("POST", "/api/v1/jobs", raw=json.dumps({"url": "-x"}).encode(),
                                       headers={"Origin": chronicle.base})
    assert status == 400, raw  # reached the API: refused for the URL, not for the origin
    # A rebinding host name is not served at all; IP addresses and localhost are.
    status, _, raw = chronicle.request("GET", "/api/v1/jobs", headers={"Host": "evil.example"})
    assert status == 421 and "CHRONICLE_ALLOWED_HOSTS" in json.loads(raw)["error"]["message"]
    status, _, _ = chronicle.request("GET", "/api/v1/jobs", headers={"Host": f"localhost:{chronicle.port}"})
    assert status == 200
    status, _, _ = chronicle.request("GET", "/healthz", headers={"Host": f"[::1]:{chronicle.port}"})
    assert status == 200
    status, body_ = chronicle.api("GET", "/api/v1/jobs")
    assert body_["jobs"] == [], "nothing was created"
    # The dashboard is served with a policy that keeps it from being framed or fed other code.
    status, headers, _ = chronicle.request("GET", "/")
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["Referrer-Policy"] == "no-referrer"


def test_allowed_host_names():
    c = Chronicle(env={"CHRONICLE_ALLOWED_HOSTS": "recorder.lan,Other.Example"})
    try:
        for host in ("recorder.lan", "other.example:8080"):
            status, _, _ = c.request("GET", "/api/v1/jobs", headers={"Host": host})
            assert status == 200, host
        assert c.request("GET", "/api/v1/jobs", headers={"Host": "evil.example"})[0] == 421
    finally:
        c.close()


def test_behind_a_proxy_the_public_url_is_the_dashboards_origin():
    c = Chronicle(env={"CHRONICLE_PUBLIC_URL": "https://rec.example.com"})
    try:
        body = json.dumps({"url": "-x"}).encode()
        status, _, raw = c.request("POST", "/api/v1/jobs", raw=body, headers={"Origin": "https://rec.example.com"})
        assert status == 400, raw  # reached the API: refused for the URL, not for the origin
        for origin in ("http://rec.example.com", "https://rec.example.com:8443", "https://evil.example.com"):
            status, _, raw = c.request("POST", "/api/v1/jobs", raw=body, headers={"Origin": origin})
            assert status == 403 and json.loads(raw)["error"]["code"] == "cross_origin", (origin, raw)
    finally:
        c.close()


def test_the_dashboard_reads_every_setting_serve_started_with(chronicle):
    status, shown = chronicle.api("GET", "/api/v1/settings")
    assert status == 200 and shown["file"] is None
    by_key = {s["key"]: s for s in shown["settings"]}
    r = subprocess.run([CHRONICLE, "config", "--json"], env=chronicle.env, capture_output=True, text=True, timeout=30)
    assert set(by_key) == {s["key"] for s in json.loads(r.stdout)}, "every setting `config` knows"
    assert by_key["listen"]["value"] == f"127.0.0.1:{chronicle.port}"
    assert by_key["listen"]["source"] == "flag --listen"
    assert by_key["tracker_listen"]["source"] == "env CHRONICLE_TRACKER_LISTEN"
    assert by_key["retention_interval_s"]["source"] == "default" and by_key["retention_interval_s"]["help"]


def test_config_shows_every_setting_and_where_it_came_from(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHRONICLE_")}
    env.update({"CHRONICLE_MAX_RECORDINGS": "3", "CHRONICLE_TOKEN": "s3cret-token"})
    settings_file = tmp_path / "chronicle.toml"
    settings_file.write_text('listen = "127.0.0.1:9999"\n')
    r = subprocess.run([CHRONICLE, "config", "--json", "--config", str(settings_file), "--data", str(tmp_path)],
                       env=env, capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    shown = {s["key"]: s for s in json.loads(r.stdout)}
    assert shown["max_concurrent_recordings"]["value"] == "3"
    assert shown["max_concurrent_recordings"]["source"] == "env CHRONICLE_MAX_RECORDINGS"
    assert {k: shown["listen"][k] for k in ("key", "env", "flag", "value", "source", "default")} == {
        "key": "listen", "env": "CHRONICLE_LISTEN", "flag": "--listen", "value": "127.0.0.1:9999",
        "source": f"file {settings_file}", "default": "127.0.0.1:8080"}
    assert shown["listen"]["help"] == "API and dashboard address (HOST:PORT)"
    # A 0 that means "computed" says what it is computed from, not "no reserve".
    assert shown["disk_reserve"]["value"] == "auto: larger of 2 GiB and 5%"
    assert shown["data_dir"]["source"] == "flag --data"
    assert shown["probe_timeout_s"]["source"] == "default"
    assert "s3cret-token" not in r.stdout, "secrets are masked"
    env["CHRONICLE_MAX_RECORDINGS"] = "2.5"
    r = subprocess.run([CHRONICLE, "config"], env=env, capture_output=True, text=True, timeout=30)
    assert r.returncode == 2
    assert r.stderr.strip() == ("chronicle: CHRONICLE_MAX_RECORDINGS: max_concurrent_recordings must be a whole "
                                "number of at least 1, got '2.5'")


def test_a_stale_yt_dlp_is_reported_and_a_current_one_is_not(tmp_path):
    import datetime
    installed = subprocess.run(["yt-dlp", "--version"], capture_output=True, text=True).stdout.strip()
    released = datetime.date(*map(int, installed.split(".")[:3]))
    age = (datetime.date.today() - released).days
    c = Chronicle()
    try:
        status, health = c.api("GET", "/healthz")
        status_info, info = c.api("GET", "/api/v1/info")
        assert status == status_info == 200
        if age > 90:
            assert len(health["warnings"]) == 1 and health["warnings"] == info["warnings"], health
            words = health["warnings"][0]
            assert f"yt-dlp {installed} is {age} days old" in words and "CHRONICLE_YTDLP" in words, words
            with open(c.log.name) as f:
                assert f"{age} days old" in f.read(), "serve says so at start"
    finally:
        c.close()
    # A yt-dlp released last week: no warning.
    fresh = (datetime.date.today() - datetime.timedelta(days=7)).strftime("%Y.%m.%d")
    wrapper = tmp_path / "yt-dlp"
    wrapper.write_text(f'#!/bin/sh\nif [ "$1" = --version ]; then echo {fresh}; exit 0; fi\nexec yt-dlp "$@"\n')
    wrapper.chmod(0o755)
    c = Chronicle(env={"CHRONICLE_YTDLP": str(wrapper)})
    try:
        status, health = c.api("GET", "/healthz")
        assert health["tools"]["yt-dlp"] == fresh and health["warnings"] == [], health
        assert c.api("GET", "/api/v1/info")[1]["warnings"] == []
    finally:
        c.close()


def test_ambiguous_or_misspelt_requests_are_refused_with_the_reason(chronicle):
    import socket

    def raw(text):
        with socket.create_connection(("127.0.0.1", chronicle.port), timeout=10) as s:
            s.sendall(text.encode())
            answer = b""
            while b"\r\n\r\n" not in answer:
                chunk = s.recv(4096)
                if not chunk:
                    break
                answer += chunk
            head, _, rest = answer.partition(b"\r\n\r\n")
            length = int(next((ln.split(b":")[1] for ln in head.split(b"\r\n") if ln.lower().startswith(b"content-length")), b"0"))
            while len(rest) < length:
                rest += s.recv(4096)
            return int(head.split()[1]), rest

    host = f"127.0.0.1:{chronicle.port}"
    status, body = raw(f"GET /api/v1/jobs HTTP/1.1\r\nHost: {host}\r\nHost: evil.example\r\nConnection: close\r\n\r\n")
    assert status == 400 and b"more than one Host header" in body, body
    status, _, body = chronicle.request("GET", "/api/v1/jobs?status=%zz")
    assert status == 400 and b"'status' is not valid percent-encoding" in body, body
    status, answer = chronicle.api("POST", "/api/v1/jobs", {"url": "https://example.com/live.m3u8", "nmae": "x"})
    assert status == 400 and "unknown field 'nmae'" in answer["error"]["message"], answer
    status, answer = chronicle.api("POST", "/api/v1/channels", {"url": "https://example.com/live", "every": 5})
    assert status == 400 and "unknown field 'every'" in answer["error"]["message"], answer
