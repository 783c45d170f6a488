"""Live HLS streams in the shapes the big sites serve, from real ffmpeg encodes: MPEG-TS, fMP4
with an init section that changes, AES-128 with rotating keys, byte ranges, audio as a separate
rendition, discontinuities with a resolution change, Twitch-style stitched ads and SCTE-35
CUE-OUT/CUE-IN breaks, and signed playlist URLs that expire.

Each shape is encoded once as a VOD playlist (faster than real time), then `LivePlaylist` serves
it as a live sliding window that publishes one segment per its duration, keeping every tag that
applies to the segments it lists (keys, maps, discontinuities, date ranges), as a CDN would.
"""
import functools
import http.server
import os
import re
import subprocess
import tempfile
import threading
import time
import urllib.parse

FFMPEG = ["ffmpeg", "-nostdin", "-loglevel", "error", "-y"]


def _video_args(rate=25):
    return ["-c:v", "libx264", "-preset", "ultrafast", "-g", str(rate), "-keyint_min", str(rate),
            "-sc_threshold", "0", "-c:a", "aac", "-b:a", "64k"]


def _sources(seconds, size, look, rate=25, tone=440):
    video = {"show": f"testsrc2=size={size}:rate={rate}", "ad": f"smptebars=size={size}:rate={rate}"}[look]
    return ["-f", "lavfi", "-i", video, "-f", "lavfi", "-i", f"sine=frequency={tone}:sample_rate=48000",
            "-t", str(seconds)]


def encode(directory, name, seconds, size="640x360", look="show", fmp4=False, single_file=False, tone=440,
           start_number=0):
    """One VOD HLS encode of 1 s segments in `directory`, files prefixed `name`. Returns the
    playlist's path."""
    playlist = os.path.join(directory, f"{name}.m3u8")
    args = [*FFMPEG, *_sources(seconds, size, look, tone=tone), *_video_args(), "-f", "hls", "-hls_time", "1",
            "-hls_list_size", "0", "-hls_playlist_type", "vod", "-start_number", str(start_number)]
    if fmp4:
        args += ["-hls_segment_type", "fmp4", "-hls_fmp4_init_filename", f"{name}-init.mp4",
                 "-hls_segment_filename", os.path.join(directory, f"{name}-%05d.m4s")]
    elif single_file:
        args += ["-hls_flags", "single_file", "-hls_segment_filename", os.path.join(directory, f"{name}.ts")]
    else:
        args += ["-hls_segment_filename", os.path.join(directory, f"{name}-%05d.ts")]
    subprocess.run(args + [playlist], check=True)
    return playlist


def encode_renditions(directory, seconds, size="640x360"):
    """Video and audio as separate renditions behind a master playlist (EXT-X-MEDIA TYPE=AUDIO).
    Returns (master path, video playlist path, audio playlist path)."""
    subprocess.run([*FFMPEG, *_sources(seconds, size, "show"), "-map", "0:v", "-map", "1:a", *_video_args(),
                    "-f", "hls", "-hls_time", "1", "-hls_list_size", "0", "-hls_playlist_type", "vod",
                    "-master_pl_name", "master.m3u8", "-var_stream_map", "v:0,agroup:aud a:0,agroup:aud",
                    "-hls_segment_filename", os.path.join(directory, "r%v-%05d.ts"),
                    os.path.join(directory, "r%v.m3u8")], check=True)
    return (os.path.join(directory, "master.m3u8"), os.path.join(directory, "r0.m3u8"),
            os.path.join(directory, "r1.m3u8"))


def read_blocks(playlist_path, prefix=""):
    """A VOD playlist's segments as blocks: (tags before the URI, URI, duration)."""
    blocks, tags = [], []
    with open(playlist_path) as f:
        for line in f.read().splitlines():
            line = line.strip()
            if not line or line in ("#EXTM3U", "#EXT-X-ENDLIST") or line.startswith(
                    ("#EXT-X-VERSION", "#EXT-X-TARGETDURATION", "#EXT-X-MEDIA-SEQUENCE", "#EXT-X-PLAYLIST-TYPE",
                     "#EXT-X-INDEPENDENT-SEGMENTS")):
                continue
            if line.startswith("#"):
                tags.append(line)
            else:
                duration = float(re.search(r"#EXTINF:([0-9.]+)", "\n".join(tags)).group(1))
                blocks.append({"tags": tags, "uri": prefix + line, "duration": duration})
                tags = []
    return blocks


def encrypt_segments(directory, blocks, keys_every=5):
    """AES-128 with a key that rotates every `keys_every` segments; the IV is given explicitly on
    odd keys and left to the media sequence number on even ones. Rewrites the files in place."""
    for i, block in enumerate(blocks):
        n = i // keys_every
        key = os.urandom(16)
        if i % keys_every == 0:
            key_file = os.path.join(directory, f"key{n}.bin")
            with open(key_file, "wb") as f:
                f.write(key)
        with open(os.path.join(directory, f"key{n}.bin"), "rb") as f:
            key = f.read()
        iv = f"{0x1000 + i:032x}" if n % 2 else f"{i:032x}"
        path = os.path.join(directory, block["uri"])
        subprocess.run(["openssl", "enc", "-aes-128-cbc", "-K", key.hex(), "-iv", iv, "-in", path,
                        "-out", path + ".enc"], check=True)
        os.replace(path + ".enc", path)
        if i % keys_every == 0:
            tag = f'#EXT-X-KEY:METHOD=AES-128,URI="key{n}.bin"' + (f",IV=0x{iv}" if n % 2 else "")
            block["tags"] = [tag] + block["tags"]
        elif n % 2:
            # An explicit IV belongs to the tag; each segment with its own IV gets its own tag.
            block["tags"] = [f'#EXT-X-KEY:METHOD=AES-128,URI="key{n}.bin",IV=0x{iv}'] + block["tags"]
    return blocks


def mark_break(blocks, style, start_ms=1_700_000_000_000):
    """Marks `blocks` (the ad's) as an ad break: "twitch" (PROGRAM-DATE-TIME, a DATERANGE of class
    twitch-stitched-ad, "Amazon" titles) or "scte35" (CUE-OUT with its duration, CUE-IN after)."""
    total = sum(b["duration"] for b in blocks)
    if style == "twitch":
        for i, b in enumerate(blocks):
            b["tags"] = [t.replace(",", ",Amazon|123456789", 1) if t.startswith("#EXTINF") and i % 2 == 0 else t
                         for t in b["tags"]]
        blocks[0]["tags"].insert(0, f'#EXT-X-DATERANGE:ID="stitched-ad-1",CLASS="twitch-stitched-ad",'
                                    f'START-DATE="{_iso(start_ms)}",DURATION={total:.3f}')
    else:
        blocks[0]["tags"].insert(0, f"#EXT-X-CUE-OUT:DURATION={total:.3f}")
        for b in blocks[1:]:
            b["tags"].insert(0, "#EXT-X-CUE-OUT-CONT")
    return blocks


def _iso(ms):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms / 1000)) + f".{ms % 1000:03d}Z"


def stamp_dates(blocks, start_ms=1_700_000_000_000):
    """PROGRAM-DATE-TIME on every segment, continuous over the whole stream."""
    at = start_ms
    for b in blocks:
        b["tags"] = [t for t in b["tags"] if not t.startswith("#EXT-X-PROGRAM-DATE-TIME")]
        b["tags"].insert(0, f"#EXT-X-PROGRAM-DATE-TIME:{_iso(at)}")
        at += int(round(b["duration"] * 1000))
    return blocks


class LivePlaylist:
    """Publishes `blocks` as a live playlist, one segment per its duration, `window` at a time.
    Tags that apply to later segments (EXT-X-KEY, EXT-X-MAP) are repeated at the window's start,
    and the discontinuity sequence counts the discontinuities that slid out."""

    def __init__(self, blocks, window=6, first=1):
        self.blocks = blocks
        self.window = window
        self.first = first
        self.started = None

    def start(self, at):
        self.started = at

    def published(self):
        if self.started is None:
            return 0
        elapsed, count = time.monotonic() - self.started, self.first
        for b in self.blocks[self.first:]:
            elapsed -= b["duration"]
            if elapsed < 0:
                break
            count += 1
        return min(count, len(self.blocks))

    def ended(self):
        return self.published() >= len(self.blocks)

    def render(self, uri_suffix=""):
        n = self.published()
        start = max(0, n - self.window)
        target = max(1, int(max(b["duration"] for b in self.blocks) + 0.999))
        sticky = {}
        discontinuities = 0
        for b in self.blocks[:start]:
            for t in b["tags"]:
                if t.startswith(("#EXT-X-KEY", "#EXT-X-MAP")):
                    sticky[t.split(":")[0]] = t
                if t == "#EXT-X-DISCONTINUITY":
                    discontinuities += 1
        lines = ["#EXTM3U", "#EXT-X-VERSION:7", f"#EXT-X-TARGETDURATION:{target}", f"#EXT-X-MEDIA-SEQUENCE:{start}",
                 f"#EXT-X-DISCONTINUITY-SEQUENCE:{discontinuities}"]
        first_tags = self.blocks[start]["tags"] if n else []
        for name, tag in sticky.items():
            if not any(t.startswith(name) for t in first_tags):
                lines.append(tag)
        for b in self.blocks[start:n]:
            lines += b["tags"]
            lines.append(b["uri"] + uri_suffix)
        if n >= len(self.blocks):
            lines.append("#EXT-X-ENDLIST")
        return "\n".join(lines) + "\n"


class ShapeServer:
    """Serves a directory of segments and live playlists: `playlists` maps a path ("/live.m3u8")
    to a LivePlaylist; `static` maps a path to fixed text (a master playlist). With
    `expire_every`, playlists are reached only through /page, whose link carries a token that
    stops working `expire_every` seconds after it was handed out (403), as signed manifest URLs do."""

    def __init__(self, directory, playlists, static=None, expire_every=None):
        self.dir = directory
        self.playlists = playlists
        self.static = static or {}
        self.expire_every = expire_every
        self.tokens = {}  # token -> monotonic expiry
        self.requests = []
        self.refused = 0
        self.lock = threading.Lock()
        handler = functools.partial(_ShapeHandler, server_state=self)
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        now = time.monotonic()
        for p in playlists.values():
            p.start(now)

    def url(self, path):
        return self.base + path

    def published_s(self, path="/live.m3u8", skip=None):
        p = self.playlists[path]
        return sum(b["duration"] for i, b in enumerate(p.blocks[:p.published()]) if not (skip and skip(i, b)))

    def ended(self):
        return all(p.ended() for p in self.playlists.values())

    def new_token(self):
        token = os.urandom(6).hex()
        with self.lock:
            self.tokens[token] = time.monotonic() + self.expire_every
        return token

    def token_ok(self, query):
        token = urllib.parse.parse_qs(query).get("token", [""])[0]
        with self.lock:
            return time.monotonic() < self.tokens.get(token, 0)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class _ShapeHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def __init__(self, *args, server_state, **kwargs):
        self.state = server_state
        super().__init__(*args, **kwargs)

    def log_message(self, *args):
        pass

    def _send(self, status, body, content_type="application/octet-stream", extra=None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        s = self.state
        path, _, query = self.path.partition("?")
        s.requests.append(path)
        if path == "/page" and s.expire_every:
            first = next(iter(s.playlists))
            body = f'<html><body><video src="{first}?token={s.new_token()}"></video></body></html>'
            return self._send(200, body.encode(), "text/html")
        if path in s.static:
            return self._send(200, s.static[path].encode(), "application/vnd.apple.mpegurl")
        if path in s.playlists:
            suffix = ""
            if s.expire_every:
                if not s.token_ok(query):
                    s.refused += 1
                    return self._send(403, b"expired\n", "text/plain")
                suffix = "?" + query
            return self._send(200, s.playlists[path].render(suffix).encode(), "application/vnd.apple.mpegurl")
        file = os.path.normpath(os.path.join(s.dir, path.lstrip("/")))
        if not file.startswith(s.dir) or not os.path.isfile(file):
            return self._send(404, b"not found\n", "text/plain")
        with open(file, "rb") as f:
            data = f.read()
        r = self.headers.get("Range")
        if r:
            m = re.fullmatch(r"bytes=(\d+)-(\d+)", r)
            a, b = int(m.group(1)), int(m.group(2))
            return self._send(206, data[a:b + 1], extra={"Content-Range": f"bytes {a}-{b}/{len(data)}"})
        self._send(200, data)


def workdir():
    return tempfile.mkdtemp(prefix="chronicle-shape-")
