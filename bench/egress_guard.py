#!/usr/bin/python3
"""What the egress guard costs a recording: the same downloader command (yt-dlp driving ffmpeg,
as the recorder runs it) on the same stream, straight to the server and through chronicle's
egress proxy, side by side.

  * throughput: a finished playlist (ENDLIST) of --seconds of --bitrate video, downloaded as fast
    as it goes (what catching up on a live window or a fast network looks like);
  * a live recording at real time: --live seconds of a live playlist, the CPU the proxy used.

    cmake --build build --target bench_egress_proxy
    /usr/bin/python3 bench/egress_guard.py --seconds 120 --bitrate 20M --live 60
"""
import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../tests/e2e"))
from hls_sim import SimulatedLive, encode_segments  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def download(url, out_dir, proxy=None):
    argv = ["yt-dlp", "--ignore-config", "--no-playlist", "--newline", "--downloader", "ffmpeg", "--hls-use-mpegts",
            "--fixup", "never", "-o", os.path.join(out_dir, "out.%(ext)s")]
    if proxy:
        argv += ["--proxy", proxy]
    before, t0 = children_cpu(), time.monotonic()
    subprocess.run(argv + ["--", url], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall, cpu = time.monotonic() - t0, children_cpu() - before
    size = sum(os.path.getsize(os.path.join(out_dir, f)) for f in os.listdir(out_dir))
    return wall, cpu, size


class Proxy:
    def __init__(self, binary):
        self.proc = subprocess.Popen([binary], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.url = self.proc.stdout.readline().strip()

    def finish(self):
        self.proc.stdin.close()
        stats = json.loads(self.proc.stdout.readline())
        self.proc.wait()
        return stats


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=int, default=120, help="content of the finished playlist")
    p.add_argument("--bitrate", default="20M")
    p.add_argument("--live", type=int, default=60, help="seconds of the live recording (0: skip)")
    p.add_argument("--proxy-binary", default=os.path.join(ROOT, "build", "bench", "bench_egress_proxy"))
    args = p.parse_args()

    segments = encode_segments(args.seconds, size="1280x720", bitrate=args.bitrate)
    sim = SimulatedLive([("live", 0.1), ("end",)], segments=segments, window=10 ** 6)
    # Publish every segment, then end: a finished playlist served by the simulator.
    while sim._publish():
        pass
    sim.ended = True
    rows = []
    for label in ["direct", "through the guard"]:
        out = tempfile.mkdtemp(prefix="egress-bench-")
        proxy = Proxy(args.proxy_binary) if label != "direct" else None
        wall, cpu, size = download(sim.url, out, proxy.url if proxy else None)
        stats = proxy.finish() if proxy else {"cpu_s": 0.0, "connections": 0, "max_rss_kib": 0}
        rows.append((label, wall, size, cpu, stats))
        shutil.rmtree(out)
    sim.close()
    mb = rows[0][2] / 1e6
    print(f"\nfinished playlist: {args.seconds} s of {args.bitrate}bit/s 720p, {mb:.0f} MB, {len(segments[1])} segments")
    print(f"{'':22}{'wall s':>9}{'MB/s':>9}{'yt-dlp+ffmpeg CPU s':>22}{'guard CPU s':>13}{'guard RSS MiB':>15}"
          f"{'connections':>13}")
    for label, wall, size, cpu, stats in rows:
        print(f"{label:22}{wall:9.2f}{size / 1e6 / wall:9.1f}{cpu:22.2f}{stats['cpu_s']:13.3f}"
              f"{stats['max_rss_kib'] / 1024:15.1f}{stats['connections']:13}")
    guard = rows[1][4]
    print(f"guard CPU per GB carried: {guard['cpu_s'] / (guard['bytes_down'] / 1e9):.2f} s")

    if args.live:
        live_segments = encode_segments(args.live + 2, size="1280x720", bitrate="6M")
        rows = []
        for label in ["direct", "through the guard"]:
            sim = SimulatedLive([("live", args.live), ("end",)], segments=live_segments)
            out = tempfile.mkdtemp(prefix="egress-bench-")
            proxy = Proxy(args.proxy_binary) if label != "direct" else None
            wall, cpu, size = download(sim.url, out, proxy.url if proxy else None)
            stats = proxy.finish() if proxy else {"cpu_s": 0.0, "connections": 0, "max_rss_kib": 0}
            rows.append((label, wall, size, cpu, stats))
            sim.close()
            shutil.rmtree(out)
        print(f"\nlive recording: {args.live} s at 6 Mbit/s 720p, real time")
        print(f"{'':22}{'recorded MB':>12}{'yt-dlp+ffmpeg CPU s':>22}{'guard CPU s':>13}{'guard CPU %':>13}")
        for label, wall, size, cpu, stats in rows:
            print(f"{label:22}{size / 1e6:12.1f}{cpu:22.2f}{stats['cpu_s']:13.3f}{100 * stats['cpu_s'] / wall:13.2f}")


if __name__ == "__main__":
    main()
