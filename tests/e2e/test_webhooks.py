"""Webhooks end to end: a receiver on loopback gets signed deliveries of a recording's lifecycle;
while it is down they wait in the outbox (also across a restart of serve) and arrive when it is
back; Discord and ntfy get bodies of their own; a receiver on a forbidden address is refused."""
import json
import os
import time

from harness import SECRET, Chronicle, HungReceiver, Receiver, verify, wait_for


def test_signed_deliveries_survive_a_receiver_outage_and_a_restart(sims):
    receiver = Receiver()
    c = Chronicle()
    try:
        status, hook = c.api("POST", "/api/v1/webhooks", {"url": receiver.url, "secret": SECRET})
        assert status == 201, hook
        assert hook["signed"] is True and "secret" not in hook, "the secret is never shown"
        assert hook["events"] == ["job.recording", "job.completed", "job.failed", "channel.live"]
        sim = sims([("live", 4), ("end",)])
        status, job = c.api("POST", "/api/v1/jobs", {"url": sim.url, "name": "hooked"})
        c.wait_status(job["id"], "completed", 60)
        wait_for(lambda: len(receiver.events()) >= 2, 20, what="two deliveries")
        assert [e for e, _ in receiver.events()] == ["job.recording", "job.completed"]
        for headers, body in receiver.got:
            verify(headers, body)
        event, payload = receiver.events()[1]
        assert payload["event"] == "job.completed" and payload["job"]["id"] == job["id"]
        assert payload["job"]["status"] == "completed" and payload["text"].startswith("Recording completed: hooked")

        # The receiver goes down: deliveries wait, retried with backoff...
        receiver.down = True
        sim2 = sims([("live", 3), ("end",)])
        status, job2 = c.api("POST", "/api/v1/jobs", {"url": sim2.url, "name": "while down"})
        c.wait_status(job2["id"], "completed", 60)
        # (one attempt at a time: the first is retried with backoff, the later one waits behind it)
        pending = wait_for(lambda: (lambda d: d if len(d) == 2 and any(x["attempts"] >= 1 for x in d) else None)(
            [d for d in c.api("GET", f"/api/v1/webhooks/{hook['id']}")[1]["deliveries"] if job2["id"] in d["id"]]),
            20, what="a failed attempt recorded")
        assert all(d["state"] == "pending" for d in pending), pending
        assert [d["last_status"] for d in pending if d["attempts"] >= 1] == [503], pending
        # ...also across a restart of serve; then the receiver returns.
        c.stop_server()
        c.start()
        receiver.down = False
        wait_for(lambda: len(receiver.events()) >= 4, 60, what="the held deliveries after the receiver is back")
        later = [(e, p["job"]["id"]) for e, p in receiver.events()[2:]]
        assert later == [("job.recording", job2["id"]), ("job.completed", job2["id"])]
        shown = c.api("GET", f"/api/v1/webhooks/{hook['id']}")[1]["deliveries"]
        assert all(d["state"] == "delivered" for d in shown) and len(shown) == 4
        time.sleep(2)
        assert len(receiver.events()) == 4, "each event once"
    finally:
        c.close()
        receiver.close()


def test_discord_and_ntfy_bodies_and_bad_webhooks(sims):
    receiver = Receiver()
    c = Chronicle()
    try:
        for fmt in ["discord", "ntfy"]:
            status, hook = c.api("POST", "/api/v1/webhooks", {"url": receiver.url + "/" + fmt, "format": fmt,
                                                              "events": ["job.failed"]})
            assert status == 201 and hook["format"] == fmt and hook["signed"] is False
            assert c.api("POST", f"/api/v1/webhooks/{hook['id']}/test")[0] == 202
        wait_for(lambda: len(receiver.got) >= 2, 20, what="the test deliveries")
        by_type = {h["Content-Type"].split(";")[0]: (h, b) for h, b in receiver.got}
        assert json.loads(by_type["application/json"][1]) == {"content": "chronicle test delivery",
                                                               "allowed_mentions": {"parse": []}}
        headers, text = by_type["text/plain"]
        assert text == b"chronicle test delivery" and headers["Title"] == "chronicle: ping"
        # A failed job reaches the ntfy topic in words.
        receiver.got.clear()
        status, job = c.api("POST", "/api/v1/jobs", {"url": "http://127.0.0.1:9/nothing.m3u8", "name": "broken"})
        c.wait_status(job["id"], "failed", 60)
        wait_for(lambda: len(receiver.got) >= 2, 20, what="failure notices")
        texts = [b.decode() for h, b in receiver.got if h["Content-Type"].startswith("text/plain")]
        assert texts and texts[0].startswith("Recording failed: broken")

        for body, code in [({"url": "http://169.254.169.254/latest"}, "forbidden_address"),
                           ({"url": "ftp://127.0.0.1/x"}, "unsupported_scheme"),
                           ({"url": "rtmp://127.0.0.1/x"}, "invalid_url"),
                           ({"url": receiver.url, "events": ["job.exploded"]}, "invalid_body"),
                           ({"url": receiver.url, "format": "xml"}, "invalid_body"),
                           ({"events": ["job.failed"]}, "invalid_body")]:
            status, answer = c.api("POST", "/api/v1/webhooks", body)
            assert status == 400 and answer["error"]["code"] == code, (body, answer)
        assert c.api("GET", "/api/v1/webhooks/01ARZ3NDEKTSV4RRFFQ69G5FAV")[0] == 404
        listed = c.api("GET", "/api/v1/webhooks")[1]["webhooks"]
        assert len(listed) == 2
        assert c.api("DELETE", f"/api/v1/webhooks/{listed[0]['id']}")[0] == 200
        assert len(c.api("GET", "/api/v1/webhooks")[1]["webhooks"]) == 1
    finally:
        c.close()
        receiver.close()


def test_a_receiver_on_a_private_address_is_refused():
    receiver = Receiver()
    c = Chronicle(allow_private=False)
    try:
        status, answer = c.api("POST", "/api/v1/webhooks", {"url": receiver.url})
        assert status == 400 and answer["error"]["code"] == "forbidden_address", answer
        assert "127.0.0.1" in answer["error"]["message"]
        # Nor on the reserved ranges of IANA's special-purpose registries (site-local IPv6 was
        # once taken for global), documentation ranges included.
        for url in ("http://[fec0::1]/hook", "http://[2001:db8::1]/hook", "http://192.0.2.10/hook",
                    "http://[100::1]/hook", "http://[3fff::1]/hook"):
            status, answer = c.api("POST", "/api/v1/webhooks", {"url": url})
            assert status == 400 and answer["error"]["code"] == "forbidden_address", (url, answer)
    finally:
        c.close()
        receiver.close()


def test_the_cli_adds_lists_tests_shows_and_removes_webhooks(tmp_path):
    receiver = Receiver()
    c = Chronicle()
    try:
        secret_file = tmp_path / "secret"
        secret_file.write_text(SECRET + "\n")
        r = c.cli("webhook", "add", receiver.url, "--events", "job.completed,job.failed", "--secret-file",
                  str(secret_file), check=True)
        assert r.stdout.startswith("webhook ") and "job.completed,job.failed to " + receiver.url in r.stdout
        assert "(signed)" in r.stdout and SECRET not in r.stdout
        hook_id = r.stdout.split()[1]
        r = c.cli("webhook", "ls", check=True)
        assert hook_id in r.stdout and "job.completed,job.failed" in r.stdout and "yes" in r.stdout
        assert c.cli("webhook", "test", hook_id, check=True).stdout.startswith("a test delivery is queued")
        wait_for(lambda: receiver.got, 20, what="the test delivery")
        headers, body = receiver.got[0]
        verify(headers, body)
        assert headers["X-Chronicle-Event"] == "ping"
        shown = wait_for(lambda: (lambda out: out if "delivered" in out else None)(
            c.cli("webhook", "show", hook_id).stdout), 10, what="the delivery shown as delivered")
        assert "ping" in shown and "HTTP 204" in shown and "signed:  yes" in shown, shown
        as_json = json.loads(c.cli("webhook", "show", hook_id, "--json", check=True).stdout)
        assert as_json["deliveries"][0]["state"] == "delivered" and "secret" not in as_json
        # Mistakes are named: an unknown event, an unknown id.
        r = c.cli("webhook", "add", receiver.url, "--events", "job.exploded")
        assert r.returncode != 0 and "unknown event 'job.exploded'" in r.stderr, r.stderr
        r = c.cli("webhook", "show", "01ARZ3NDEKTSV4RRFFQ69G5FAV")
        assert r.returncode != 0 and "no webhook with id" in r.stderr, r.stderr
        assert "removed" in c.cli("webhook", "rm", hook_id, check=True).stdout
        assert c.cli("webhook", "ls", check=True).stdout == "no webhooks\n"
    finally:
        c.close()
        receiver.close()


def test_proxy_variables_in_serves_environment_are_ignored(sims):
    """With http_proxy and its kind set, libcurl would hand chronicle's requests to the proxy, which
    resolves names itself, past the address check (DNS rebinding again). chronicle's own requests
    (webhook posts, playlists, segments) go straight to the addresses it checked; serve says so."""
    import socket
    import threading

    asked = []
    proxy = socket.socket()
    proxy.bind(("127.0.0.1", 0))
    proxy.listen(16)

    def serve_proxy():
        while True:
            try:
                conn, _ = proxy.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    asked.append(conn.recv(4096).split(b"\r\n", 1)[0].decode(errors="replace"))
                    conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
                except OSError:
                    pass

    threading.Thread(target=serve_proxy, daemon=True).start()
    proxy_url = f"http://127.0.0.1:{proxy.getsockname()[1]}"
    receiver = Receiver()
    c = Chronicle(env={name: proxy_url for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "all_proxy")})
    try:
        status, hook = c.api("POST", "/api/v1/webhooks", {"url": receiver.url, "secret": SECRET})
        assert status == 201, hook
        assert c.api("POST", f"/api/v1/webhooks/{hook['id']}/test")[0] == 202
        sim = sims([("live", 3), ("end",)])
        status, job = c.api("POST", "/api/v1/jobs", {"url": sim.url, "name": "no proxy"})
        assert status == 201, job
        c.wait_status(job["id"], "completed", 60)
        wait_for(lambda: len(receiver.events()) >= 3, 20, what="the ping and the job's deliveries")
        assert asked == [], f"the proxy was asked: {asked}"
        log = open(c.log.name, "rb").read().decode(errors="replace")
        assert "http_proxy is set and ignored" in log and "all_proxy is set and ignored" in log
    finally:
        c.close()
        receiver.close()
        proxy.close()


def test_credentials_in_a_webhook_url_are_shown_only_to_its_creator():
    """A receiver's URL may carry a login (userinfo, a token parameter): the creation's answer shows
    it whole, once; the listing, the webhook, the CLI and the delivery errors show it masked. The
    deliveries still go to the full URL."""
    receiver = Receiver()
    c = Chronicle()
    try:
        full = receiver.url.replace("http://", "http://alice:hunter2@") + "?token=t0ps3cret&room=7"
        status, created = c.api("POST", "/api/v1/webhooks", {"url": full})
        assert status == 201 and created["url"] == full, created
        masked = receiver.url.replace("http://", "http://***@") + "?token=***&room=7"
        assert [h["url"] for h in c.api("GET", "/api/v1/webhooks")[1]["webhooks"]] == [masked]
        assert c.api("GET", f"/api/v1/webhooks/{created['id']}")[1]["url"] == masked
        listed = c.cli("webhook", "ls", check=True).stdout + c.cli("webhook", "show", created["id"], check=True).stdout
        assert "hunter2" not in listed and "t0ps3cret" not in listed and masked in listed, listed
        assert c.api("POST", f"/api/v1/webhooks/{created['id']}/test")[0] == 202
        wait_for(lambda: receiver.got, 20, what="the test delivery, sent to the full URL")
        headers, body = receiver.got[0]
        assert headers["Authorization"].startswith("Basic ") and b"hunter2" not in body
        # A receiver that fails: its error names the URL masked.
        receiver.close()
        status, dead = c.api("POST", "/api/v1/webhooks", {"url": full.replace("/hook", "/gone")})
        c.api("POST", f"/api/v1/webhooks/{dead['id']}/test")
        shown = wait_for(lambda: (lambda d: d if d and d[0]["last_error"] else None)(
            c.api("GET", f"/api/v1/webhooks/{dead['id']}")[1]["deliveries"]), 30, what="a failed attempt")
        assert "hunter2" not in json.dumps(shown) and "t0ps3cret" not in json.dumps(shown), shown
    finally:
        c.close()
        receiver.close()


def test_a_hung_receiver_delays_only_itself():
    """Six test pings to a receiver that never answers, then one to a healthy receiver: the healthy
    one gets its ping within two seconds, not after the hung one's six timeouts; the hung one's
    deliveries wait (one attempt at a time, then resting), and a shutdown does not wait for it."""
    hung, healthy = HungReceiver(), Receiver()
    c = Chronicle()
    try:
        _, slow_hook = c.api("POST", "/api/v1/webhooks", {"url": hung.url})
        _, good_hook = c.api("POST", "/api/v1/webhooks", {"url": healthy.url, "secret": SECRET})
        for _ in range(6):
            assert c.api("POST", f"/api/v1/webhooks/{slow_hook['id']}/test")[0] == 202
        time.sleep(0.5)  # the hung receiver's first attempt is in flight
        t0 = time.monotonic()
        assert c.api("POST", f"/api/v1/webhooks/{good_hook['id']}/test")[0] == 202
        wait_for(lambda: healthy.got, 10, interval=0.05, what="the healthy receiver's ping")
        took = time.monotonic() - t0
        assert took < 2.0, f"the healthy receiver waited {took:.1f} s"
        wait_for(lambda: hung.held, 5, what="the hung receiver's first attempt")
        time.sleep(0.5)
        assert len(hung.held) == 1, "the hung receiver is tried one delivery at a time"
        t0 = time.monotonic()
        c.stop_server()
        assert time.monotonic() - t0 < 5, "shutdown cut the hung attempt short"
    finally:
        c.close()
        hung.close()
        healthy.close()


def test_webhooks_and_their_waiting_test_deliveries_are_capped():
    hung = HungReceiver()
    c = Chronicle(env={"CHRONICLE_MAX_WEBHOOKS": "2", "CHRONICLE_MAX_PENDING_TESTS": "3"})
    try:
        ids = [c.api("POST", "/api/v1/webhooks", {"url": hung.url})[1]["id"] for _ in range(2)]
        status, answer = c.api("POST", "/api/v1/webhooks", {"url": hung.url})
        assert status == 409 and answer["error"]["code"] == "limit_reached", answer
        assert "CHRONICLE_MAX_WEBHOOKS" in answer["error"]["message"]
        assert [c.api("POST", f"/api/v1/webhooks/{ids[0]}/test")[0] for _ in range(3)] == [202, 202, 202]
        status, answer = c.api("POST", f"/api/v1/webhooks/{ids[0]}/test")
        assert status == 429 and "CHRONICLE_MAX_PENDING_TESTS" in answer["error"]["message"], answer
        assert c.api("POST", f"/api/v1/webhooks/{ids[1]}/test")[0] == 202, "the cap is per webhook"
        assert c.api("DELETE", f"/api/v1/webhooks/{ids[1]}")[0] == 200
        assert c.api("POST", "/api/v1/webhooks", {"url": hung.url})[0] == 201
    finally:
        c.close()
        hung.close()


def test_with_a_key_signing_secrets_are_sealed_at_rest():
    """With CHRONICLE_COOKIES_KEY set, a webhook's signing secret is sealed in the database (and its
    WAL): a copy of the files holds no usable secret; deliveries are still signed with it."""
    import glob
    receiver = Receiver()
    key = "0f" * 32
    c = Chronicle(env={"CHRONICLE_COOKIES_KEY": key})
    try:
        status, hook = c.api("POST", "/api/v1/webhooks", {"url": receiver.url, "secret": SECRET})
        assert status == 201
        assert c.api("POST", f"/api/v1/webhooks/{hook['id']}/test")[0] == 202
        wait_for(lambda: receiver.got, 20, what="the signed test delivery")
        verify(*receiver.got[0])
        for path in glob.glob(os.path.join(c.data, "chronicle.db*")):
            with open(path, "rb") as f:
                assert SECRET.encode() not in f.read(), path
        # Restarted with the key, the secret still signs.
        c.stop_server()
        c.start()
        receiver.got.clear()
        assert c.api("POST", f"/api/v1/webhooks/{hook['id']}/test")[0] == 202
        wait_for(lambda: receiver.got, 20, what="a signed delivery after the restart")
        verify(*receiver.got[0])
    finally:
        c.close()
        receiver.close()
