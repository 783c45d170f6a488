"""Real parts for end-to-end tests: live HLS streams made by ffmpeg and served over loopback
HTTP, a `chronicle serve` on an ephemeral port with its own data directory, and the CLI."""
import functools
import hashlib
import hmac
import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request

CHRONICLE = os.environ.get("CHRONICLE_BIN", os.path.join(os.path.dirname(__file__), "../../build/chronicle"))


def free_port():
    """A port for a server a test is about to start. Tests run side by side, so not one the kernel
    handed out (it hands the same ephemeral ports to outgoing connections and to the next caller):
    a random one below the ephemeral range, checked free."""
    import random
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        ephemeral_low = int(f.read().split()[0])
    for _ in range(200):
        port = random.randrange(min(10000, ephemeral_low // 2), ephemeral_low)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port below the ephemeral range")


def wait_for(predicate, timeout, interval=0.2, what="condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class StaticServer:
    """Serves a directory on 127.0.0.1 (for HLS segments and non-media pages)."""

    def __init__(self, directory):
        handler = functools.partial(_QuietHandler, directory=directory)
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}/{path}"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class LiveStream:
    """A live HLS stream: ffmpeg encodes lavfi test sources in real time (-re); when it ends it
    writes #EXT-X-ENDLIST, like a broadcaster ending a stream."""

    def __init__(self, seconds):
        self.seconds = seconds
        self.dir = tempfile.mkdtemp(prefix="chronicle-hls-")
        self.server = StaticServer(self.dir)
        self.url = self.server.url("live.m3u8")
        self.proc = subprocess.Popen(
            ["ffmpeg", "-nostdin", "-loglevel", "error", "-re",
             "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25",
             "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
             "-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-g", "25",
             "-c:a", "aac", "-f", "hls", "-hls_time", "1", "-hls_list_size", "6",
             "-hls_flags", "delete_segments+append_list", os.path.join(self.dir, "live.m3u8")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.started = time.monotonic()
        wait_for(lambda: os.path.exists(os.path.join(self.dir, "live.m3u8")), 15, what="first HLS segment")

    def wait_end(self, timeout=None):
        self.proc.wait(timeout=timeout or self.seconds + 30)

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.server.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class ChannelPage:
    """A channel's page: 404, a page with no media, or a page with a <video> of a live stream."""

    def __init__(self):
        page = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                page.requests += 1
                if page.video is None and page.missing:
                    body, status = b"<h1>no such channel</h1>", 404
                elif page.video is None:
                    body, status = b"<html><body><p>The channel is offline.</p></body></html>", 200
                else:
                    body = (f'<html><body><h1>Live now</h1><video controls src="{page.video}"></video>'
                            f"</body></html>").encode()
                    status = 200
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.missing = True
        self.video = None
        self.requests = 0
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/channel/show"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def offline(self, missing=False):
        self.video, self.missing = None, missing

    def live(self, stream_url):
        self.video = stream_url

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


SANITIZER_MARKS = (b"ERROR: AddressSanitizer", b"ERROR: LeakSanitizer", b"runtime error:")


def sanitizer_reports(data_dir):
    """Sanitizer reports in the logs of serve and its recorders under `data_dir`."""
    found = []
    for root, _, files in os.walk(data_dir):
        for name in files:
            if not name.endswith(".log"):
                continue
            try:
                with open(os.path.join(root, name), "rb") as f:
                    text = f.read()
            except OSError:
                continue
            for mark in SANITIZER_MARKS:
                at = text.find(mark)
                if at >= 0:
                    found.append(f"{name}: " + text[at:at + 3000].decode("utf-8", "replace"))
                    break
    return found


class Chronicle:
    """A `chronicle serve` with its own data directory on an ephemeral loopback port."""

    def __init__(self, data_dir=None, env=None, allow_private=True, user=None):
        self.data = data_dir or tempfile.mkdtemp(prefix="chronicle-data-")
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = dict(os.environ)
        self.env.update({
            "CHRONICLE_HEARTBEAT_INTERVAL": "1",
            "CHRONICLE_HEARTBEAT_STALE": "6",
            "CHRONICLE_PROBE_TIMEOUT": "20",
            # The tracker and the seeder listen on loopback too, on ports of their own.
            "CHRONICLE_TRACKER_LISTEN": f"127.0.0.1:{free_port()}",
            "CHRONICLE_SEED_LISTEN": f"127.0.0.1:{free_port()}",
        })
        self.env.pop("CHRONICLE_TOKEN", None)
        if allow_private:
            self.env["CHRONICLE_ALLOW_PRIVATE_NETWORKS"] = "1"
        else:
            self.env.pop("CHRONICLE_ALLOW_PRIVATE_NETWORKS", None)
        self.env.update(env or {})
        self.user = user  # run serve as this user (the tests run as root)
        self.proc = None
        self.start()

    def serve_argv(self):
        return [CHRONICLE, "serve", "--data", self.data, "--listen", f"127.0.0.1:{self.port}"]

    def start(self):
        self.log = open(os.path.join(self.data, f"serve-{time.time():.0f}.log"), "ab")
        self.proc = subprocess.Popen(
            (["runuser", "-u", self.user, "--"] if self.user else []) + self.serve_argv(),
            env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        wait_for(self._healthy, 15, what="chronicle serve to answer /healthz")

    def _healthy(self):
        try:
            with urllib.request.urlopen(self.base + "/healthz", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    def stop_server(self, sig=signal.SIGTERM, timeout=20):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=timeout)
        self.log.close()

    def close(self):
        self.stop_server()
        # Recorders run in their own sessions on purpose; a test must not leave any behind.
        subprocess.run(["pkill", "-KILL", "-f", f"record .*{self.data}"], check=False)
        subprocess.run(["pkill", "-KILL", "-f", os.path.join(self.data, "work")], check=False)
        reports = sanitizer_reports(self.data)
        shutil.rmtree(self.data, ignore_errors=True)
        # Under the ASan/UBSan build, a report from serve or a recorder fails the test.
        assert not reports, "\n\n".join(reports)

    # --- HTTP -----------------------------------------------------------------------------
    def request(self, method, path, body=None, raw=None, headers=None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers or {})
        if data is not None and not any(k.lower() == "content-type" for k in (headers or {})):
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def api(self, method, path, body=None, **kw):
        status, _, payload = self.request(method, path, body, **kw)
        return status, json.loads(payload) if payload else None

    def job(self, job_id):
        status, body = self.api("GET", f"/api/v1/jobs/{job_id}")
        assert status == 200, body
        return body

    def wait_status(self, job_id, statuses, timeout):
        statuses = {statuses} if isinstance(statuses, str) else set(statuses)
        return wait_for(lambda: (lambda j: j if j["status"] in statuses else None)(self.job(job_id)),
                        timeout, what=f"job {job_id} to be {statuses}")

    # --- CLI ------------------------------------------------------------------------------
    def cli(self, *args, timeout=180, check=False):
        env = dict(self.env)
        env["CHRONICLE_SERVER"] = self.base
        r = subprocess.run([CHRONICLE, *args], env=env, capture_output=True, text=True, timeout=timeout)
        if check:
            assert r.returncode == 0, f"chronicle {' '.join(args)} failed: {r.stderr}"
        return r

    def recorder_pids(self, job_id):
        r = subprocess.run(["pgrep", "-f", f"record --job {job_id}"], capture_output=True, text=True)
        return [int(p) for p in r.stdout.split()]


class MountedChronicle(Chronicle):
    """`chronicle serve` in a mount namespace of its own where files are bind-mounted over the
    machine's (`mounts`: {"/etc/hosts": "text", ...}), so the machine's own files are never touched."""

    def __init__(self, mounts, **kw):
        self.mounted = []  # (our file, the path it covers)
        for target, text in mounts.items():
            f = tempfile.NamedTemporaryFile("w", prefix="mount-", delete=False)
            f.write(text)
            f.close()
            self.mounted.append((f.name, target))
        super().__init__(**kw)

    def start(self):
        self.log = open(os.path.join(self.data, f"serve-{time.time():.0f}.log"), "ab")
        script = 'while [ "$1" != -- ]; do mount --bind "$1" "$2" || exit 1; shift 2; done; shift; exec "$@"'
        pairs = [path for pair in self.mounted for path in pair]
        self.proc = subprocess.Popen(
            ["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh", *pairs, "--",
             *self.serve_argv()], env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        wait_for(self._healthy, 15, what="chronicle serve to answer /healthz")

    def close(self):
        super().close()
        for ours, _ in self.mounted:
            os.unlink(ours)


class EventLog:
    """Collects the server's SSE events in the background, as a dashboard would see them."""

    def __init__(self, base, job_id=None):
        self.events = []
        self.lock = threading.Lock()
        path = "/api/v1/events" + (f"?job={job_id}" if job_id else "")
        self.resp = urllib.request.urlopen(base + path, timeout=120)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        event, data = None, []
        try:
            for raw in self.resp:
                line = raw.decode().rstrip("\n")
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].strip())
                elif line == "" and data:
                    with self.lock:
                        self.events.append((event, json.loads("\n".join(data))))
                    event, data = None, []
        except Exception:
            pass

    def jobs(self, job_id):
        with self.lock:
            return [d for e, d in self.events if e == "job" and d.get("id") == job_id]

    def close(self):
        try:
            self.resp.close()
        except Exception:
            pass


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def ffprobe_duration(path):
    r = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path],
                       capture_output=True, text=True, check=True)
    return float(r.stdout.strip())


def ffprobe_streams(path):
    r = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_type", "-of", "csv=p=0", path],
                       capture_output=True, text=True, check=True)
    return sorted(r.stdout.split())


def decodes_cleanly(path):
    """Decodes every frame; a file that plays has no decode errors."""
    r = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", path, "-f", "null", "-"],
                       capture_output=True, text=True)
    return r.returncode == 0, r.stderr


def aws_cli(endpoint, env, *args):
    """The aws CLI against an emulated endpoint; returns its JSON answer."""
    r = subprocess.run(["aws", "--endpoint-url", endpoint, "--output", "json", *args], env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout) if r.stdout.strip() else {}


def provision(env, data_dir):
    """`chronicle provision` with the given environment; returns its output."""
    r = subprocess.run([CHRONICLE, "provision", "--data", str(data_dir)], env=env, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout


# A webhook receiver on loopback, and how it checks a signed delivery.
SECRET = "receiver-s3cret"


class Receiver:
    """Records what it is POSTed; `down` makes it answer 503 (a receiver that is unavailable)."""

    def __init__(self, port=None):
        self.port = port or free_port()
        self.got = []
        self.down = False
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if receiver.down:
                    self.send_response(503)
                    self.end_headers()
                    return
                receiver.got.append((dict(self.headers), body))
                self.send_response(204)
                self.end_headers()

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.port}/hook"

    def events(self):
        return [(h["X-Chronicle-Event"], json.loads(b)) for h, b in self.got if h.get("Content-Type") == "application/json"]

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class HungReceiver:
    """Accepts connections and holds them without ever answering: a receiver that hangs."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/hook"
        self.held = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self):
        self.sock.close()
        for conn in self.held:
            conn.close()


def verify(headers, body):
    expected = "sha256=" + hmac.new(SECRET.encode(), headers["X-Chronicle-Timestamp"].encode() + b"." + body,
                                    hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-Chronicle-Signature"], expected), "the signature checks out"
    assert abs(time.time() - int(headers["X-Chronicle-Timestamp"])) < 120
