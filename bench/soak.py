#!/usr/bin/python3
"""An hour of live HLS with what big sites do to it: the signed playlist URL expires every
--expire-every seconds (403 afterwards: the recorder must go back to the page for a fresh one)
and an ad break of --ad seconds (a separate encode, its own timestamps, between discontinuities)
is stitched in every --ad-every seconds of show, alternately Twitch-style and SCTE-35.

Checked the way a viewer would: every decoded video frame of the recording is hashed
(ffmpeg's framemd5) and compared with the frames of the show as encoded. The recording must be
the show, frame for frame from its first frame to the end: 100% of it, no ad frame, no frame
twice. The recorder's memory (RSS) is sampled throughout and printed per ten minutes.

    /usr/bin/python3 bench/soak.py --minutes 60 [--binary build/chronicle]
"""
import argparse
import copy
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../tests/e2e"))
import hls_shapes as shapes  # noqa: E402
import harness  # noqa: E402
from harness import Chronicle, ffprobe_duration  # noqa: E402
from long_recording import rss_kib  # noqa: E402


def frame_hashes(path):
    r = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", path, "-map", "0:v:0", "-f", "framemd5", "-"],
                       capture_output=True, text=True, check=True)
    return [line.rsplit(",", 1)[1].strip() for line in r.stdout.splitlines() if line and not line.startswith("#")]


def build_stream(d, minutes, ad_every, ad_s):
    t = time.monotonic()
    show_playlist = shapes.encode(d, "show", int(minutes * 60), size="320x180")
    ad_playlist = shapes.encode(d, "ad", ad_s, size="320x180", look="ad", tone=1000)
    print(f"encoded {minutes} min of show and a {ad_s} s ad in {time.monotonic() - t:.0f} s", flush=True)
    show = shapes.read_blocks(show_playlist)
    ad = shapes.read_blocks(ad_playlist)
    blocks, breaks, at, since_ad, style = [], [], 0.0, 0.0, "twitch"
    start_ms = 1_700_000_000_000
    for i, b in enumerate(show):
        if since_ad >= ad_every and i < len(show) - 1:
            this_ad = copy.deepcopy(ad)
            this_ad[0]["tags"].insert(0, "#EXT-X-DISCONTINUITY")
            b = copy.deepcopy(b)
            b["tags"].insert(0, "#EXT-X-DISCONTINUITY")
            breaks.append((at, style, this_ad, b))
            blocks += this_ad
            since_ad = 0.0
            style = "scte35" if style == "twitch" else "twitch"
        blocks.append(b)
        at += b["duration"]
        since_ad += b["duration"]
    shapes.stamp_dates(blocks, start_ms=start_ms)
    # Marked once the dates are on: a Twitch break names its start by PROGRAM-DATE-TIME.
    for show_at, style, this_ad, resumed in breaks:
        first = this_ad[0]["tags"]
        pdt = next(t for t in first if t.startswith("#EXT-X-PROGRAM-DATE-TIME"))
        ad_start = pdt.split(":", 1)[1]
        if style == "twitch":
            from datetime import datetime
            ms = int(datetime.fromisoformat(ad_start.replace("Z", "+00:00")).timestamp() * 1000)
            shapes.mark_break(this_ad, "twitch", start_ms=ms)
        else:
            shapes.mark_break(this_ad, "scte35")
            resumed["tags"].insert(0, "#EXT-X-CUE-IN")
    return blocks, show_playlist, ad_playlist, [(a, s) for a, s, _, _ in breaks]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--minutes", type=float, default=60)
    p.add_argument("--expire-every", type=float, default=600)
    p.add_argument("--ad-every", type=float, default=900)
    p.add_argument("--ad", type=int, default=30, help="seconds of each ad break")
    p.add_argument("--binary", default=os.path.join(HERE, "../build/chronicle"))
    args = p.parse_args()

    d = shapes.workdir()
    blocks, show_playlist, ad_playlist, breaks = build_stream(d, args.minutes, args.ad_every, args.ad)
    show_frames = frame_hashes(show_playlist)
    ad_frames = set(frame_hashes(ad_playlist))
    server = shapes.ShapeServer(d, {"/live.m3u8": shapes.LivePlaylist(blocks)}, expire_every=args.expire_every)
    harness.CHRONICLE = os.path.abspath(args.binary)  # read when serve starts
    c = Chronicle(env={"CHRONICLE_PREVIEW_INTERVAL": "0"})
    samples = []
    try:
        t0 = time.monotonic()
        status, job = c.api("POST", "/api/v1/jobs", {"url": server.url("/page"), "name": "soak"})
        assert status == 201, job
        recorder = None
        while True:
            job = c.job(job["id"])
            if job["status"] in ("completed", "failed", "canceled"):
                break
            if recorder is None:
                found = subprocess.run(["pgrep", "-f", f"record --job {job['id']}"], capture_output=True, text=True)
                recorder = int(found.stdout.split()[0]) if found.stdout.split() else None
            if recorder:
                kib = rss_kib(recorder)
                if kib:
                    samples.append((time.monotonic() - t0, kib))
            time.sleep(10)
        wall = time.monotonic() - t0
        print(f"job {job['status']} after {wall / 60:.1f} min: end_reason {job['end_reason']}, "
              f"error {job['error']}", flush=True)
        path = os.path.join(c.data, "recordings", job["recording"]["key"])
        recorded = frame_hashes(path)
        first = show_frames.index(recorded[0]) if recorded and recorded[0] in show_frames else None
        expected = show_frames[first:] if first is not None else []
        ads_kept = sum(h in ad_frames for h in recorded)
        mismatch = next((i for i, (a, b) in enumerate(zip(recorded, expected)) if a != b), None)
        print(f"show published: {len(show_frames)} frames ({len(show_frames) / 25 / 60:.2f} min); "
              f"recorded {len(recorded)} frames from show frame {first}: "
              f"{100 * len(recorded) / max(1, len(expected)):.3f}% of the show from there, "
              f"{len(recorded) - len(set(recorded))} frames seen twice (testsrc2 repeats none), "
              f"{ads_kept} ad frames, first mismatch at {mismatch}")
        print(f"duration {ffprobe_duration(path):.2f} s; ad breaks listed {job['ad_breaks']}; "
              f"stitched at {[round(a, 1) for a, _ in breaks]} s of show; interruptions {job['interruptions']}; "
              f"URL refusals (expired) {server.refused}")
        print("recorder RSS per ten minutes (max MiB): " + ", ".join(
            f"{int(m // 600) * 10}-{int(m // 600) * 10 + 10} min {max(k for t, k in samples if int(t // 600) == int(m // 600)) / 1024:.1f}"
            for m in sorted({int(t // 600) * 600 for t, _ in samples})))
        exact = first == 0 and recorded == expected and ads_kept == 0
        print("EXACT" if exact else "NOT EXACT")
        return 0 if exact else 1
    finally:
        c.close()
        server.close()
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
