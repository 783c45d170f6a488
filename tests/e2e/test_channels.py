"""Channels and streams that are not live yet, end to end: a channel page on loopback that is
offline (404, then a page without media), goes live (a page whose <video> points at a live HLS
playlist from the simulator), ends and goes live again; serve's watcher records each session as a
job of its own. A job submitted with wait_for_live_s waits in `waiting` until its stream starts."""
import json
import os
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from harness import ChannelPage, Chronicle, EventLog, StaticServer, decodes_cleanly, ffprobe_duration, wait_for

FAST = {
    "CHRONICLE_CHANNEL_MIN_POLL_INTERVAL": "1",
    "CHRONICLE_LIVE_CHECK_INTERVAL": "2",
    "CHRONICLE_STALL_TIMEOUT": "4",
    "CHRONICLE_RECONNECT_WINDOW": "6",
}


@pytest.fixture
def page():
    p = ChannelPage()
    yield p
    p.close()


@pytest.fixture
def chronicle():
    c = Chronicle(env=FAST)
    yield c
    c.close()


def channel_jobs(c, channel_id):
    """The channel's jobs, oldest first, as the API lists them by channel (and the same as the full
    list holds)."""
    status, page = c.api("GET", f"/api/v1/jobs?channel={channel_id}&limit=100")
    assert status == 200, page
    status, everything = c.api("GET", "/api/v1/jobs?limit=100")
    assert [j["id"] for j in page["jobs"]] == [j["id"] for j in everything["jobs"] if j["channel_id"] == channel_id]
    return list(reversed(page["jobs"]))


def channel(c, channel_id):
    status, body = c.api("GET", f"/api/v1/channels/{channel_id}")
    assert status == 200, body
    return body


def checked_after(c, channel_id, moment):
    """The channel once a check has run after `moment` (an RFC 3339 time from the server)."""
    return wait_for(lambda: (lambda ch: ch if (ch["last_check_at"] or "") > moment else None)(channel(c, channel_id)),
                    15, what="another check of the channel")


def check_recording(c, job, produced_s):
    assert job["status"] == "completed", job
    stored = os.path.join(c.data, "recordings", job["recording"]["key"])
    duration = ffprobe_duration(stored)
    assert duration >= 0.9 * produced_s, (duration, produced_s)
    ok, errors = decodes_cleanly(stored)
    assert ok, errors
    return duration


def test_each_live_session_of_a_channel_becomes_one_job(chronicle, page, sims):
    events = EventLog(chronicle.base)
    status, ch = chronicle.api("POST", "/api/v1/channels",
                               {"url": page.url, "name": "The Show", "prefix": "shows", "poll_interval_s": 2})
    assert status == 201, ch
    assert ch["state"] == "unknown" and ch["enabled"] and ch["poll_interval_s"] == 2
    cid = ch["id"]

    # Offline: a 404, then a page with no media. Checked every 2 s, never a job.
    first = wait_for(lambda: (lambda x: x if x["last_check_at"] else None)(channel(chronicle, cid)), 10,
                     what="the first check")
    assert first["state"] == "offline", first
    assert first["last_error"] is None, "a 404 is an offline channel, not a failing check"
    page.offline(missing=False)
    later = checked_after(chronicle, cid, first["last_check_at"])
    assert later["state"] == "offline"
    assert channel_jobs(chronicle, cid) == []

    # Live: a job within one interval plus the probe.
    sim = sims([("live", 12), ("end",)], seconds=12)
    page.live(sim.url)
    went_live = time.monotonic()
    jobs = wait_for(lambda: channel_jobs(chronicle, cid), 15, what="a job for the live session")
    started_within = time.monotonic() - went_live
    assert len(jobs) == 1
    job = jobs[0]
    assert job["url"] == page.url and job["prefix"] == "shows"
    assert job["name"].startswith("The Show 20"), job["name"]
    assert channel(chronicle, cid)["active_job_id"] == job["id"]
    job = chronicle.wait_status(job["id"], ["completed", "failed"], 90)
    duration = check_recording(chronicle, job, sim.produced_s)
    assert job["recording"]["key"].startswith("shows/The Show 20")

    # The stream ended (#EXT-X-ENDLIST) but the page still shows it: that is not a new session.
    ended = checked_after(chronicle, cid, channel(chronicle, cid)["last_check_at"])
    ended = checked_after(chronicle, cid, ended["last_check_at"])
    assert ended["state"] == "offline", ended
    assert len(channel_jobs(chronicle, cid)) == 1

    # Offline, then live again: a second job.
    page.offline(missing=True)
    checked_after(chronicle, cid, ended["last_check_at"])
    sim2 = sims([("live", 8), ("end",)], seconds=8)
    page.live(sim2.url)
    jobs = wait_for(lambda: (lambda js: js if len(js) == 2 else None)(channel_jobs(chronicle, cid)), 15,
                    what="a second job")
    second = chronicle.wait_status(jobs[1]["id"], ["completed", "failed"], 90)
    check_recording(chronicle, second, sim2.produced_s)
    assert second["id"] != job["id"]
    ch = channel(chronicle, cid)
    assert ch["last_job_id"] == second["id"] or ch["active_job_id"] == second["id"]

    status, _, metrics = chronicle.request("GET", "/metrics")
    counters = dict(line.split() for line in metrics.decode().splitlines() if line.startswith("chronicle_channel"))
    assert counters["chronicle_channel_sessions_started_total"] == "2", counters
    assert int(counters["chronicle_channel_checks_total"]) >= 6
    assert counters["chronicle_channel_check_errors_total"] == "0"

    states = {d["state"] for e, d in events.events if e == "channel" and d["id"] == cid}
    assert {"offline", "recording"} <= states, states
    events.close()
    r = chronicle.cli("channel", "show", cid)
    assert r.returncode == 0 and job["id"] in r.stdout and second["id"] in r.stdout, r.stdout + r.stderr
    status, err = chronicle.api("GET", f"/api/v1/jobs?channel={cid}&status=completed")
    assert status == 400 and err["error"]["code"] == "invalid_query"
    status, err = chronicle.api("GET", "/api/v1/jobs?channel=../x")
    assert status == 400 and err["error"]["code"] == "invalid_channel"
    r = chronicle.cli("channel", "ls")
    assert r.returncode == 0 and cid in r.stdout and "The Show" in r.stdout, r.stdout + r.stderr
    print(f"\nchannel: job {started_within:.1f} s after the page went live (interval 2 s); "
          f"recorded {duration:.1f} s of {sim.produced_s:.1f} s")


def test_a_page_with_a_file_or_a_finished_stream_is_offline(chronicle, page, tmp_path):
    """Media that is not live would be recorded again at every check: it is not a live session."""
    clip = tmp_path / "clip.mp4"
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=160x90:rate=10",
                    "-t", "1", "-pix_fmt", "yuv420p", str(clip)], check=True)
    files = StaticServer(str(tmp_path))
    try:
        page.live(files.url("clip.mp4"))
        status, ch = chronicle.api("POST", "/api/v1/channels", {"url": page.url, "enabled": False})
        assert status == 201
        status, checked = chronicle.api("POST", f"/api/v1/channels/{ch['id']}/check")
        assert status == 200 and checked["state"] == "offline", checked
        assert "not a live stream" in checked["last_result"], checked
        assert channel_jobs(chronicle, ch["id"]) == []
        r = chronicle.cli("channel", "show", ch["id"])
        assert "not a live stream" in r.stdout, r.stdout
    finally:
        files.close()


def test_a_restart_while_recording_keeps_one_job(page, sims):
    c = Chronicle(env=FAST)
    try:
        sim = sims([("live", 24), ("end",)], seconds=24)
        page.live(sim.url)
        status, ch = c.api("POST", "/api/v1/channels", {"url": page.url, "poll_interval_s": 1})
        assert status == 201
        job = wait_for(lambda: channel_jobs(c, ch["id"]), 15, what="a job")[0]
        c.wait_status(job["id"], "recording", 20)
        c.stop_server()
        c.start()
        # The watcher runs again at once, every second, while the session goes on.
        since = channel(c, ch["id"])["last_check_at"]
        for _ in range(3):
            since = checked_after(c, ch["id"], since)["last_check_at"]
        assert [j["id"] for j in channel_jobs(c, ch["id"])] == [job["id"]]
        job = c.wait_status(job["id"], ["completed", "failed"], 90)
        assert job["status"] == "completed", job
        assert len(channel_jobs(c, ch["id"])) == 1
    finally:
        c.close()


def test_checks_at_the_same_time_make_one_job(chronicle, page, sims):
    sim = sims([("live", 10), ("end",)], seconds=10)
    page.live(sim.url)
    # Paused: only the checks made here run.
    status, ch = chronicle.api("POST", "/api/v1/channels", {"url": page.url, "enabled": False})
    assert status == 201 and not ch["enabled"]

    def by_cli(_):
        r = chronicle.cli("channel", "check", ch["id"], "--json")
        assert r.returncode == 0, r.stderr
        return r.stdout

    def by_api(_):
        status, body = chronicle.api("POST", f"/api/v1/channels/{ch['id']}/check")
        assert status == 200, body
        return body

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(by_cli, range(2))) + list(pool.map(by_api, range(2)))
    jobs = channel_jobs(chronicle, ch["id"])
    assert len(jobs) == 1, jobs
    assert channel(chronicle, ch["id"])["active_job_id"] == jobs[0]["id"]
    assert len(answers) == 4
    chronicle.wait_status(jobs[0]["id"], ["completed"], 90)


def test_a_job_waits_for_its_stream_to_go_live(chronicle, page, sims):
    status, job = chronicle.api("POST", "/api/v1/jobs", {"url": page.url, "wait_for_live_s": 120})
    assert status == 201, job
    waiting = chronicle.wait_status(job["id"], "waiting", 20)
    assert waiting["wait_until"] and waiting["next_check_at"] and waiting["live_checks"] >= 1
    assert "404" in waiting["waiting_reason"], waiting
    r = chronicle.cli("show", job["id"])
    assert "waiting" in r.stdout, r.stdout
    # It keeps checking while nothing is there.
    wait_for(lambda: chronicle.job(job["id"])["live_checks"] >= 2, 15, what="a second check")
    sim = sims([("live", 10), ("end",)], seconds=10)
    page.live(sim.url)
    chronicle.wait_status(job["id"], "recording", 20)
    done = chronicle.wait_status(job["id"], ["completed", "failed"], 90)
    check_recording(chronicle, done, sim.produced_s)
    assert "waiting" in done["milestones"]


def test_a_wait_ends_at_its_deadline_or_when_stopped(chronicle, page):
    status, late = chronicle.api("POST", "/api/v1/jobs", {"url": page.url, "wait_for_live_s": 4})
    assert status == 201
    failed = chronicle.wait_status(late["id"], ["failed", "completed", "canceled"], 30)
    assert failed["status"] == "failed"
    assert failed["error"]["code"] == "not_live", failed["error"]
    assert "did not go live within 4 s" in failed["error"]["message"], failed["error"]

    r = chronicle.cli("submit", page.url, "--wait-for-live", "10m", "--json")
    assert r.returncode == 0, r.stderr
    job = json.loads(r.stdout)
    chronicle.wait_status(job["id"], "waiting", 20)
    r = chronicle.cli("stop", job["id"])
    assert r.returncode == 0 and "canceled" in r.stdout, r.stdout + r.stderr
    stopped = chronicle.job(job["id"])
    assert stopped["status"] == "canceled"
    assert "waiting" in stopped["error"]["message"]

    # Without wait_for_live_s a URL that is not live fails as before.
    status, plain = chronicle.api("POST", "/api/v1/jobs", {"url": page.url})
    plain = chronicle.wait_status(plain["id"], ["failed", "completed"], 30)
    assert plain["error"]["code"] == "stream_not_found", plain["error"]
    r = chronicle.cli("submit", page.url, "--wait-for-live", "soon")
    assert r.returncode == 2 and "duration" in r.stderr


def test_channel_api_refuses_bad_input_with_the_contract_errors(page):
    c = Chronicle(env=FAST, allow_private=False)
    try:
        def post(body, raw=None, headers=None):
            return c.api("POST", "/api/v1/channels", body, raw=raw, headers=headers)

        cases = [
            ({"name": "x"}, 400, "invalid_body"),
            ({"url": "ftp://example.com/x"}, 400, "unsupported_scheme"),
            ({"url": "-o/etc/passwd"}, 400, "invalid_url"),
            ({"url": page.url}, 400, "forbidden_address"),
            ({"url": "http://169.254.169.254/latest/meta-data/"}, 400, "forbidden_address"),
            ({"url": "https://example.com/live", "poll_interval_s": 0.2}, 400, "invalid_body"),
            ({"url": "https://example.com/live", "poll_interval_s": "60"}, 400, "invalid_body"),
            ({"url": "https://example.com/live", "name": "../up"}, 400, "invalid_name"),
            ({"url": "https://example.com/live", "name_format": "{channel} {nope}"}, 400, "invalid_body"),
            ({"url": "https://example.com/live", "enabled": "yes"}, 400, "invalid_body"),
        ]
        for body, want_status, code in cases:
            status, answer = post(body)
            assert (status, answer["error"]["code"]) == (want_status, code), (body, answer)
        status, answer = post(None, raw=b"{not json")
        assert status == 400 and answer["error"]["code"] == "invalid_json"
        status, answer = post(None, raw=b"url=x", headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert status == 415

        # example.com is a public name: with no network here it cannot be resolved, so the channel
        # is added with a URL the policy allows by literal address.
        status, ch = post({"url": "http://93.184.216.34/live", "enabled": False, "poll_interval_s": 60})
        assert status == 201, ch
        status, dup = post({"url": "http://93.184.216.34/live"})
        assert status == 409 and dup["error"]["code"] == "conflict" and ch["id"] in dup["error"]["message"]
        # The same URL written another way is the same channel.
        for same in ("HTTP://93.184.216.34/live", "http://93.184.216.34:80/live", "http://93.184.216.34/live#top"):
            status, dup = post({"url": same})
            assert status == 409 and ch["id"] in dup["error"]["message"], (same, dup)
        status, bare = post({"url": "HTTP://93.184.216.34:80", "enabled": False})
        assert status == 201 and bare["url"] == "http://93.184.216.34/", bare
        assert post({"url": "http://93.184.216.34/"})[0] == 409
        assert c.api("DELETE", f"/api/v1/channels/{bare['id']}")[0] == 200

        unknown = "01JAAAAAAAAAAAAAAAAAAAAAAA"
        for method, path in [("GET", f"/api/v1/channels/{unknown}"), ("DELETE", f"/api/v1/channels/{unknown}"),
                             ("POST", f"/api/v1/channels/{unknown}/check"), ("GET", "/api/v1/channels/../jobs")]:
            status, answer = c.api(method, path)
            assert status == 404 and answer["error"]["code"] == "not_found", (method, path, answer)
        status, answer = c.api("PATCH", f"/api/v1/channels/{unknown}", {"enabled": True})
        assert status == 404
        status, answer = c.api("PATCH", f"/api/v1/channels/{ch['id']}", {"url": "http://93.184.216.34/other"})
        assert status == 400 and "cannot change" in answer["error"]["message"]
        status, answer = c.api("PATCH", f"/api/v1/channels/{ch['id']}", {"poll_interval_s": 0.5})
        assert status == 400 and "CHRONICLE_CHANNEL_MIN_POLL_INTERVAL" in answer["error"]["message"], answer
        status, answer = c.api("PATCH", f"/api/v1/channels/{ch['id']}", {"poll_interval_s": 5, "name": "Renamed"})
        assert status == 200 and answer["poll_interval_s"] == 5 and answer["name"] == "Renamed", answer
        status, answer = c.api("PUT", f"/api/v1/channels/{ch['id']}", {})
        assert status == 405

        # The CLI: pause, resume, show, remove.
        assert "paused" in c.cli("channel", "pause", ch["id"], check=True).stdout
        assert not channel(c, ch["id"])["enabled"]
        assert "resumed" in c.cli("channel", "resume", ch["id"], check=True).stdout
        assert channel(c, ch["id"])["enabled"]
        r = c.cli("channel", "show", ch["id"], check=True)
        assert "http://93.184.216.34/live" in r.stdout and "every:" in r.stdout
        r = c.cli("channel", "add", "http://93.184.216.35/live", "--every", "often")
        assert r.returncode == 2 and "duration" in r.stderr
        r = c.cli("channel", "add", "http://93.184.216.35/live", "--every", "5m", "--name", "Other", "--paused")
        assert r.returncode == 0, r.stderr
        other = r.stdout.strip()
        assert channel(c, other)["poll_interval_s"] == 300
        r = c.cli("channel", "show", unknown)
        assert r.returncode == 3 and "no channel" in r.stderr
        assert "removed" in c.cli("channel", "rm", other, check=True).stdout
        status, listing = c.api("GET", "/api/v1/channels")
        assert [x["id"] for x in listing["channels"]] == [ch["id"]]
    finally:
        c.close()


def test_channels_are_capped():
    c = Chronicle(env={"CHRONICLE_MAX_CHANNELS": "1"})
    try:
        status, _ = c.api("POST", "/api/v1/channels", {"url": "http://93.184.216.34/a", "enabled": False})
        assert status == 201
        status, answer = c.api("POST", "/api/v1/channels", {"url": "http://93.184.216.34/b", "enabled": False})
        assert status == 409 and answer["error"]["code"] == "limit_reached", answer
        assert "CHRONICLE_MAX_CHANNELS" in answer["error"]["message"]
    finally:
        c.close()
