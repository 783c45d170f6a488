"""Webhooks end to end: a receiver on loopback gets signed deliveries of a recording's lifecycle;
while it is down they wait in the outbox (also across a restart of serve) and arrive when it is
back; Discord and ntfy get bodies of their own; a receiver on a forbidden address is refused."""
import json
import time

from harness import SECRET, Chronicle, Receiver, verify, wait_for


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
        pending = wait_for(lambda: (lambda d: d if d and all(x["attempts"] >= 1 for x in d) else None)(
            [d for d in c.api("GET", f"/api/v1/webhooks/{hook['id']}")[1]["deliveries"] if job2["id"] in d["id"]]),
            20, what="failed attempts recorded")
        assert all(d["state"] == "pending" and d["last_status"] == 503 for d in pending), pending
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
