#!/usr/bin/python3
"""A burst of streams that are already live, submitted at once: is every recording started inside
the playlist's window, so that nothing from the moment of submitting is missed?

N live HLS streams (1 s segments, a window of --window segments) are served by nginx from one
pre-encoded segment set, so producing them costs nothing; a small writer moves each stream's
playlist on once a second. The streams have been live for a while when all N are submitted at
once; they end (ENDLIST) --live-for seconds later. nginx's access log says which segments of each
stream were fetched: a segment published after its stream was submitted and never fetched is a
missed segment.

Printed per N and per chronicle binary: missed segments (and how many streams missed any),
submit->`recording` p50/p95/max, jobs completed, CPU seconds of chronicle's own processes
against yt-dlp's and ffmpeg's, and /healthz latency while it all happens.

    /usr/bin/python3 bench/burst.py --streams 10,50,100 [--baseline /path/to/older/chronicle]

Needs nginx (apt-get install nginx-light); run as a user that may bind 127.0.0.1 ports.
"""
import argparse
import concurrent.futures
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../tests/e2e"))
from hls_sim import encode_segments  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nginx  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
SEGMENT_S = 1.0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Streams:
    """N live streams as files nginx serves: playlists rewritten as time passes."""

    def __init__(self, n, window, segments, head_start, segment_s=SEGMENT_S, spread_s=0.1):
        self.n, self.window, self.segment_s = n, window, segment_s
        self.seg_dir, durations = segments
        self.count = len(durations)
        self.dir = tempfile.mkdtemp(prefix="chronicle-burst-")
        self.port = free_port()
        self.log = os.path.join(self.dir, "access.log")
        now = time.time()
        # Streams went live at slightly different moments, as real ones do.
        self.t0 = [now - head_start - (i % 10) * spread_s for i in range(n)]
        self.end_at = None
        for i in range(n):
            os.makedirs(os.path.join(self.dir, "s", str(i)))
        self.write_all()
        self.nginx = nginx.start(self.dir, f"""
  log_format fetched '$msec $uri $status';
  access_log {self.log} fetched;
  server {{
    listen 127.0.0.1:{self.port};
    location ~ ^/s/(\\d+)/q(\\d+)-(\\d+)\\.ts$ {{ alias {self.seg_dir}/seg$3.ts; }}
    location /s/ {{ root {self.dir}; types {{ application/vnd.apple.mpegurl m3u8; }} }}
  }}""", self.url(0), connections=8192)
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def url(self, i):
        return f"http://127.0.0.1:{self.port}/s/{i}/live.m3u8"

    def last_seq(self, i, t):
        """The newest segment of stream i published by time t (segment k is whole at t0 + k + 1)."""
        end = t if self.end_at is None else min(t, self.end_at)
        return int((end - self.t0[i]) // self.segment_s) - 1

    def publish_time(self, i, seq):
        return self.t0[i] + (seq + 1) * self.segment_s

    def write_all(self):
        now = time.time()
        for i in range(self.n):
            last = self.last_seq(i, now)
            first = max(0, last - self.window + 1)
            lines = ["#EXTM3U", "#EXT-X-VERSION:3", f"#EXT-X-TARGETDURATION:{round(self.segment_s)}",
                     f"#EXT-X-MEDIA-SEQUENCE:{first}"]
            for seq in range(first, last + 1):
                lines += [f"#EXTINF:{self.segment_s:.6f},", f"q{seq}-{seq % self.count:05d}.ts"]
            if self.end_at is not None and now >= self.end_at:
                lines.append("#EXT-X-ENDLIST")
            path = os.path.join(self.dir, "s", str(i), "live.m3u8")
            with open(path + ".tmp", "w") as f:
                f.write("\n".join(lines) + "\n")
            os.rename(path + ".tmp", path)

    def _run(self):
        while not self._stop.wait(0.1):
            self.write_all()

    def fetched(self):
        """{stream: set of segment sequence numbers fetched with 200}."""
        out = {i: set() for i in range(self.n)}
        with open(self.log) as f:
            for line in f:
                parts = line.split()
                if len(parts) != 3 or parts[2] not in ("200", "206") or not parts[1].endswith(".ts"):
                    continue
                _, _, stream, name = parts[1].split("/")
                out[int(stream)].add(int(name[1:].split("-")[0]))
        return out

    def close(self):
        self._stop.set()
        self.thread.join()
        nginx.stop(self.nginx)
        if not os.environ.get("KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)


class CpuSampler:
    """CPU seconds of every process, by kind, sampled from /proc twice a second (a process's last
    sample before it exits is what counts)."""

    KINDS = ("chronicle", "yt-dlp", "ffmpeg")

    def __init__(self):
        self.last = {}  # pid -> (kind, cpu seconds)
        self.tick = os.sysconf("SC_CLK_TCK")
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _kind(self, pid):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            return None
        exe = os.path.basename(argv[0].decode(errors="replace"))
        if exe == "chronicle":
            return "chronicle"
        if exe == "ffmpeg":
            return "ffmpeg"
        if exe.startswith("python") and (b"yt_dlp" in b" ".join(argv) or any(a.endswith(b"yt-dlp") for a in argv)):
            return "yt-dlp"
        if exe == "yt-dlp":
            return "yt-dlp"
        return None

    def sample(self):
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            pid = int(name)
            kind = self.last[pid][0] if pid in self.last else self._kind(pid)
            if kind is None:
                continue
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            self.last[pid] = (kind, (int(fields[11]) + int(fields[12])) / self.tick)

    def _run(self):
        while not self._stop.wait(0.5):
            self.sample()

    def totals(self):
        self._stop.set()
        self.thread.join()
        self.sample()
        out = {k: 0.0 for k in self.KINDS}
        for kind, cpu in self.last.values():
            out[kind] += cpu
        return out


class HealthProbe:
    """GETs a URL every 100 ms from a thread of this process: chronicle's /healthz, and beside it a
    small static file from nginx, so the client's and the machine's share of the latency shows."""

    def __init__(self, url):
        self.url, self.latencies = url, []
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self._stop.wait(0.1):
            t = time.monotonic()
            try:
                urllib.request.urlopen(self.url, timeout=5).read()
                self.latencies.append(time.monotonic() - t)
            except OSError:
                self.latencies.append(5.0)

    def stop(self):
        self._stop.set()
        self.thread.join()
        return self.latencies


def percentile(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def parse_time(text):
    from datetime import datetime
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def api(base, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"null")


def run_once(binary, n, args, segments):
    data = tempfile.mkdtemp(prefix="chronicle-burst-data-")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, CHRONICLE_DATA=data, CHRONICLE_LISTEN=f"127.0.0.1:{port}",
               CHRONICLE_ALLOW_PRIVATE_NETWORKS="1", CHRONICLE_MAX_RECORDINGS=str(n + 10),
               CHRONICLE_TRACKER="0", CHRONICLE_SEED="0", CHRONICLE_LOG_LEVEL="warn")
    streams = Streams(n, args.window, segments, head_start=args.window + 4)
    serve = None
    try:
        serve = subprocess.Popen([binary, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("serve did not start")
                time.sleep(0.1)
        time.sleep(2)  # let serve finish starting (the resident extractor's import)
        cpu = CpuSampler()
        health = HealthProbe(base + "/healthz")
        with open(os.path.join(streams.dir, "s", "health.txt"), "w") as f:
            f.write("ok\n")
        static_health = HealthProbe(f"http://127.0.0.1:{streams.port}/s/health.txt")
        submitted = {}

        def submit(i):
            t = time.time()
            job = api(base, "POST", "/api/v1/jobs", {"url": streams.url(i)})
            return i, t, job["id"]

        with concurrent.futures.ThreadPoolExecutor(max_workers=min(n, 32)) as pool:
            for i, t, job_id in pool.map(submit, range(n)):
                submitted[i] = (t, job_id)
        streams.end_at = time.time() + args.live_for
        jobs = {}
        deadline = time.monotonic() + args.live_for + 180
        while time.monotonic() < deadline:
            time.sleep(1)
            page = api(base, "GET", f"/api/v1/jobs?limit={n + 10}")
            jobs = {j["id"]: j for j in page["jobs"]}
            if all(jobs.get(job_id, {}).get("status") in ("completed", "failed", "canceled")
                   for _, job_id in submitted.values()):
                break
        cpu_s = cpu.totals()
        healthz = health.stop()
        static = static_health.stop()
        fetched = streams.fetched()
        missed, streams_missing, latencies, claimed, completed = 0, 0, [], [], 0
        for i, (t, job_id) in submitted.items():
            job = jobs.get(job_id, {})
            completed += job.get("status") == "completed"
            if "recording" in job.get("milestones", {}):
                latencies.append(parse_time(job["milestones"]["recording"]) - t)
            if "starting" in job.get("milestones", {}):
                claimed.append(parse_time(job["milestones"]["starting"]) - t)
            wanted = [seq for seq in range(streams.last_seq(i, streams.end_at) + 1)
                      if streams.publish_time(i, seq) >= t]
            lost = [seq for seq in wanted if seq not in fetched[i]]
            missed += len(lost)
            streams_missing += bool(lost)
        return {
            "n": n, "missed": missed, "streams_missing": streams_missing, "completed": completed,
            "p50": percentile(latencies, 50), "p95": percentile(latencies, 95),
            "max": max(latencies) if latencies else float("nan"),
            "claimed_p50": percentile(claimed, 50), "claimed_p95": percentile(claimed, 95),
            "cpu": cpu_s, "healthz_p99_ms": percentile(healthz, 99) * 1000,
            "nginx_static_p99_ms": percentile(static, 99) * 1000,
        }
    finally:
        if serve:
            nginx.stop_process(serve, signal.SIGTERM, 30)
        # Recorders run in sessions of their own and outlive serve by design: end them too.
        subprocess.run(["pkill", "-TERM", "-f", f"record --job .* --data {data}"], check=False)
        time.sleep(1)
        subprocess.run(["pkill", "-KILL", "-f", f"chronicle.* --data {data}"], check=False)
        streams.close()
        shutil.rmtree(data, ignore_errors=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--streams", default="10,50,100")
    p.add_argument("--window", type=int, default=6, help="segments (seconds) a playlist lists")
    p.add_argument("--live-for", type=float, default=30, help="seconds the streams stay live after the submits")
    p.add_argument("--binary", default=os.path.join(ROOT, "build/chronicle"))
    p.add_argument("--baseline", help="an older chronicle binary to run side by side")
    args = p.parse_args()
    if not shutil.which("nginx"):
        sys.exit("needs nginx: apt-get install nginx-light")
    segments = encode_segments(60, size="320x180", rate=10)
    binaries = [("chronicle", args.binary)] + ([("baseline", args.baseline)] if args.baseline else [])
    rows = []
    for n in [int(x) for x in args.streams.split(",")]:
        for name, binary in binaries:
            r = run_once(binary, n, args, segments)
            r["name"] = name
            rows.append(r)
            print(json.dumps(r), flush=True)
    print()
    print(f"{'binary':10} {'N':>4} {'missed seg':>10} {'streams':>8} {'done':>5} {'p50 s':>6} {'p95 s':>6} "
          f"{'max s':>6} {'chronicle':>9} {'yt-dlp':>7} {'ffmpeg':>7} {'own %':>6} {'healthz p99':>11} "
          f"{'nginx file p99':>14}")
    for r in rows:
        c = r["cpu"]
        tools = c["yt-dlp"] + c["ffmpeg"]
        own = 100 * c["chronicle"] / tools if tools else float("nan")
        print(f"{r['name']:10} {r['n']:>4} {r['missed']:>10} {r['streams_missing']:>8} {r['completed']:>5} "
              f"{r['p50']:>6.2f} {r['p95']:>6.2f} {r['max']:>6.2f} {c['chronicle']:>8.1f}s {c['yt-dlp']:>6.1f}s "
              f"{c['ffmpeg']:>6.1f}s {own:>5.1f}% {r['healthz_p99_ms']:>9.0f}ms {r['nginx_static_p99_ms']:>12.0f}ms")


if __name__ == "__main__":
    main()
