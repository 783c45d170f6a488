#!/usr/bin/python3
"""Viewers of a recording in progress: what do N players of live.m3u8 cost `chronicle serve`, and
does the recording lose anything while they watch?

A simulated live stream (pre-encoded 1 s segments, so producing it costs nothing) is recorded by
chronicle. Once it has recorded --warmup seconds, N viewers start, each as hls.js does: fetch the
playlist, fetch every segment it lists from the first (the archive, by byte range), then poll the
playlist once a target duration and fetch what is new. The same viewers then read a snapshot of
the same playlist and the same journal files from nginx, the static-file peer. Printed side by
side: CPU seconds per wall second of serve (and of nginx), playlist latency p50/p99, segment bytes
served; then, once the stream ends, the recording against what was produced.

    /usr/bin/python3 bench/watchers.py [--viewers 50] [--seconds 60] [--warmup 20]

Needs nginx (apt-get install nginx-light).
"""
import argparse
import os
import re
import shutil
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../tests/e2e"))
from hls_sim import SimulatedLive  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nginx  # noqa: E402
from idle import ROOT, Serve, free_port  # noqa: E402

RANGE = re.compile(r"#EXT-X-BYTERANGE:(\d+)@(\d+)\n([^\n]+)")


class Viewer(threading.Thread):
    """One player: the playlist, every segment from the first, then what is new every second."""

    def __init__(self, base, playlist, until, stats):
        super().__init__(daemon=True)
        self.base, self.playlist, self.until, self.stats = base, playlist, until, stats
        self.fetched = set()

    def get(self, url, headers=None):
        req = urllib.request.Request(url if url.startswith("http") else self.base + url, headers=headers or {})
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.read()

    def run(self):
        while time.monotonic() < self.until:
            t0 = time.monotonic()
            try:
                text = self.get(self.playlist).decode()
            except OSError as e:
                self.stats["errors"].append(str(e))
                time.sleep(1)
                continue
            self.stats["playlist_ms"].append((time.monotonic() - t0) * 1000)
            for length, offset, uri in RANGE.findall(text):
                key = (uri, offset)
                if key in self.fetched or time.monotonic() >= self.until:
                    continue
                end = int(offset) + int(length) - 1
                try:
                    body = self.get(uri, {"Range": f"bytes={offset}-{end}"})
                except OSError as e:
                    self.stats["errors"].append(str(e))
                    continue
                self.fetched.add(key)
                self.stats["bytes"] += len(body)
                self.stats["segments"] += 1
            time.sleep(max(0.0, 1.0 - (time.monotonic() - t0)))


def cpu_of(pid):
    """CPU seconds of `pid` and its children (nginx's worker; serve's threads are its own)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    total = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            children = [int(c) for c in f.read().split()]
    except OSError:
        children = []
    for child in children:
        if child != pid and os.path.exists(f"/proc/{child}/stat"):
            with open(f"/proc/{child}/stat") as f:
                if "chronicle" in f.read().split(")")[0] and pid != child:
                    continue  # a recorder of serve's is measured on its own
            total += cpu_of(child)
    return total


def watch(base, playlist, viewers, seconds, pid):
    stats = {"playlist_ms": [], "bytes": 0, "segments": 0, "errors": []}
    until = time.monotonic() + seconds
    cpu0, t0 = cpu_of(pid), time.monotonic()
    threads = [Viewer(base, playlist, until, stats) for _ in range(viewers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stats["cpu_per_s"] = (cpu_of(pid) - cpu0) / (time.monotonic() - t0)
    return stats


def idle_cpu(pid, seconds):
    cpu0, t0 = cpu_of(pid), time.monotonic()
    time.sleep(seconds)
    return (cpu_of(pid) - cpu0) / (time.monotonic() - t0)


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))] if values else float("nan")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--viewers", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--warmup", type=float, default=20)
    parser.add_argument("--binary", default=os.path.join(ROOT, "build", "chronicle"))
    args = parser.parse_args()

    live_for = args.warmup + 3 * args.seconds + 30
    sim = SimulatedLive([("live", live_for), ("end",)], seconds=live_for + 2)
    data = tempfile.mkdtemp(prefix="chronicle-watchers-")
    serve = Serve(args.binary, data)
    nginx_dir = tempfile.mkdtemp(prefix="chronicle-watchers-nginx-")
    proc = None
    try:
        job = serve.api("POST", "/api/v1/jobs", {"url": sim.url, "name": "watched"})
        while serve.api("GET", f"/api/v1/jobs/{job['id']}")["duration_s"] < args.warmup:
            time.sleep(0.5)
        playlist = f"/api/v1/jobs/{job['id']}/live.m3u8"
        quiet = idle_cpu(serve.proc.pid, args.seconds / 3)
        with_viewers = watch(serve.base, playlist, args.viewers, args.seconds, serve.proc.pid)

        # The peer: nginx serving a snapshot of the same playlist and the same journal files.
        journal = os.path.join(data, "work", job["id"], "journal")
        text = urllib.request.urlopen(serve.base + playlist, timeout=10).read().decode()
        os.makedirs(os.path.join(nginx_dir, "www"))
        os.symlink(journal, os.path.join(nginx_dir, "www", "live"))
        with open(os.path.join(nginx_dir, "www", "live.m3u8"), "w") as f:
            f.write(re.sub(r"/api/v1/jobs/[^/]+/live/", "/live/", text))
        port = free_port()
        proc = nginx.start(nginx_dir, f"""
  access_log off;
  types {{ application/vnd.apple.mpegurl m3u8; video/mp2t ts; }}
  server {{ listen 127.0.0.1:{port}; root {nginx_dir}/www; }}""", f"http://127.0.0.1:{port}/live.m3u8")
        peer = watch(f"http://127.0.0.1:{port}", "/live.m3u8", args.viewers, args.seconds, proc.pid)

        done = None
        deadline = time.monotonic() + live_for + 120
        while time.monotonic() < deadline:
            done = serve.api("GET", f"/api/v1/jobs/{job['id']}")
            if done["status"] in ("completed", "failed"):
                break
            time.sleep(1)
        print(f"{args.viewers} viewers for {args.seconds:.0f} s of a recording in progress "
              f"({args.warmup:.0f} s recorded when they start)\n")
        print(f"{'':28} {'chronicle serve':>16} {'nginx (static)':>16}")
        print(f"{'CPU s per s, no viewers':28} {quiet:16.3f} {'':>16}")
        print(f"{'CPU s per s, viewers':28} {with_viewers['cpu_per_s']:16.3f} {peer['cpu_per_s']:16.3f}")
        for name, p in (("playlist p50 ms", 0.5), ("playlist p99 ms", 0.99)):
            print(f"{name:28} {pct(with_viewers['playlist_ms'], p):16.1f} {pct(peer['playlist_ms'], p):16.1f}")
        print(f"{'playlists served':28} {len(with_viewers['playlist_ms']):16d} {len(peer['playlist_ms']):16d}")
        print(f"{'segments served':28} {with_viewers['segments']:16d} {peer['segments']:16d}")
        print(f"{'MiB served':28} {with_viewers['bytes'] / 2**20:16.1f} {peer['bytes'] / 2**20:16.1f}")
        print(f"{'errors':28} {len(with_viewers['errors']):16d} {len(peer['errors']):16d}")
        print(f"\nthe recording: {done['status']}, {done['duration_s']:.1f} s of {sim.produced_s:.1f} s produced, "
              f"{len(done['interruptions'])} interruptions")
        if with_viewers["errors"]:
            print("first error:", with_viewers["errors"][0])
        return 0 if done["status"] == "completed" and not done["interruptions"] else 1
    finally:
        if proc:
            nginx.stop(proc)
        serve.close()
        sim.close()
        shutil.rmtree(data, ignore_errors=True)
        shutil.rmtree(nginx_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
