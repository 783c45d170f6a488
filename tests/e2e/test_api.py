"""The contract's edges: bad input gets a clear error and changes nothing."""
import json
import subprocess

import pytest

from harness import CHRONICLE, Chronicle


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
        (c.api("POST", "/api/v1/jobs", {"url": "http://127.0.0.1:9/live.m3u8"}), 400, "forbidden_address",
         "CHRONICLE_ALLOW_PRIVATE_NETWORKS"),
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


def test_token_guards_changes():
    c = Chronicle(env={"CHRONICLE_TOKEN": "s3cret"})
    try:
        status, code, message = error_of(c.api("POST", "/api/v1/jobs", {"url": "http://127.0.0.1:9/a.m3u8"}))
        assert (status, code) == (401, "unauthorized") and "Bearer" in message
        status, code, _ = error_of(c.api("POST", "/api/v1/jobs", {"url": "http://127.0.0.1:9/a.m3u8"},
                                         headers={"Authorization": "Bearer wrong"}))
        assert status == 401
        status, job = c.api("POST", "/api/v1/jobs", {"url": "http://127.0.0.1:9/a.m3u8"},
                            headers={"Authorization": "Bearer s3cret"})
        assert status == 201
        assert c.api("GET", "/api/v1/jobs")[0] == 200  # reading needs no token
        r = c.cli("submit", "http://127.0.0.1:9/b.m3u8")  # the CLI takes CHRONICLE_TOKEN from the env
        assert r.returncode == 0, r.stderr
    finally:
        c.close()


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
