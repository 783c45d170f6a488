#!/usr/bin/python3
"""A busy chat beside a recording: --rate messages a second for --minutes, from a local server that
speaks Twitch's IRC over WebSocket, while chronicle records a Twitch stand-in (a pre-encoded live
HLS stream; a yt-dlp wrapper presents www.twitch.tv/somebody as it) with its chat. Beside it, the
same stream recorded by a second job without chat, so the cost of the chat is the difference
between two recorders doing the same video work.

Prints, per recorder: CPU seconds per second and RSS (first, middle, last, max sample), the video
recorded against what was published (and any interruption), and for the chat: messages sent,
kept, lost, and how far each one's at_s is from when it was sent.

    /usr/bin/python3 bench/chat.py --minutes 10 --rate 50
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../tests/e2e"))
from harness import ffprobe_duration  # noqa: E402
from hls_sim import SimulatedLive, encode_segments  # noqa: E402
from test_chat import TwitchChronicle, twitch_irc  # noqa: E402
from long_recording import rss_kib  # noqa: E402

HERE = os.path.dirname(__file__)
TICK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid):
    """User + system CPU seconds of a process and its children that were waited for."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return sum(int(x) for x in fields[11:15]) / TICK
    except OSError:
        return None


def recorder_of(job_id):
    r = subprocess.run(["pgrep", "-f", f"record --job {job_id}"], capture_output=True, text=True)
    pids = [int(p) for p in r.stdout.split()]
    return pids[0] if pids else None


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--minutes", type=float, default=10)
    p.add_argument("--rate", type=float, default=50, help="chat messages a second")
    p.add_argument("--sample-every", type=float, default=5)
    args = p.parse_args()
    seconds = int(args.minutes * 60)
    tmp = Path(tempfile.mkdtemp(prefix="chat-bench-"))

    t0 = time.monotonic()
    segments = encode_segments(seconds + 2, size="640x360", rate=25)
    print(f"encoded {seconds} s of 640x360@25 in {time.monotonic() - t0:.0f} s", flush=True)
    sim = SimulatedLive([("live", seconds), ("end",)], segments=segments)
    sent_log = tmp / "sent.jsonl"
    server, port = twitch_irc("--messages", str(int(seconds * args.rate)), "--per-second", str(args.rate),
                              "--ping-ms", "60000", "--log", str(sent_log))
    c = None
    try:
        c = TwitchChronicle(tmp, sim.url, port,
                            env={"CHRONICLE_HEARTBEAT_INTERVAL": "5", "CHRONICLE_HEARTBEAT_STALE": "30"})
        _, with_chat = c.api("POST", "/api/v1/jobs", {"url": "https://www.twitch.tv/somebody", "name": "with chat"})
        _, without = c.api("POST", "/api/v1/jobs", {"url": sim.url, "name": "without chat"})
        jobs = {"with chat": with_chat["id"], "without chat": without["id"]}
        pids = {}
        samples = {name: [] for name in jobs}  # (elapsed, cpu s, rss KiB)
        start = time.monotonic()
        done = {}
        while len(done) < len(jobs):
            for name, job_id in jobs.items():
                if name in done:
                    continue
                j = c.job(job_id)
                if j["status"] in ("completed", "failed", "canceled"):
                    done[name] = j
                    continue
                pid = pids.get(name) or recorder_of(job_id)
                if pid:
                    pids[name] = pid
                    cpu, rss = cpu_s(pid), rss_kib(pid)
                    if cpu is not None and rss is not None:
                        samples[name].append((time.monotonic() - start, cpu, rss))
            elapsed = time.monotonic() - start
            if int(elapsed) % 60 < args.sample_every and samples["with chat"]:
                chat = (c.job(jobs["with chat"]).get("chat") or {})
                print(f"{elapsed:6.0f} s  chat {chat.get('messages', 0):7d} messages, "
                      f"recorder with chat {samples['with chat'][-1][2] / 1024:.1f} MiB, "
                      f"without {samples['without chat'][-1][2] / 1024 if samples['without chat'] else 0:.1f} MiB",
                      flush=True)
            time.sleep(args.sample_every)

        print()
        print(f"{args.rate:g} chat messages a second for {args.minutes:g} min; the same stream recorded twice")
        print("| recorder | CPU (s per s) | RSS first | RSS middle | RSS last | RSS max | video recorded | interruptions |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- |")
        for name, job_id in jobs.items():
            s, j = samples[name], done[name]
            cpu = (s[-1][1] - s[0][1]) / (s[-1][0] - s[0][0]) if len(s) > 1 else float("nan")
            rss = [x[2] / 1024 for x in s]
            stored = os.path.join(c.data, "recordings", j["recording"]["key"]) if j.get("recording") else None
            duration = ffprobe_duration(stored) if stored else 0
            print(f"| {name} | {cpu:.3f} | {rss[0]:.1f} MiB | {rss[len(rss) // 2]:.1f} MiB | {rss[-1]:.1f} MiB | "
                  f"{max(rss):.1f} MiB | {duration:.1f} of {sim.produced_s:.1f} s | {len(j['interruptions'])} |")

        j = done["with chat"]
        status, _, body = c.request("GET", f"/api/v1/jobs/{jobs['with chat']}/chat")
        kept = [json.loads(line) for line in body.decode().splitlines()]
        messages = [r for r in kept if r["type"] == "message"]
        sent = [json.loads(line) for line in sent_log.read_text().splitlines()]
        sent_at = {s["id"]: s["at_ms"] for s in sent if s["type"] == "message"}
        during = [m for m in messages if m["at_s"] >= 1.0]
        first = during[0]
        errors = sorted(abs((m["at_s"] - first["at_s"]) - (sent_at[m["id"]] - sent_at[first["id"]]) / 1000)
                        for m in during)
        ids = [m["id"] for m in messages]
        print()
        print(f"chat: {len(sent_at)} sent, {len(messages)} kept ({len(set(ids))} distinct), "
              f"{len(set(sent_at) - set(ids))} sent but not kept (sent after the video ended: "
              f"{sum(1 for i in set(sent_at) - set(ids) if int(i.split('-')[1]) > len(ids))}); "
              f"file {j['chat']['bytes'] / 1e6:.1f} MB, state {j['chat']['state']}")
        print(f"at_s against sending: p50 {errors[len(errors) // 2] * 1000:.0f} ms, "
              f"p99 {errors[int(len(errors) * 0.99)] * 1000:.0f} ms, max {errors[-1] * 1000:.0f} ms")
    finally:
        server.terminate()
        server.wait(10)
        sim.close()
        if c:
            c.close()


if __name__ == "__main__":
    main()
