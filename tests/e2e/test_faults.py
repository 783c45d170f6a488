"""Faults around the recorder, made for real: a full disk (the data directory on a small tmpfs in
a private mount namespace), a store that refuses writes (another process holding SQLite's write
lock) when the recorder finishes, and tools that are missing."""
import json
import os
import sqlite3
import subprocess
import threading
import time

import pytest

from harness import CHRONICLE, Chronicle, decodes_cleanly, ffprobe_duration, free_port, sha256_of, wait_for
from hls_sim import encode_segments


class SmallDiskChronicle(Chronicle):
    """`chronicle serve` whose data directory is a tmpfs of `size` mounted in a mount namespace of
    its own: the machine's filesystems are never touched, and recorders (its children) share it."""

    def __init__(self, size, **kw):
        self.size = size
        super().__init__(**kw)

    def start(self):
        self.log = open(os.path.join(self.data, f"serve-{time.time():.0f}.log"), "ab")
        script = ('mount -t tmpfs -o size="$1" chronicle-test "$2" && shift 2 && exec "$@"')
        self.proc = subprocess.Popen(
            ["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh", self.size, self.data,
             CHRONICLE, "serve", "--data", self.data, "--listen", f"127.0.0.1:{self.port}"],
            env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        wait_for(self._healthy, 15, what="chronicle serve to answer /healthz")

    def inside(self, *argv):
        """Runs a command in serve's mount namespace (where the tmpfs is)."""
        return subprocess.run(["nsenter", "-t", str(self.proc.pid), "-m", *argv], capture_output=True, text=True,
                              timeout=60)


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs in a private mount namespace needs root")
def test_full_disk_stops_the_recording_cleanly_and_refuses_new_ones(sims, tmp_path):
    small = encode_segments(6)
    # Noise does not compress: 16 Mbit/s fills the small disk in well under a minute.
    heavy = encode_segments(60, size="640x360", bitrate="16M")
    c = SmallDiskChronicle("100m", env={"CHRONICLE_DISK_RESERVE": "50M", "CHRONICLE_DISK_FLOOR": "25M",
                                        "CHRONICLE_STALL_TIMEOUT": "4"})
    try:
        # An earlier recording, which must come through untouched.
        first = sims([("live", 4), ("end",)], segments=small)
        status, early = c.api("POST", "/api/v1/jobs", {"url": first.url, "name": "before"})
        early = c.wait_status(early["id"], ["completed", "failed"], 60)
        assert early["status"] == "completed", early

        big = sims([("live", 60), ("end",)], segments=heavy)
        status, job = c.api("POST", "/api/v1/jobs", {"url": big.url, "name": "big"})
        assert status == 201, job
        job = c.wait_status(job["id"], ["completed", "failed"], 120)
        assert job["status"] == "completed", job
        assert job["end_reason"] == "disk_full", job
        assert job["recording"] is not None
        assert big.phase == "live", "it stopped because of the disk, not because the stream ended"

        # What was recorded plays, and matches its SHA-256.
        out = tmp_path / "big"
        r = c.cli("download", job["id"], "-o", str(out))
        assert r.returncode == 0, r.stderr
        assert sha256_of(out) == job["recording"]["sha256"]
        assert ffprobe_duration(str(out)) >= 10
        ok, errors = decodes_cleanly(str(out))
        assert ok, errors
        if job["recording"]["key"].endswith(".ts"):
            assert any("MPEG-TS" in w for w in job["warnings"]), job["warnings"]

        # Storing it freed the work directory (the recorder writes MPEG-TS and Matroska side by
        # side, and keeps one): if that brought the free space back over the reserve, other files
        # take it again.
        status, info = c.api("GET", "/api/v1/info")
        if info["disk"]["free"] >= info["disk"]["reserve"]:
            fill = info["disk"]["free"] - info["disk"]["reserve"] + 5_000_000
            filled = c.inside("fallocate", "-l", str(fill), f"{c.data}/filler")
            assert filled.returncode == 0, filled.stderr
        # Below the reserve: new submits get 507 with the reason; serve stays up.
        status, body = c.api("POST", "/api/v1/jobs", {"url": first.url + "?again"})
        assert status == 507, body
        assert body["error"]["code"] == "insufficient_storage"
        assert "free" in body["error"]["message"] and "reserve" in body["error"]["message"]
        status, info = c.api("GET", "/api/v1/info")
        assert info["disk"]["free"] < info["disk"]["reserve"]
        assert c._healthy()

        # The database is intact and the earlier recording kept its bytes.
        check = c.inside("/usr/bin/python3", "-c",
                         f"import sqlite3; print(sqlite3.connect('{c.data}/chronicle.db')"
                         ".execute('pragma integrity_check').fetchone()[0])")
        assert check.stdout.strip() == "ok", check
        early_copy = tmp_path / "before"
        assert c.cli("download", early["id"], "-o", str(early_copy)).returncode == 0
        assert sha256_of(early_copy) == early["recording"]["sha256"]

        # Space freed: submits work again.
        assert c.inside("rm", "-f", f"{c.data}/filler").returncode == 0
        assert c.cli("rm", job["id"]).returncode == 0
        status, again = c.api("POST", "/api/v1/jobs", {"url": first.url + "?again"})
        assert status == 201, again
        print(f"\ndisk full: stored {job['recording']['size'] / 1e6:.1f} MB as {job['recording']['key']}, "
              f"warnings {job['warnings']}")
    finally:
        c.close()


def test_store_refusing_writes_when_the_recorder_finishes(sims):
    c = Chronicle(env={"CHRONICLE_STALL_TIMEOUT": "4"})
    lock_released = threading.Event()
    db = None
    try:
        sim = sims([("live", 8), ("end",)], seconds=10)
        status, job = c.api("POST", "/api/v1/jobs", {"url": sim.url})
        c.wait_status(job["id"], "recording", 30)
        # Another process takes SQLite's write lock until well after the stream has ended.
        db = sqlite3.connect(os.path.join(c.data, "chronicle.db"), isolation_level=None, timeout=30)
        db.execute("BEGIN EXCLUSIVE")
        sim.wait_phase("ended", 30)
        time.sleep(3)
        # A restart of serve in between changes nothing: it goes down while the store refuses
        # writes (its threads share one SQLite connection and each waits out the busy timeout
        # before it can stop) and comes back once the store takes them again.
        c.stop_server(timeout=90)
        assert c.recorder_pids(job["id"]), "the recorder outlives serve and keeps retrying"
        # The lock is held until the recorder, done with the stream, has had a write refused (how
        # long that takes depends on the machine's load, not on a fixed sleep).
        recorder_log = os.path.join(c.data, "logs", job["id"] + ".log")
        wait_for(lambda: "retrying" in open(recorder_log).read(), 90,
                 what="the recorder to log a refused write while the store is locked")
        assert c.recorder_pids(job["id"]), "the recorder keeps retrying"
        db.execute("COMMIT")
        lock_released.set()
        c.start()
        job = c.wait_status(job["id"], ["completed", "failed"], 120)
        assert lock_released.is_set()
        assert job["status"] == "completed", job
        assert job["end_reason"] == "stream_ended"
        stored = os.path.join(c.data, "recordings", job["recording"]["key"])
        assert ffprobe_duration(stored) >= 0.9 * sim.produced_s
        assert sha256_of(stored) == job["recording"]["sha256"]
        assert "retrying" in open(recorder_log).read(), "the refused writes were logged"
    finally:
        if db is not None and not lock_released.is_set():
            db.execute("COMMIT")
        c.close()


def test_missing_ffmpeg_is_a_clear_configuration_error(tmp_path, sims):
    port = free_port()
    data = tmp_path / "data"
    r = subprocess.run([CHRONICLE, "serve", "--data", str(data), "--listen", f"127.0.0.1:{port}"],
                       env=dict(os.environ, CHRONICLE_FFMPEG=str(tmp_path / "no" / "ffmpeg")),
                       capture_output=True, text=True, timeout=30)
    assert r.returncode != 0
    out = r.stdout + r.stderr
    assert "cannot start" in out and "ffmpeg" in out and "CHRONICLE_FFMPEG" in out, out

    # A recorder that cannot run a tool ends failed / tool_missing.
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "ffmpeg").symlink_to("/usr/bin/ffmpeg")
    (tools / "ffprobe").symlink_to("/usr/bin/ffprobe")
    c = Chronicle(env={"CHRONICLE_FFMPEG": str(tools / "ffmpeg")})
    try:
        status, health = c.api("GET", "/healthz")
        assert set(health["tools"]) == {"yt-dlp", "ffmpeg", "ffprobe"}, health
        status, info = c.api("GET", "/api/v1/info")
        assert info["tools"]["ffmpeg"] and info["disk"]["free"] > 0
        (tools / "ffmpeg").unlink()
        sim = sims([("live", 30)], seconds=32)
        status, job = c.api("POST", "/api/v1/jobs", {"url": sim.url})
        job = c.wait_status(job["id"], ["failed", "completed"], 60)
        assert job["status"] == "failed" and job["error"]["code"] == "tool_missing", job
        assert "ffmpeg" in job["error"]["message"]
    finally:
        c.close()


def test_tools_get_a_scrubbed_environment(sims, tmp_path):
    """yt-dlp and ffmpeg run with what a program needs, never chronicle's token or cloud keys."""
    dump = tmp_path / "env"
    tools = tmp_path / "bin"
    tools.mkdir()
    for name in ("yt-dlp", "ffmpeg", "ffprobe"):
        (tools / name).write_text(f'#!/bin/sh\necho TOOL={name} >> {dump}\nenv >> {dump}\nexec /usr/bin/{name} "$@"\n')
        (tools / name).chmod(0o755)
    secrets = {"AWS_SECRET_ACCESS_KEY": "do-not-leak-1", "AWS_SESSION_TOKEN": "do-not-leak-2",
               "CHRONICLE_S3_BUCKET": "do-not-leak-3"}
    c = Chronicle(env={"CHRONICLE_YTDLP": str(tools / "yt-dlp"), "CHRONICLE_FFMPEG": str(tools / "ffmpeg"), **secrets})
    try:
        sim = sims([("live", 4), ("end",)], seconds=6)
        status, job = c.api("POST", "/api/v1/jobs", {"url": sim.url})
        job = c.wait_status(job["id"], ["completed", "failed"], 60)
        assert job["status"] == "completed", job
        seen = dump.read_text()
        # The probe (a wrapper is not Python, so yt-dlp runs once per probe), the recorder's ffmpeg
        # on the probe's extraction, the join and ffprobe all ran.
        assert "TOOL=yt-dlp" in seen and "TOOL=ffmpeg" in seen and "TOOL=ffprobe" in seen, seen[:2000]
        assert seen.count("PATH=") >= 3
        for value in secrets.values():
            assert value not in seen
        assert "CHRONICLE_" not in seen
    finally:
        c.close()


def test_a_tracker_left_by_a_killed_serve_is_ended_on_restart():
    import signal
    import socket
    c = Chronicle()
    tracker_port = int(c.env["CHRONICLE_TRACKER_LISTEN"].rsplit(":", 1)[1])

    def trackers():
        r = subprocess.run(["pgrep", "-f", f"opentracker -p {tracker_port} "], capture_output=True, text=True)
        return [int(p) for p in r.stdout.split()]

    try:
        first = wait_for(lambda: trackers(), 15, what="the tracker")
        c.stop_server(signal.SIGKILL)
        time.sleep(1)
        # Started as root, opentracker drops to "nobody" and loses its parent-death signal.
        assert len(trackers()) <= 1
        c.start()
        wait_for(lambda: (lambda t: len(t) == 1 and t != first)(trackers()), 20, what="exactly one new tracker")
        with socket.create_connection(("127.0.0.1", tracker_port), timeout=5):
            pass  # the new tracker holds the port
    finally:
        c.close()
        for pid in trackers():
            os.kill(pid, 9)


def test_a_locked_store_answers_503_with_retry_after_and_keeps_the_data(chronicle):
    status, before = chronicle.api("POST", "/api/v1/jobs", {"url": "http://127.0.0.1:9/gone.m3u8", "name": "kept"})
    assert status == 201, before
    chronicle.wait_status(before["id"], ["failed"], 60)
    # Another process holds SQLite's write lock: chronicle cannot write, and says so as an outage.
    db = sqlite3.connect(os.path.join(chronicle.data, "chronicle.db"), isolation_level=None, timeout=30)
    try:
        db.execute("BEGIN IMMEDIATE")
        status, headers, body = chronicle.request("POST", "/api/v1/jobs",
                                                  {"url": "http://127.0.0.1:9/other.m3u8", "name": "blocked"})
        assert status == 503, body
        assert headers.get("Retry-After") == "5", headers
        assert json.loads(body)["error"]["code"] == "storage_error"
        assert "locked" in json.loads(body)["error"]["message"]
        # Reads go on (WAL): the job is there, unchanged.
        status, job = chronicle.api("GET", f"/api/v1/jobs/{before['id']}")
        assert status == 200 and job["status"] == "failed" and job["name"] == "kept"
        r = chronicle.cli("submit", "http://127.0.0.1:9/third.m3u8")
        assert r.returncode == 5, (r.returncode, r.stderr)
    finally:
        db.execute("ROLLBACK")
        db.close()
    status, job = chronicle.api("GET", f"/api/v1/jobs/{before['id']}")
    assert status == 200 and job == chronicle.job(before["id"])
    status, page = chronicle.api("GET", "/api/v1/jobs")
    assert [j["name"] for j in page["jobs"]] == ["kept"], "the refused submits left nothing behind"
