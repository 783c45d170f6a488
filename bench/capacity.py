#!/usr/bin/python3
"""How many live streams at once, and at what cost: chronicle beside the tools people record with.

N live HLS streams of 720p at 6 Mbit/s (2 s segments, a window of --window segments, one
pre-encoded segment set served by nginx, so producing them costs nothing) are recorded at once
by each tool in turn:

  chronicle   `chronicle serve` with N jobs submitted through its API (seeding and the tracker
              off: the peers do not seed either)
  ffmpeg      `ffmpeg -i URL -c copy out.ts`, one per stream
  yt-dlp      `yt-dlp --downloader ffmpeg --hls-use-mpegts` (the original system's recorder)
  streamlink  `streamlink -o out.ts hls://URL best` (Debian's package)

Everything a tool runs (serve, recorders, the extractor, ffmpeg, Python) is counted through a
cgroup of its own (cgroup v1 cpuacct, so children started in their own sessions count too).
Printed per N and tool:
  lost     segments published after the stream was handed to the tool that it never fetched
           (nginx's access log), and streams whose file is short by more than one segment
  live     CPU per stream while all streams run, as a share of one core (from 15 s after the
           start to the streams' end: the steady cost of following a stream)
  total    CPU seconds per stream from the start until every recording is finished (startup,
           finalize: chronicle's includes the Matroska join, SHA-256 and the .torrent)
  mem      peak proportional set size (PSS) of all the tool's processes, per stream

    /usr/bin/python3 bench/capacity.py --streams 8,16,32,64 [--tools chronicle,ffmpeg] [--live-for 60]

Run as root (it makes cgroups); needs nginx-light and streamlink (apt).
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../tests/e2e"))
sys.path.insert(0, HERE)
from hls_sim import encode_segments  # noqa: E402
import nginx  # noqa: E402
from burst import Streams, api, free_port  # noqa: E402

ROOT = os.path.join(HERE, "..")
SEGMENT_S = 2
WARMUP_S = 15
CPUACCT = "/sys/fs/cgroup/cpuacct"


class Cgroup:
    """A cpuacct cgroup the tool's processes are started in; their children stay in it."""

    def __init__(self, name):
        self.path = os.path.join(CPUACCT, f"chronicle-capacity-{name}-{os.getpid()}")
        os.makedirs(self.path, exist_ok=True)

    def enter(self):  # runs in the child between fork and exec
        with open(os.path.join(self.path, "cgroup.procs"), "w") as f:
            f.write(str(os.getpid()))

    def cpu_s(self):
        with open(os.path.join(self.path, "cpuacct.usage")) as f:
            return int(f.read()) / 1e9

    def pids(self):
        with open(os.path.join(self.path, "cgroup.procs")) as f:
            return [int(p) for p in f.read().split()]

    def pss_kib(self):
        total = 0
        for pid in self.pids():
            try:
                with open(f"/proc/{pid}/smaps_rollup") as f:
                    for line in f:
                        if line.startswith("Pss:"):
                            total += int(line.split()[1])
                            break
            except OSError:
                pass
        return total

    def kill_all(self):
        for _ in range(50):
            pids = self.pids()
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.1)
        try:
            os.rmdir(self.path)
        except OSError:
            pass


class Sampler:
    """CPU and PSS of a cgroup once a second, stamped with the wall clock."""

    def __init__(self, cgroup):
        self.cgroup, self.samples = cgroup, []
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while True:
            self.samples.append((time.time(), self.cgroup.cpu_s(), self.cgroup.pss_kib()))
            if self._stop.wait(1.0):
                return

    def stop(self):
        self._stop.set()
        self.thread.join()
        self.samples.append((time.time(), self.cgroup.cpu_s(), self.cgroup.pss_kib()))

    def cpu_between(self, t0, t1):
        inside = [s for s in self.samples if t0 <= s[0] <= t1]
        if len(inside) < 2:
            return float("nan"), 0.0
        return inside[-1][1] - inside[0][1], inside[-1][0] - inside[0][0]

    def peak_pss_kib(self):
        return max((s[2] for s in self.samples), default=0)


def ffprobe_duration(path):
    r = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path],
                       capture_output=True, text=True)
    try:
        return float(r.stdout.strip())
    except ValueError:
        return 0.0


def peer_argv(tool, url, out):
    if tool == "ffmpeg":
        return ["ffmpeg", "-nostdin", "-loglevel", "error", "-i", url, "-c", "copy", "-f", "mpegts", out]
    if tool == "yt-dlp":
        return ["yt-dlp", "--quiet", "--no-progress", "--downloader", "ffmpeg", "--hls-use-mpegts", "-f", "b",
                "--no-part", "-o", out, "--", url]
    if tool == "streamlink":
        return ["streamlink", "--loglevel", "error", "-o", out, "hls://" + url, "best"]
    raise ValueError(tool)


def record_with_peer(tool, n, streams, cgroup, outdir, live_for):
    """Starts one process per stream; returns {stream: (handed over at, output file)} once all exited."""
    procs, started = [], {}
    for i in range(n):
        out = os.path.join(outdir, f"{i}.ts")
        started[i] = (time.time(), out)
        procs.append(subprocess.Popen(peer_argv(tool, streams.url(i), out), preexec_fn=cgroup.enter,
                                      stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                      stderr=open(os.path.join(outdir, f"{i}.log"), "w")))
    streams.end_at = time.time() + live_for
    deadline = streams.end_at + 120
    for p in procs:
        try:
            p.wait(max(1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    return started


def record_with_chronicle(binary, n, streams, cgroup, data, live_for, sampler_start):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, CHRONICLE_DATA=data, CHRONICLE_LISTEN=f"127.0.0.1:{port}",
               CHRONICLE_ALLOW_PRIVATE_NETWORKS="1", CHRONICLE_MAX_RECORDINGS=str(n + 10),
               CHRONICLE_TRACKER="0", CHRONICLE_SEED="0", CHRONICLE_LOG_LEVEL="warn")
    serve = subprocess.Popen([binary, "serve"], env=env, preexec_fn=cgroup.enter, stdout=subprocess.DEVNULL,
                             stderr=open(os.path.join(data, "serve.log"), "w"))
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1).read()
            break
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError("serve did not start")
            time.sleep(0.1)
    time.sleep(2)  # serve's own start (the resident extractor's import) is not a stream's cost
    sampler_start()
    started = {}
    for i in range(n):
        t = time.time()
        job = api(base, "POST", "/api/v1/jobs", {"url": streams.url(i)})
        started[i] = (t, job["id"])
    streams.end_at = time.time() + live_for
    # Nothing asks serve anything while the streams run (a dashboard's reads are not a
    # recording's cost); afterwards the jobs are looked at until all are finished.
    time.sleep(max(0.0, streams.end_at - time.time()))
    jobs = {}
    deadline = streams.end_at + 180
    while time.time() < deadline:
        time.sleep(1)
        page = api(base, "GET", f"/api/v1/jobs?limit={n + 10}")
        jobs = {j["id"]: j for j in page["jobs"]}
        if all(jobs.get(job_id, {}).get("status") in ("completed", "failed", "canceled")
               for _, job_id in started.values()):
            break
    done = time.time()
    out = {}
    for i, (t, job_id) in started.items():
        job = jobs.get(job_id, {})
        key = (job.get("recording") or {}).get("key")
        out[i] = (t, os.path.join(data, "recordings", key) if key else None)
    nginx.stop_process(serve, signal.SIGTERM, 30)
    return out, done


def run_once(tool, n, args, segments):
    streams = Streams(n, args.window, segments, head_start=args.window * SEGMENT_S, segment_s=SEGMENT_S,
                      spread_s=0.2)
    cgroup = Cgroup(tool)
    work = tempfile.mkdtemp(prefix=f"chronicle-capacity-{tool}-")
    sampler = None
    try:
        def start_sampling():
            nonlocal sampler
            sampler = Sampler(cgroup)

        if tool == "chronicle":
            started, done = record_with_chronicle(args.binary, n, streams, cgroup, work, args.live_for,
                                                  start_sampling)
        else:
            start_sampling()
            started = record_with_peer(tool, n, streams, cgroup, work, args.live_for)
            done = time.time()
        sampler.stop()
        fetched = streams.fetched()
        lost_segments, short_files = 0, 0
        for i, (t, path) in started.items():
            wanted = [seq for seq in range(streams.last_seq(i, streams.end_at) + 1)
                      if streams.publish_time(i, seq) >= t]
            lost_segments += sum(seq not in fetched[i] for seq in wanted)
            recorded = ffprobe_duration(path) if path and os.path.exists(path) else 0.0
            short_files += recorded < len(wanted) * SEGMENT_S - SEGMENT_S
        first = min(t for t, _ in started.values())
        live_cpu, live_wall = sampler.cpu_between(first + WARMUP_S, streams.end_at)
        total_cpu, _ = sampler.cpu_between(first - 1, done + 1)
        return {"tool": tool, "n": n, "lost": lost_segments, "short": short_files,
                "live_share": 100 * live_cpu / live_wall / n if live_wall else float("nan"),
                "total_cpu_s": total_cpu / n, "pss_mib": sampler.peak_pss_kib() / 1024 / n}
    finally:
        if sampler and sampler.thread.is_alive():
            sampler.stop()
        cgroup.kill_all()
        streams.close()
        if not os.environ.get("KEEP"):
            shutil.rmtree(work, ignore_errors=True)


def cached_segments(seconds):
    """The encode is kept under /var/tmp between runs: it takes longer than some runs."""
    directory = f"/var/tmp/chronicle-capacity-720p-6M-{SEGMENT_S}s-{seconds}s"
    playlist = os.path.join(directory, "all.m3u8")
    if os.path.exists(playlist):
        with open(playlist) as f:
            return directory, [float(m) for m in re.findall(r"#EXTINF:([0-9.]+)", f.read())]
    os.makedirs(directory, exist_ok=True)
    return encode_segments(seconds, size="1280x720", rate=30, bitrate="6M", segment_s=SEGMENT_S, directory=directory)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--streams", default="8,16,32,64")
    p.add_argument("--tools", default="chronicle,ffmpeg,yt-dlp,streamlink")
    p.add_argument("--window", type=int, default=6, help="segments a playlist lists")
    p.add_argument("--live-for", type=float, default=60, help="seconds the streams stay live once handed over")
    p.add_argument("--binary", default=os.path.join(ROOT, "build/chronicle"))
    p.add_argument("--json", help="also write the rows here")
    args = p.parse_args()
    if os.getuid() != 0:
        sys.exit("run as root: each tool is measured in a cgroup of its own")
    for needed in ["nginx", "ffmpeg", "yt-dlp", "streamlink"]:
        if not shutil.which(needed):
            sys.exit(f"needs {needed} (apt-get install nginx-light ffmpeg yt-dlp streamlink)")
    t = time.monotonic()
    # Enough content that no stream wraps around while it is live (a wrap would be a timestamp jump).
    seconds = int(args.window * SEGMENT_S + args.live_for + 20)
    segments = cached_segments(seconds)
    print(f"encoded {seconds} s of 1280x720@30 at 6 Mbit/s in {time.monotonic() - t:.0f} s", flush=True)
    tools = args.tools.split(",")
    rows, best = [], {tool: 0 for tool in tools}
    print(f"{'N':>4} {'tool':<11} {'lost':>5} {'short':>5} {'live %core/stream':>18} {'total CPU s/stream':>19} "
          f"{'peak PSS MiB/stream':>20}", flush=True)
    for n in [int(x) for x in args.streams.split(",")]:
        for tool in tools:
            r = run_once(tool, n, args, segments)
            rows.append(r)
            if r["lost"] == 0 and r["short"] == 0:
                best[tool] = max(best[tool], n)
            print(f"{n:>4} {tool:<11} {r['lost']:>5} {r['short']:>5} {r['live_share']:>18.2f} "
                  f"{r['total_cpu_s']:>19.2f} {r['pss_mib']:>20.1f}", flush=True)
    print("\nmost streams recorded with nothing lost: " + ", ".join(f"{t} {best[t]}" for t in tools))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
