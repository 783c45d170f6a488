"""Streams that do what real broadcasts do: vanish and come back as a fresh session, stall and
resume, stall for good. The recorder reconnects within its window and keeps one recording per
job; every gap is listed on the job and the job says why it ended. The streams come from the
live HLS simulator (pre-encoded segments served as a live playlist)."""
import os
import signal
import time

import pytest

from harness import Chronicle, decodes_cleanly, ffprobe_duration, sha256_of, wait_for
from hls_sim import encode_segments

FAST = {"CHRONICLE_STALL_TIMEOUT": "4", "CHRONICLE_RECONNECT_WINDOW": "60"}


@pytest.fixture
def chronicle():
    c = Chronicle(env=FAST)
    yield c
    c.close()


def finished(c, job_id, timeout):
    return c.wait_status(job_id, ["completed", "failed", "canceled"], timeout)


def check_whole_recording(c, job, produced_s, tmp_path):
    assert job["status"] == "completed", job
    assert job["error"] is None
    stored = os.path.join(c.data, "recordings", job["recording"]["key"])
    assert job["recording"]["key"].endswith(".mkv")
    duration = ffprobe_duration(stored)
    assert duration >= 0.9 * produced_s, (duration, produced_s)
    assert duration <= produced_s + 1.5, "nothing was recorded twice"
    ok, errors = decodes_cleanly(stored)
    assert ok, errors
    # The torrent and the SHA-256 cover the joined file.
    out = tmp_path / "download.mkv"
    r = c.cli("download", job["id"], "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert sha256_of(out) == job["recording"]["sha256"] == sha256_of(stored)
    assert job["torrent"]["infohash_v1"]
    # Nothing is left behind once the joined file is stored.
    assert not os.path.exists(os.path.join(c.data, "work", job["id"]))
    return duration


def test_broadcaster_restart_is_one_recording_with_one_gap(chronicle, sims, tmp_path):
    sim = sims([("live", 10), ("gone", 10), ("restart", True), ("live", 10), ("end",)], seconds=24)
    status, job = chronicle.api("POST", "/api/v1/jobs", {"url": sim.url, "name": "restart"})
    assert status == 201
    # While the stream is gone the job stays recording and shows the open interruption.
    waiting = wait_for(lambda: (lambda j: j if j["interruptions"] else None)(chronicle.job(job["id"])), 30,
                       what="an interruption")
    assert waiting["status"] == "recording"
    assert waiting["interruptions"][0]["gap_s"] is None
    assert waiting["last_media_at"] is not None
    job = finished(chronicle, job["id"], 90)
    duration = check_whole_recording(chronicle, job, sim.produced_s, tmp_path)
    assert job["end_reason"] == "stream_ended"
    assert len(job["interruptions"]) == 1, job["interruptions"]
    gap = job["interruptions"][0]
    assert 7 <= gap["gap_s"] <= 15, gap
    assert 8 <= gap["at_s"] <= 12, gap
    print(f"\nrestart: recorded {duration:.2f} s of {sim.produced_s:.2f} s produced; gap {gap['gap_s']:.1f} s")
    r = chronicle.cli("show", job["id"])
    assert "stream_ended" in r.stdout and "gap" in r.stdout, r.stdout


def test_soft_drop_resumes_the_same_playlist_without_repeating_it(chronicle, sims, tmp_path):
    # The encoder dies, the playlist stays up without new segments, then the same playlist goes on.
    sim = sims([("live", 10), ("stall", 12), ("live", 8), ("end",)], seconds=20)
    status, job = chronicle.api("POST", "/api/v1/jobs", {"url": sim.url})
    assert status == 201
    # The stall watchdog ends the downloader: no data for longer than the stall timeout.
    stalled = wait_for(lambda: (lambda j: j if j["interruptions"] else None)(chronicle.job(job["id"])), 40,
                       what="the stall to be noticed")
    assert stalled["status"] == "recording"
    job = finished(chronicle, job["id"], 90)
    duration = check_whole_recording(chronicle, job, sim.produced_s, tmp_path)
    assert job["end_reason"] == "stream_ended"
    assert len(job["interruptions"]) == 1, job["interruptions"]
    # Wall-clock from the last media to the resumed part (the stall is 12 s; the watchdog and the
    # playlist reload take some of it): within a few seconds of the stall, never zero.
    assert 7 <= job["interruptions"][0]["gap_s"] <= 18, job["interruptions"]
    print(f"\nsoft drop: recorded {duration:.2f} s of {sim.produced_s:.2f} s; gap {job['interruptions'][0]['gap_s']:.1f} s")


def test_stall_that_never_recovers_ends_after_the_window(sims):
    c = Chronicle(env={"CHRONICLE_STALL_TIMEOUT": "4", "CHRONICLE_RECONNECT_WINDOW": "10"})
    try:
        sim = sims([("live", 8), ("stall", 600)], seconds=10)
        status, job = c.api("POST", "/api/v1/jobs", {"url": sim.url})
        sim.wait_phase("stall", 30)
        stall_began = time.monotonic()
        job = finished(c, job["id"], 60)
        took = time.monotonic() - stall_began
        assert job["status"] == "completed", job
        assert job["end_reason"] == "stream_lost"
        assert job["interruptions"] == [], "a gap the stream never came back from is the end, not a gap"
        assert 4 + 10 - 1 <= took <= 4 + 10 + 10, took
        stored = os.path.join(c.data, "recordings", job["recording"]["key"])
        assert ffprobe_duration(stored) >= 0.9 * sim.produced_s
        r = c.cli("show", job["id"])
        assert "did not come back" in r.stdout, r.stdout
        print(f"\nstall: ended {took:.1f} s after the stall began (stall timeout 4 s + window 10 s)")
    finally:
        c.close()


def test_stop_while_waiting_for_the_stream_ends_at_once(sims):
    c = Chronicle(env={"CHRONICLE_STALL_TIMEOUT": "4", "CHRONICLE_RECONNECT_WINDOW": "300"})
    try:
        sim = sims([("live", 8), ("gone", 600)], seconds=10)
        status, job = c.api("POST", "/api/v1/jobs", {"url": sim.url})
        wait_for(lambda: c.job(job["id"])["interruptions"], 40, what="an interruption")
        t0 = time.monotonic()
        r = c.cli("stop", job["id"])
        assert r.returncode == 0, r.stderr
        job = finished(c, job["id"], 30)
        assert time.monotonic() - t0 < 8
        assert job["status"] == "completed" and job["end_reason"] == "stopped", job
        stored = os.path.join(c.data, "recordings", job["recording"]["key"])
        assert ffprobe_duration(stored) >= 7
    finally:
        c.close()


def test_stop_while_ffmpeg_waits_on_a_stalled_playlist_ends_at_once(chronicle, sims):
    """ffmpeg waiting for a live playlist to grow heeds only a second SIGINT; the recorder sends
    it (to ffmpeg itself when it runs ffmpeg directly) instead of killing it 20 s later."""
    sim = sims([("live", 6), ("stall", 300)], seconds=8)
    status, job = chronicle.api("POST", "/api/v1/jobs", {"url": sim.url})
    sim.wait_phase("stall", 30)
    time.sleep(3)  # inside the stall, well before the 30 s stall timeout
    assert chronicle.job(job["id"])["status"] == "recording"
    t0 = time.monotonic()
    status, _ = chronicle.api("POST", f"/api/v1/jobs/{job['id']}/stop")
    assert status == 202
    job = finished(chronicle, job["id"], 30)
    assert time.monotonic() - t0 < 10
    assert job["status"] == "completed" and job["end_reason"] == "stopped", job
    stored = os.path.join(chronicle.data, "recordings", job["recording"]["key"])
    assert ffprobe_duration(stored) >= 5


def test_reconnect_window_per_job(chronicle, sims):
    sim = sims([("live", 6), ("gone", 600)], seconds=8)
    status, job = chronicle.api("POST", "/api/v1/jobs", {"url": sim.url, "reconnect_window_s": 2})
    assert status == 201 and job["reconnect_window_s"] == 2
    job = finished(chronicle, job["id"], 40)
    assert job["end_reason"] == "stream_lost" and job["status"] == "completed"
    status, body = chronicle.api("POST", "/api/v1/jobs", {"url": sim.url, "reconnect_window_s": "long"})
    assert status == 400 and "reconnect_window_s" in body["error"]["message"]


def test_recorder_killed_while_waiting_is_recovered_with_its_parts(chronicle, sims):
    sim = sims([("live", 6), ("gone", 6), ("restart", True), ("live", 6), ("gone", 600)], seconds=8)
    status, job = chronicle.api("POST", "/api/v1/jobs", {"url": sim.url})
    # Two parts recorded, then waiting for the stream again.
    wait_for(lambda: (lambda j: j if len(j["interruptions"]) == 2 else None)(chronicle.job(job["id"])), 60,
             what="the second interruption")
    pids = chronicle.recorder_pids(job["id"])
    assert len(pids) == 1
    os.kill(pids[0], signal.SIGKILL)
    job = finished(chronicle, job["id"], 60)
    assert job["status"] == "failed" and job["error"]["code"] == "recorder_lost", job
    assert job["end_reason"] == "recorder_lost"
    assert [i["gap_s"] is not None for i in job["interruptions"]] == [True]
    stored = os.path.join(chronicle.data, "recordings", job["recording"]["key"])
    assert ffprobe_duration(stored) >= 0.9 * sim.produced_s, "both parts joined"
    ok, errors = decodes_cleanly(stored)
    assert ok, errors


def test_recorder_killed_during_the_join_is_finished_by_the_reaper(sims, tmp_path):
    # An ffmpeg that takes its time joining, while a marker file exists. The stream's audio is MP2,
    # which chronicle's own remuxer leaves to ffmpeg: the join is ffmpeg's.
    tools = tmp_path / "bin"
    tools.mkdir()
    marker = tmp_path / "slow-join"
    marker.write_text("")
    (tools / "ffmpeg").write_text(
        f'#!/bin/sh\nfor a in "$@"; do [ "$a" = concat ] && [ -e {marker} ] && sleep 60; done\n'
        'exec /usr/bin/ffmpeg "$@"\n')
    (tools / "ffmpeg").chmod(0o755)
    (tools / "ffprobe").symlink_to("/usr/bin/ffprobe")
    c = Chronicle(env={**FAST, "CHRONICLE_FFMPEG": str(tools / "ffmpeg")})
    try:
        sim = sims([("live", 6), ("gone", 6), ("restart", True), ("live", 6), ("end",)],
                   segments=encode_segments(8, audio="mp2"))
        status, job = c.api("POST", "/api/v1/jobs", {"url": sim.url})
        c.wait_status(job["id"], "uploading", 60)
        wait_for(lambda: os.path.exists(os.path.join(c.data, "work", job["id"], "journal", "main.ffconcat")), 10,
                 what="the join to start")
        for pid in c.recorder_pids(job["id"]):
            os.kill(pid, signal.SIGKILL)
        subprocess_kill_join(job["id"])
        marker.unlink()
        job = finished(c, job["id"], 60)
        assert job["status"] == "failed" and job["end_reason"] == "recorder_lost", job
        stored = os.path.join(c.data, "recordings", job["recording"]["key"])
        assert job["recording"]["key"].endswith(".mkv")
        assert ffprobe_duration(stored) >= 0.9 * sim.produced_s
        ok, errors = decodes_cleanly(stored)
        assert ok, errors
    finally:
        c.close()


def subprocess_kill_join(job_id):
    """The killed recorder's join (a sleeping ffmpeg wrapper) is stopped too, as a crash would."""
    import subprocess
    subprocess.run(["pkill", "-KILL", "-f", f"work/{job_id}/journal/main.ffconcat"], check=False)
