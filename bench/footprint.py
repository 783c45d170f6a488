#!/usr/bin/python3
"""Measures what one recording costs on this machine: submit->recording latency, and the RSS
and CPU of chronicle's own processes (serve, the recorder) beside yt-dlp and ffmpeg.

    /usr/bin/python3 bench/footprint.py [--seconds 30] [--bin build/chronicle]
"""
import argparse
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../tests/e2e"))
import harness  # noqa: E402

CLK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def proc_stat(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / CLK
    rss = int(fields[21]) * PAGE
    return cpu, rss


def children(pid):
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [int(p) for p in out]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("--bin", default=harness.CHRONICLE)
    args = ap.parse_args()
    harness.CHRONICLE = args.bin

    stream = harness.LiveStream(args.seconds)
    c = harness.Chronicle(env={"CHRONICLE_HEARTBEAT_INTERVAL": "5", "CHRONICLE_HEARTBEAT_STALE": "30"})
    try:
        t0 = time.monotonic()
        status, job = c.api("POST", "/api/v1/jobs", {"url": stream.url})
        c.wait_status(job["id"], "recording", 60)
        latency = time.monotonic() - t0

        peaks = {}
        cpu = {}
        serve_cpu0, _ = proc_stat(c.proc.pid)
        start = time.monotonic()
        while c.job(job["id"])["status"] == "recording":
            groups = {"serve": [c.proc.pid]}
            rec = c.recorder_pids(job["id"])
            groups["recorder (chronicle record)"] = rec
            yt = [p for r in rec for p in children(r)]
            groups["yt-dlp (python)"] = yt
            groups["ffmpeg"] = [p for y in yt for p in children(y)]
            for name, pids in groups.items():
                for pid in pids:
                    try:
                        cpu_s, rss = proc_stat(pid)
                    except (FileNotFoundError, ProcessLookupError):
                        continue
                    peaks[name] = max(peaks.get(name, 0), rss)
                    cpu[name] = max(cpu.get(name, 0), cpu_s)
            time.sleep(0.5)
        wall = time.monotonic() - start
        serve_cpu1, _ = proc_stat(c.proc.pid)
        cpu["serve"] = serve_cpu1 - serve_cpu0
        final = c.wait_status(job["id"], ["completed", "failed"], 120)

        print(f"stream: {args.seconds} s live HLS, 640x360 25 fps + AAC, recorded {final['duration_s']:.1f} s, "
              f"{final['bytes'] / 1e6:.1f} MB, status {final['status']}")
        print(f"submit -> recording latency: {latency:.2f} s")
        print(f"{'process':<30} {'peak RSS':>10} {'CPU while recording':>22}")
        for name in ["serve", "recorder (chronicle record)", "yt-dlp (python)", "ffmpeg"]:
            share = 100 * cpu.get(name, 0) / wall if wall else 0
            print(f"{name:<30} {peaks.get(name, 0) / 2**20:>7.1f} MiB {cpu.get(name, 0):>8.2f} s ({share:4.1f}% of a core)")
    finally:
        c.close()
        stream.close()


if __name__ == "__main__":
    main()
