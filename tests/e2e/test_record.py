"""The product path through the CLI, with a real live stream: submit -> record -> store."""
import json
import os
import re
import signal
import time

from harness import Chronicle, EventLog, decodes_cleanly, ffprobe_duration, ffprobe_streams, sha256_of, wait_for


def test_live_stream_recorded_to_the_end(chronicle, make_stream, tmp_path):
    stream = make_stream(14)
    events = EventLog(chronicle.base)
    submitted = time.monotonic()
    r = chronicle.cli("submit", stream.url, "--name", "first light", "--wait", "--json", timeout=120)
    assert r.returncode == 0, r.stderr
    job = json.loads(r.stdout)
    assert job["status"] == "completed"
    assert job["error"] is None
    assert job["title"] == "live"
    # --wait drew progress lines with bytes, duration and bitrate on stderr.
    assert "recording" in r.stderr and "Mbit/s" in r.stderr

    # The user-visible lifecycle, in order, from the event stream.
    seen = wait_for(lambda: (lambda js: js if js and js[-1]["status"] == "completed" else None)(events.jobs(job["id"])),
                    10, what="completed event")
    statuses = [e["status"] for e in seen]
    order = ["pending", "starting", "recording", "uploading", "completed"]
    firsts = [statuses.index(s) for s in order if s in statuses]
    assert [s for s in order if s in statuses] == order, statuses
    assert firsts == sorted(firsts)
    recording = [e for e in seen if e["status"] == "recording"]
    assert len({e["heartbeat_at"] for e in recording}) >= 3, "heartbeats while recording"
    byte_counts = [e["bytes"] for e in recording]
    assert byte_counts[-1] > byte_counts[0] > 0, "bytes grow while recording"
    events.close()

    # The stored file plays and holds the whole stream (within 10%).
    rec = job["recording"]
    assert rec["key"] == "first light.mkv"
    stored = os.path.join(chronicle.data, "recordings", rec["key"])
    assert os.path.getsize(stored) == rec["size"] == job["bytes"]
    assert sha256_of(stored) == rec["sha256"]
    duration = ffprobe_duration(stored)
    assert abs(duration - 14) <= 1.4, duration
    assert abs(job["duration_s"] - duration) < 0.5
    assert ffprobe_streams(stored) == ["audio", "video"]
    ok, errors = decodes_cleanly(stored)
    assert ok, errors
    print(f"\nsubmit->completed {time.monotonic() - submitted:.1f}s for a 14 s stream; duration {duration:.2f}s")

    # Download through the CLI: same bytes.
    out = tmp_path / "copy.mkv"
    r = chronicle.cli("download", job["id"], "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert sha256_of(out) == rec["sha256"]

    # Range requests work (players seek with them).
    status, headers, body = chronicle.request("GET", f"/api/v1/jobs/{job['id']}/recording",
                                              headers={"Range": "bytes=100-199"})
    assert status == 206 and len(body) == 100
    assert headers["Content-Range"] == f"bytes 100-199/{rec['size']}"
    with open(stored, "rb") as f:
        f.seek(100)
        assert body == f.read(100)

    # ls and show agree; rm removes the job and its file.
    r = chronicle.cli("ls", "--json", check=True)
    assert [j["id"] for j in json.loads(r.stdout)["jobs"]] == [job["id"]]
    r = chronicle.cli("show", job["id"], check=True)
    assert "completed" in r.stdout and rec["sha256"] in r.stdout
    chronicle.cli("rm", job["id"], check=True)
    assert not os.path.exists(stored)
    status, body = chronicle.api("GET", f"/api/v1/jobs/{job['id']}")
    assert status == 404 and body["error"]["code"] == "not_found"


def test_submit_to_recording_latency(chronicle, make_stream):
    stream = make_stream(20)
    t0 = time.monotonic()
    status, job = chronicle.api("POST", "/api/v1/jobs", {"url": stream.url})
    assert status == 201
    chronicle.wait_status(job["id"], "recording", 30)
    latency = time.monotonic() - t0
    print(f"\nsubmit->recording latency: {latency:.2f}s")
    assert latency < 15
    chronicle.cli("stop", job["id"], check=True)
    chronicle.wait_status(job["id"], "completed", 60)


def test_stop_mid_stream_keeps_a_playable_partial(chronicle, make_stream):
    stream = make_stream(120)
    r = chronicle.cli("submit", stream.url, "--json", check=True)
    job_id = json.loads(r.stdout)["id"]
    wait_for(lambda: (lambda j: j if j["status"] == "recording" and j["duration_s"] >= 5 else None)(
        chronicle.job(job_id)), 60, what="5 s recorded")
    r = chronicle.cli("stop", job_id, check=True)
    assert "stopping" in r.stdout
    job = chronicle.wait_status(job_id, ["completed", "failed"], 60)
    assert job["status"] == "completed", job
    assert job["recording"] is not None
    stored = os.path.join(chronicle.data, "recordings", job["recording"]["key"])
    duration = ffprobe_duration(stored)
    assert 4 <= duration < 60, duration
    ok, errors = decodes_cleanly(stored)
    assert ok, errors
    assert chronicle.recorder_pids(job_id) == []
    assert stream.proc.poll() is None, "the stream itself goes on"


def test_urls_that_are_not_streams_fail_fast_without_a_recorder(chronicle, make_stream, tmp_path):
    from harness import StaticServer
    (tmp_path / "page.html").write_text("<html><body>just a page, no video</body></html>")
    site = StaticServer(str(tmp_path))
    try:
        # A short reason for people; yt-dlp's own text, whole, in the detail.
        cases = {
            # (the reason phrase is the server's own: Python's says "File not found")
            site.url("missing.m3u8"): ("stream_not_found", "the page answered 404 File not found", "HTTP Error 404"),
            site.url("page.html"): ("not_a_stream", "no audio or video found at this address", "Unsupported URL"),
        }
        for url, (code, words, tool_words) in cases.items():
            t0 = time.monotonic()
            r = chronicle.cli("submit", url, "--wait", "--json", timeout=60)
            elapsed = time.monotonic() - t0
            assert r.returncode != 0
            job = json.loads(r.stdout)
            assert job["status"] == "failed"
            assert job["error"]["code"] == code
            assert job["error"]["message"] == "not a recordable stream: " + words, job["error"]
            assert tool_words in job["error"]["detail"], job["error"]
            assert r.stderr.count(words) == 1, f"said once: {r.stderr}"
            assert "ended failed" in r.stderr
            assert elapsed < 15, elapsed
            assert job["recording"] is None
            # No recorder was ever started: no recorder log, no process.
            assert not os.path.exists(os.path.join(chronicle.data, "logs", job["id"] + ".log"))
            assert chronicle.recorder_pids(job["id"]) == []
    finally:
        site.close()


def test_same_url_twice_while_recording_is_one_job(chronicle, make_stream):
    stream = make_stream(60)
    status, first = chronicle.api("POST", "/api/v1/jobs", {"url": stream.url})
    assert status == 201
    status, again = chronicle.api("POST", "/api/v1/jobs", {"url": stream.url})
    assert status == 200 and again["id"] == first["id"]
    chronicle.wait_status(first["id"], "recording", 30)
    r = chronicle.cli("submit", stream.url, "--json", check=True)
    assert json.loads(r.stdout)["id"] == first["id"]
    status, page = chronicle.api("GET", "/api/v1/jobs")
    assert len(page["jobs"]) == 1
    assert len(chronicle.recorder_pids(first["id"])) == 1
    chronicle.cli("stop", first["id"], check=True)
    chronicle.wait_status(first["id"], "completed", 60)


def test_killed_recorder_is_recovered_with_its_partial_recording(chronicle, make_stream):
    stream = make_stream(120)
    status, job = chronicle.api("POST", "/api/v1/jobs", {"url": stream.url, "name": "crashy"})
    wait_for(lambda: (lambda j: j if j["status"] == "recording" and j["duration_s"] >= 5 else None)(
        chronicle.job(job["id"])), 60, what="5 s recorded")
    pids = chronicle.recorder_pids(job["id"])
    assert len(pids) == 1
    os.kill(pids[0], signal.SIGKILL)
    job = chronicle.wait_status(job["id"], ["failed", "completed"], 60)
    assert job["status"] == "failed"
    assert job["error"]["code"] == "recorder_lost"
    assert "kept" in job["error"]["message"]
    assert job["recording"] is not None
    stored = os.path.join(chronicle.data, "recordings", job["recording"]["key"])
    assert job["recording"]["key"] == "crashy.mkv"
    assert ffprobe_duration(stored) >= 4
    ok, errors = decodes_cleanly(stored)
    assert ok, errors
    # The orphaned downloader was stopped too: nothing keeps writing into the work directory.
    wait_for(lambda: not os.path.exists(os.path.join(chronicle.data, "work", job["id"])), 10,
             what="work directory cleaned up")


def test_restarting_serve_mid_recording_loses_nothing(chronicle, make_stream):
    stream = make_stream(20)
    status, job = chronicle.api("POST", "/api/v1/jobs", {"url": stream.url})
    chronicle.wait_status(job["id"], "recording", 30)
    chronicle.stop_server()
    assert len(chronicle.recorder_pids(job["id"])) == 1, "the recorder survives serve"
    time.sleep(3)
    chronicle.start()
    job = chronicle.wait_status(job["id"], ["completed", "failed"], 60)
    assert job["status"] == "completed", job
    stored = os.path.join(chronicle.data, "recordings", job["recording"]["key"])
    duration = ffprobe_duration(stored)
    assert abs(duration - 20) <= 2.0, duration
    ok, errors = decodes_cleanly(stored)
    assert ok, errors


def test_a_slow_probe_keeps_its_queue_lease(make_stream, tmp_path):
    """A message is leased for 30 s and the lease is renewed while its job is dispatched: a
    probe that takes longer does not let the message be delivered a second time."""
    slow = tmp_path / "slow-yt-dlp"
    slow.write_text('#!/bin/sh\nfor a in "$@"; do [ "$a" = "--dump-single-json" ] && sleep 40; done\n'
                    'exec yt-dlp "$@"\n')
    slow.chmod(0o755)
    c = Chronicle(env={"CHRONICLE_YTDLP": str(slow), "CHRONICLE_PROBE_TIMEOUT": "60"})
    try:
        stream = make_stream(60)
        status, job = c.api("POST", "/api/v1/jobs", {"url": stream.url})
        assert status == 201
        c.wait_status(job["id"], ["recording"], 75)
        _, _, metrics = c.request("GET", "/metrics")
        assert re.search(rb"^chronicle_dispatch_received_total 1$", metrics, re.M), metrics.decode()
        status, _ = c.api("POST", f"/api/v1/jobs/{job['id']}/stop")
        assert status == 202
        assert c.wait_status(job["id"], ["completed", "failed"], 60)["status"] == "completed"
    finally:
        c.close()
