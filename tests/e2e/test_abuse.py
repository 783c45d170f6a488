"""Abuse that must not take the server down: a descriptor limit of 256 with 400 idle
connections (no busy loop, /healthz answers once they close), and 2,000 event-stream clients
that all receive an event."""
import os
import resource
import selectors
import socket
import subprocess
import time

from harness import Chronicle, wait_for


def raise_own_limit(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(n, hard), hard))


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class LimitedChronicle(Chronicle):
    """serve under `ulimit -n 256` (soft and hard: it cannot raise it)."""

    def start(self):
        self.log = open(os.path.join(self.data, f"serve-{time.time():.0f}.log"), "ab")
        self.proc = subprocess.Popen(
            ["prlimit", "--nofile=256:256", "--", *self.serve_argv()], env=self.env, stdout=self.log,
            stderr=subprocess.STDOUT)
        wait_for(self._healthy, 15, what="chronicle serve to answer /healthz")


def test_idle_connections_beyond_the_descriptor_limit_do_not_spin_the_cpu():
    raise_own_limit(2048)
    c = LimitedChronicle(env={"CHRONICLE_HEADER_TIMEOUT": "30"})
    idle = []
    try:
        for _ in range(400):
            s = socket.create_connection(("127.0.0.1", c.port), timeout=5)
            idle.append(s)
        time.sleep(1)
        before = cpu_seconds(c.proc.pid)
        time.sleep(10)
        used = cpu_seconds(c.proc.pid) - before
        print(f"\n400 idle connections under a 256-descriptor limit: serve used {used:.2f} s of CPU in 10 s")
        assert used < 1.0, used
        assert c.proc.poll() is None, "serve must survive"
        for s in idle:
            s.close()
        idle = []
        t0 = time.monotonic()
        wait_for(c._healthy, 20, what="/healthz after the idle connections closed")
        print(f"/healthz answered {time.monotonic() - t0:.2f} s after they closed")
        status, page = c.api("GET", "/api/v1/jobs")
        assert status == 200
    finally:
        for s in idle:
            s.close()
        c.close()


def test_header_timeout_cuts_off_a_silent_client():
    c = Chronicle(env={"CHRONICLE_HEADER_TIMEOUT": "2"})
    try:
        s = socket.create_connection(("127.0.0.1", c.port), timeout=10)
        t0 = time.monotonic()
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # never finished
        assert s.recv(100) == b""
        assert 1.5 <= time.monotonic() - t0 <= 6
        s.close()
    finally:
        c.close()


def test_two_thousand_event_stream_clients_all_receive_an_event():
    clients = 2000
    raise_own_limit(clients + 512)
    c = Chronicle()
    sel = selectors.DefaultSelector()
    socks = []
    try:
        request = f"GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1:{c.port}\r\nAccept: text/event-stream\r\n\r\n"
        for _ in range(clients):
            s = socket.create_connection(("127.0.0.1", c.port), timeout=10)
            s.sendall(request.encode())
            s.setblocking(False)
            socks.append(s)
            sel.register(s, selectors.EVENT_READ, bytearray())

        def pump(until, predicate):
            while time.monotonic() < until:
                for key, _ in sel.select(timeout=0.5):
                    try:
                        data = key.fileobj.recv(65536)
                    except BlockingIOError:
                        continue
                    key.data.extend(data)
                if predicate():
                    return True
            return predicate()

        connected = pump(time.monotonic() + 60, lambda: all(b": connected" in k.data for k in sel.get_map().values()))
        assert connected, sum(b": connected" in k.data for k in sel.get_map().values())
        t0 = time.monotonic()
        status, job = c.api("POST", "/api/v1/jobs", {"url": "http://127.0.0.1:9/none.m3u8", "name": "fan-out"})
        assert status == 201
        got = pump(time.monotonic() + 60, lambda: all(job["id"].encode() in k.data for k in sel.get_map().values()))
        n = sum(job["id"].encode() in k.data for k in sel.get_map().values())
        print(f"\n{n} of {clients} event-stream clients got the new job within {time.monotonic() - t0:.2f} s")
        assert got, n
        assert c._healthy()
    finally:
        for s in socks:
            s.close()
        c.close()


def test_what_chronicle_keeps_is_private_whatever_the_umask(sims, tmp_path):
    """The database with SQLite's WAL and SHM, cookies, logs, work files and recordings: created 0600
    in 0700 directories by a serve started with umask 000, in a data directory an older chronicle
    left 0755 (closed at start). No other local user can read a webhook's secret or a login."""
    from harness import SECRET
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    os.chmod(data, 0o755)
    old = os.umask(0)
    try:
        c = Chronicle(data_dir=str(data))
    finally:
        os.umask(old)
    try:
        status, _ = c.api("POST", "/api/v1/webhooks", {"url": "http://127.0.0.1:9/hook", "secret": SECRET})
        assert status == 201
        cookies = "# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tFALSE\t0\tsession\tlogin-secret\n"
        status, answer = c.api("PUT", "/api/v1/cookies/127.0.0.1", {"cookies": cookies})
        assert status in (200, 201), answer
        sim = sims([("live", 3), ("end",)])
        status, job = c.api("POST", "/api/v1/jobs", {"url": sim.url, "name": "private"})
        c.wait_status(job["id"], "completed", 60)
        readable = []
        for root, dirs, files in os.walk(data):
            for name in dirs + files:
                path = os.path.join(root, name)
                if root == str(data) and name.startswith("serve-") and name.endswith(".log"):
                    continue  # the test harness's capture of serve's output, not chronicle's file
                if os.path.relpath(path, data) in ("seed/tracker", "seed/tracker/whitelist"):
                    # opentracker, started as root, drops to "nobody" in there: it must read the
                    # access list (public infohashes), behind the 0700 data directory.
                    continue
                mode = os.lstat(path).st_mode
                if not os.path.islink(path) and mode & 0o077:
                    readable.append(f"{os.path.relpath(path, data)} {oct(mode & 0o777)}")
        assert readable == [], readable
        assert os.stat(data).st_mode & 0o777 == 0o700
        assert os.path.exists(os.path.join(data, "chronicle.db-wal")), "the WAL is among what was checked"
    finally:
        c.close()
