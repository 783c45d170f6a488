#!/usr/bin/python3
"""A long recording with drops: a pre-encoded segment set served as a live HLS playlist (the
producer costs nothing) that vanishes for --drop seconds every --drop-every seconds and comes back
as a fresh session. Prints the recorded duration against the content published, the gaps the
job lists, the RSS of serve and of the recorder sampled over time, and the finalize time (the
job's `uploading` -> `completed`) beside one sequential read of the stored file.

    /usr/bin/python3 bench/long_recording.py --minutes 60 --drop-every 600 --drop 10
"""
import argparse
import hashlib
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../tests/e2e"))
from harness import Chronicle, ffprobe_duration  # noqa: E402
from hls_sim import SimulatedLive, drop_script, encode_segments  # noqa: E402
from datetime import datetime  # noqa: E402


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def pids_of(pattern):
    r = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True)
    return [int(p) for p in r.stdout.split()]


def parse_time(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--minutes", type=float, default=60)
    p.add_argument("--drop-every", type=float, default=600)
    p.add_argument("--drop", type=float, default=10)
    p.add_argument("--size", default="640x360")
    p.add_argument("--rate", type=int, default=25)
    p.add_argument("--sample-every", type=float, default=10)
    args = p.parse_args()

    seconds = int(args.minutes * 60)
    t0 = time.monotonic()
    segments = encode_segments(seconds + 2, size=args.size, rate=args.rate)
    print(f"encoded {seconds} s of {args.size}@{args.rate} in {time.monotonic() - t0:.0f} s", flush=True)
    script = drop_script(seconds, args.drop_every, args.drop)

    c = Chronicle(env={"CHRONICLE_HEARTBEAT_INTERVAL": "5", "CHRONICLE_HEARTBEAT_STALE": "30"})
    sim = SimulatedLive(script, segments=segments)
    samples = []  # (elapsed s, recorded s, serve KiB, recorder KiB)
    try:
        status, job = c.api("POST", "/api/v1/jobs", {"url": sim.url, "name": "long"})
        start = time.monotonic()
        recorder = None
        while True:
            j = c.job(job["id"])
            if j["status"] in ("completed", "failed", "canceled"):
                break
            if recorder is None:
                found = pids_of(f"record --job {job['id']}")
                recorder = found[0] if found else None
            samples.append((time.monotonic() - start, j["duration_s"], rss_kib(c.proc.pid),
                            rss_kib(recorder) if recorder else None))
            if len(samples) % 30 == 1:
                print(f"{samples[-1][0]:7.0f} s  {j['status']:<10} recorded {j['duration_s']:8.1f} s  "
                      f"serve {samples[-1][2]} KiB  recorder {samples[-1][3]} KiB  gaps {len(j['interruptions'])}",
                      flush=True)
            time.sleep(args.sample_every)
        stored = os.path.join(c.data, "recordings", j["recording"]["key"])
        duration = ffprobe_duration(stored)
        t1 = time.monotonic()
        h = hashlib.sha256()
        with open(stored, "rb") as f:
            for chunk in iter(lambda: f.read(4 << 20), b""):
                h.update(chunk)
        read_s = time.monotonic() - t1
        t1 = time.monotonic()
        with open(stored, "rb") as f:
            while f.read(4 << 20):
                pass
        plain_read_s = time.monotonic() - t1
        finalize_s = parse_time(j["milestones"]["completed"]) - parse_time(j["milestones"]["uploading"])

        def column(i):
            vals = [s[i] for s in samples if s[i]]
            return vals

        serve, rec = column(2), column(3)
        print()
        print(f"status {j['status']}, end_reason {j['end_reason']}, interruptions {len(j['interruptions'])}")
        for gap in j["interruptions"]:
            print(f"  at {gap['at_s']:8.1f} s: gap {gap['gap_s']:.1f} s")
        print(f"content published {sim.produced_s:.1f} s, recorded {duration:.1f} s "
              f"({100 * duration / sim.produced_s:.2f}%), file {j['recording']['size'] / 1e6:.1f} MB")
        print("| process | RSS first sample | RSS at 50% | RSS last sample | max |")
        print("| --- | --- | --- | --- | --- |")
        for name, vals in (("serve", serve), ("recorder", rec)):
            if vals:
                print(f"| {name} | {vals[0] / 1024:.1f} MiB | {vals[len(vals) // 2] / 1024:.1f} MiB | "
                      f"{vals[-1] / 1024:.1f} MiB | {max(vals) / 1024:.1f} MiB |")
        print(f"finalize (uploading -> completed: join, SHA-256, torrent, store): {finalize_s:.2f} s")
        print(f"one sequential read of the stored file: {plain_read_s:.2f} s (with SHA-256: {read_s:.2f} s)")
        assert h.hexdigest() == j["recording"]["sha256"]
    finally:
        sim.close()
        c.close()


if __name__ == "__main__":
    main()
