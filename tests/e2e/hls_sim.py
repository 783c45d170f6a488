"""A live HLS stream simulator: serves pre-encoded segments as a live playlist that follows a
script of what real broadcasts do (go live, stall, vanish, restart with a fresh playlist, end).

Segments are encoded once (ffmpeg, faster than real time) and then only served, so many
streams, or an hour-long one, cost almost nothing to produce. A rewinding restart serves
the segment files again from the first one, as when a broadcaster's encoder is restarted.

Script steps: ("live", seconds), ("stall", seconds) (the playlist stays, nothing new, no
ENDLIST), ("gone", seconds) (playlist and segments answer 404), ("restart", rewind) (a fresh
playlist, media sequence from 0; with rewind the segment files are served again from the first,
so timestamps start over and segment names repeat), ("end",) (#EXT-X-ENDLIST).

    python3 hls_sim.py --minutes 60 --drop-every 600 --drop 10   # prints its URL, serves until killed
"""
import argparse
import functools
import http.server
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

_encoded = {}


def encode_segments(seconds, size="640x360", rate=25, bitrate=None, directory=None, segment_s=1, audio="aac"):
    """`segment_s` segments of testsrc2 + a sine tone (`audio`: its ffmpeg encoder), encoded as
    fast as the machine goes. Cached per process. Returns (directory, [durations])."""
    key = (seconds, size, rate, bitrate, segment_s, audio)
    if key in _encoded and directory is None:
        return _encoded[key]
    out = directory or tempfile.mkdtemp(prefix="chronicle-sim-")
    video = ["-c:v", "libx264", "-preset", "ultrafast", "-g", str(rate * segment_s), "-keyint_min", str(rate * segment_s),
             "-sc_threshold", "0"]
    source = f"testsrc2=size={size}:rate={rate}"
    if bitrate:
        # Noise does not compress: the stream really runs at this rate.
        source = f"nullsrc=size={size}:rate={rate},geq=random(1)*255:128:128"
        video += ["-b:v", bitrate, "-maxrate", bitrate, "-bufsize", bitrate]
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", source,
         "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", str(seconds),
         *video, "-c:a", audio, "-f", "hls", "-hls_time", str(segment_s), "-hls_list_size", "0",
         "-hls_segment_filename", os.path.join(out, "seg%05d.ts"), os.path.join(out, "all.m3u8")],
        check=True)
    with open(os.path.join(out, "all.m3u8")) as f:
        durations = [float(m) for m in re.findall(r"#EXTINF:([0-9.]+)", f.read())]
    _encoded[key] = (out, durations)
    return out, durations


def drop_script(seconds, drop_every, drop):
    """`seconds` of content that vanishes for `drop` seconds every `drop_every` seconds of
    content and comes back as a fresh playlist each time, then ends."""
    script, left = [], seconds
    while left > 0:
        part = min(drop_every, left)
        script.append(("live", part))
        left -= part
        if left > 0:
            script += [("gone", drop), ("restart",)]
    return script + [("end",)]


class SimulatedLive:
    def __init__(self, script, segments=None, window=6, speed=1.0, seconds=None, host="127.0.0.1", port=0,
                 segment_base="", variants=None, require_cookie=None):
        """`variants`: sizes ("1280x720", ...) served as renditions of one stream behind a master
        playlist (`master_url`), each at /v<i>/live.m3u8 with the same timeline."""
        total = sum(step[1] for step in script if step[0] == "live")
        self.variants = list(variants or [])
        # "name=value": every request without that cookie gets 403, as a members-only stream does.
        self.require_cookie = require_cookie
        self.refused = 0
        self.variant_dirs = [encode_segments(seconds or total + 2, size=size)[0] for size in self.variants]
        if segments is None:
            segments = encode_segments(seconds or total + 2)
        self.dir, self.durations = segments
        self.script = list(script)
        self.window = window
        self.speed = speed
        self.lock = threading.Lock()
        self.session = 0
        self.sequence = []  # (media sequence, segment index) of the current session
        self.next_index = 0
        self.gone = False
        self.ended = False
        self.produced_s = 0.0  # content published, over all sessions
        self.phase = "starting"
        self.requests = 0
        self.published = []  # (media sequence, monotonic time) of every segment published, all sessions
        self.served = set()  # media sequences of the current session's segments served in full
        self.segment_base = segment_base  # segments listed as absolute URLs under it (e.g. another host)
        handler = functools.partial(_Handler, sim=self)
        self.httpd = _Server((host, port), handler)
        self.port = self.httpd.server_address[1]
        self.url = f"http://{host}:{self.port}/live.m3u8"
        self.master_url = f"http://{host}:{self.port}/master.m3u8"
        self._stop = threading.Event()
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self._publish()  # the first segment is there before anyone asks
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _publish(self):
        with self.lock:
            if self.next_index >= len(self.durations):
                return False
            seq = self.sequence[-1][0] + 1 if self.sequence else 0
            self.sequence.append((seq, self.next_index))
            if self.session == 0:
                self.published.append((seq, time.monotonic()))
            self.produced_s += self.durations[self.next_index]
            self.next_index += 1
            return True

    def _sleep(self, seconds):
        return self._stop.wait(seconds / self.speed)

    def _run(self):
        first = True
        for step in self.script:
            kind = step[0]
            self.phase = kind
            if kind == "live":
                end = time.monotonic() + step[1] / self.speed
                while time.monotonic() < end:
                    if not first and not self._publish():
                        break
                    first = False
                    if self._sleep(self.durations[max(0, self.next_index - 1)]):
                        return
            elif kind == "stall":
                if self._sleep(step[1]):
                    return
            elif kind == "gone":
                with self.lock:
                    self.gone = True
                if self._sleep(step[1]):
                    return
                with self.lock:
                    self.gone = False
            elif kind == "restart":
                with self.lock:
                    self.session += 1
                    self.sequence = []
                    if len(step) > 1 and step[1]:
                        self.next_index = 0  # the new encoder's timestamps start over
                first = False
                self._publish()
            elif kind == "end":
                with self.lock:
                    self.ended = True
                self.phase = "ended"
                return
        self.phase = "done"

    def playlist(self):
        with self.lock:
            if self.gone:
                return None
            shown = self.sequence[-self.window:]
            lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:1",
                     f"#EXT-X-MEDIA-SEQUENCE:{shown[0][0] if shown else 0}"]
            for _, index in shown:
                lines += [f"#EXTINF:{self.durations[index]:.6f},", f"{self.segment_base}seg{index:05d}.ts"]
            if self.ended:
                lines.append("#EXT-X-ENDLIST")
            return ("\n".join(lines) + "\n").encode()

    def master_playlist(self):
        lines = ["#EXTM3U", "#EXT-X-VERSION:3"]
        for i, size in enumerate(self.variants):
            width, height = (int(v) for v in size.split("x"))
            lines += [f'#EXT-X-STREAM-INF:BANDWIDTH={width * height * 3},RESOLUTION={size},'
                      f'CODECS="avc1.64001f,mp4a.40.2"', f"v{i}/live.m3u8"]
        return ("\n".join(lines) + "\n").encode()

    def wait_phase(self, phase, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.phase == phase:
                return
            time.sleep(0.05)
        raise AssertionError(f"simulator never reached {phase} (at {self.phase})")

    def close(self):
        self._stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # clients (ffmpeg being stopped) hang up mid-request: that is their right


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def __init__(self, *args, sim, **kwargs):
        self.sim = sim
        super().__init__(*args, **kwargs)

    def log_message(self, *args):
        pass

    def _send(self, status, body, content_type):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        self.sim.requests += 1
        path = self.path.split("?")[0]
        if self.sim.require_cookie:
            sent = [c.strip() for c in self.headers.get("Cookie", "").split(";")]
            if self.sim.require_cookie not in sent:
                self.sim.refused += 1
                return self._send(403, b"members only\n", "text/plain")
        if path == "/master.m3u8" and self.sim.variants and not self.sim.gone:
            return self._send(200, self.sim.master_playlist(), "application/vnd.apple.mpegurl")
        directory = self.sim.dir
        variant = re.match(r"/v(\d+)/", path)
        if variant and int(variant.group(1)) < len(self.sim.variant_dirs):
            directory = self.sim.variant_dirs[int(variant.group(1))]
            path = path[variant.end() - 1:]
        if path == "/live.m3u8":
            body = self.sim.playlist()
            if body is None:
                return self._send(404, b"no such stream\n", "text/plain")
            return self._send(200, body, "application/vnd.apple.mpegurl")
        m = re.fullmatch(r"/seg(\d{5})\.ts", path)
        if m and not self.sim.gone:
            file = os.path.join(directory, f"seg{m.group(1)}.ts")
            if os.path.exists(file):
                with open(file, "rb") as f:
                    self._send(200, f.read(), "video/mp2t")
                if self.command == "GET":
                    with self.sim.lock:
                        index = int(m.group(1))
                        self.sim.served.update(seq for seq, i in self.sim.sequence if i == index)
                return
        self._send(404, b"not found\n", "text/plain")

    do_HEAD = do_GET


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--minutes", type=float, default=60)
    p.add_argument("--drop-every", type=float, default=600, help="seconds of content between drops")
    p.add_argument("--drop", type=float, default=10, help="seconds each drop lasts (playlist gone)")
    p.add_argument("--size", default="320x180")
    p.add_argument("--rate", type=int, default=10)
    p.add_argument("--speed", type=float, default=1.0, help="publish this many times faster than real time")
    p.add_argument("--segments", help="directory to encode the segments into (reused when present)")
    args = p.parse_args()
    seconds = int(args.minutes * 60)
    segs = None
    if args.segments and os.path.exists(os.path.join(args.segments, "all.m3u8")):
        with open(os.path.join(args.segments, "all.m3u8")) as f:
            segs = (args.segments, [float(m) for m in re.findall(r"#EXTINF:([0-9.]+)", f.read())])
    if segs is None:
        if args.segments:
            os.makedirs(args.segments, exist_ok=True)
        segs = encode_segments(seconds + 2, size=args.size, rate=args.rate, directory=args.segments)
    sim = SimulatedLive(drop_script(seconds, args.drop_every, args.drop), segments=segs, speed=args.speed, window=6)
    print(sim.url, flush=True)
    try:
        while sim.phase not in ("ended", "done"):
            time.sleep(1)
        print(f"produced {sim.produced_s:.1f}", flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        sim.close()


if __name__ == "__main__":
    sys.exit(main())
