"""The egress guard, tried as an attacker would: with private networks disallowed and only the
stream's loopback address (127.0.0.2) allowed, a redirect, a playlist and a DNS answer that lead
to another loopback address (127.0.0.3) each end the job failed/forbidden_address, and the
forbidden server counts zero requests. An allowed stream still records in full."""
import glob
import http.server
import os
import socket
import struct
import threading
import time

import pytest

from harness import Chronicle, MountedChronicle, ffprobe_duration, free_port
from hls_sim import encode_segments

ALLOWED = "127.0.0.2"
FORBIDDEN = "127.0.0.3"


class _Quiet(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass


class CountingServer:
    """A server on the forbidden address that answers everything and counts what it was asked."""

    def __init__(self, host=FORBIDDEN, port=0):
        self.requests = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                owner.requests.append(self.path)
                body = b"#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.0,\nsecret.ts\n#EXT-X-ENDLIST\n"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = _Quiet((host, port), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class RedirectServer:
    """An allowed server whose every answer is a 302 to `target`."""

    def __init__(self, target, host=ALLOWED):
        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                self.send_response(302)
                self.send_header("Location", target)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = _Quiet((host, 0), Handler)
        self.url = f"http://{host}:{self.httpd.server_address[1]}/live.m3u8"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class RebindingDns:
    """A DNS server on 127.0.0.153:53 answering A queries for `name`: `first` for the first
    `flip_after` queries, `then` afterwards (TTL 0), as a rebinding attacker's server does."""

    ADDRESS = "127.0.0.153"

    def __init__(self, name, first, then, flip_after):
        self.name, self.first, self.then, self.flip_after = name.lower(), first, then, flip_after
        self.answers = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((self.ADDRESS, 53))
        self.sock.settimeout(0.2)
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self._stop.is_set():
            try:
                query, peer = self.sock.recvfrom(512)
            except OSError:
                continue
            try:
                self.sock.sendto(self._answer(query), peer)
            except (OSError, IndexError, struct.error):
                pass

    def _answer(self, query):
        qid, _flags, qdcount = struct.unpack("!HHH", query[:6])
        at, labels = 12, []
        while query[at]:
            labels.append(query[at + 1:at + 1 + query[at]].decode("ascii", "replace"))
            at += 1 + query[at]
        qtype, _qclass = struct.unpack("!HH", query[at + 1:at + 5])
        question = query[12:at + 5]
        name = ".".join(labels).lower()
        if name != self.name:
            return struct.pack("!HHHHHH", qid, 0x8183, 1, 0, 0, 0) + question  # NXDOMAIN
        if qtype != 1:
            return struct.pack("!HHHHHH", qid, 0x8180, 1, 0, 0, 0) + question  # no AAAA
        address = self.first if len(self.answers) < self.flip_after else self.then
        self.answers.append(address)
        record = struct.pack("!HHHIH", 0xC00C, 1, 1, 0, 4) + socket.inet_aton(address)
        return struct.pack("!HHHHHH", qid, 0x8180, 1, 1, 0, 0) + question + record

    def close(self):
        self._stop.set()
        self.thread.join(5)
        self.sock.close()


def PrivateResolverChronicle(nameserver, **kw):
    """`chronicle serve` whose /etc/resolv.conf names the test DNS server (in a mount namespace of
    its own: the machine's resolver configuration is never touched)."""
    return MountedChronicle({"/etc/resolv.conf": f"nameserver {nameserver}\noptions timeout:1 attempts:2\n"}, **kw)


GUARDED = {"CHRONICLE_ALLOW_NETWORKS": f"{ALLOWED}/32", "CHRONICLE_STALL_TIMEOUT": "5",
           "CHRONICLE_RECONNECT_WINDOW": "5"}


@pytest.fixture(scope="module")
def segments():
    return encode_segments(8)


@pytest.fixture
def guarded():
    c = Chronicle(allow_private=False, env=GUARDED)
    yield c
    c.close()


@pytest.fixture
def forbidden():
    server = CountingServer()
    yield server
    server.close()


def expect_forbidden(c, job, forbidden_server):
    job = c.wait_status(job["id"], ["completed", "failed", "canceled"], 90)
    assert job["status"] == "failed", job
    assert job["error"]["code"] == "forbidden_address", job
    assert FORBIDDEN in job["error"]["message"], job["error"]
    assert forbidden_server.requests == [], forbidden_server.requests
    print(job["error"]["message"])
    return job


def test_an_allowed_stream_records_in_full_through_the_guard(guarded, sims, segments):
    sim = sims([("live", 6), ("end",)], segments=segments, host=ALLOWED)
    status, job = guarded.api("POST", "/api/v1/jobs", {"url": sim.url, "name": "allowed"})
    assert status == 201, job
    # The guards' URLs carry a per-job credential (another local user's program gets 407): it is
    # never in a process's arguments, which every local user can read.
    leaked = set()
    while guarded.job(job["id"])["status"] not in ("completed", "failed"):
        for cmdline in glob.glob("/proc/[0-9]*/cmdline"):
            try:
                text = open(cmdline, "rb").read().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if "chronicle:" in text and "@127.0.0.1:" in text:
                leaked.add(text[:200])
        time.sleep(0.2)
    assert leaked == set(), leaked
    job = guarded.job(job["id"])
    assert job["status"] == "completed", job
    path = os.path.join(guarded.data, "recordings", job["recording"]["key"])
    assert ffprobe_duration(path) >= 5.5


def test_a_url_on_a_forbidden_address_is_refused_at_submit(guarded, forbidden):
    status, body = guarded.api("POST", "/api/v1/jobs", {"url": f"http://{FORBIDDEN}:{forbidden.port}/live.m3u8"})
    assert status == 400, body
    assert body["error"]["code"] == "forbidden_address"
    assert FORBIDDEN in body["error"]["message"]
    assert forbidden.requests == []


def test_a_redirect_to_a_forbidden_address_fails_the_job(guarded, forbidden):
    redirect = RedirectServer(f"http://{FORBIDDEN}:{forbidden.port}/live.m3u8")
    try:
        status, job = guarded.api("POST", "/api/v1/jobs", {"url": redirect.url, "name": "redirect"})
        assert status == 201, job
        expect_forbidden(guarded, job, forbidden)
    finally:
        redirect.close()


def test_segments_on_a_forbidden_address_fail_the_job(guarded, forbidden, sims, segments):
    sim = sims([("live", 20), ("end",)], segments=encode_segments(22), host=ALLOWED,
               segment_base=f"http://{FORBIDDEN}:{forbidden.port}/")
    status, job = guarded.api("POST", "/api/v1/jobs", {"url": sim.url, "name": "segments"})
    assert status == 201, job
    job = expect_forbidden(guarded, job, forbidden)
    assert job["recording"] is None
    assert not os.path.exists(os.path.join(guarded.data, "work", job["id"]))


@pytest.mark.skipif(os.geteuid() != 0, reason="a private resolv.conf needs a mount namespace (root)")
def test_a_dns_answer_that_changes_after_the_check_is_refused(sims, segments):
    port = free_port()
    sim = sims([("live", 20), ("end",)], segments=encode_segments(22), host=ALLOWED, port=port)
    forbidden_server = CountingServer(FORBIDDEN, port)
    # The submit check and the dispatcher's check see the allowed address; every later lookup
    # (the downloader's) gets the forbidden one.
    dns = RebindingDns("stream.rebind.test", ALLOWED, FORBIDDEN, flip_after=2)
    c = PrivateResolverChronicle(RebindingDns.ADDRESS, allow_private=False, env=GUARDED)
    try:
        url = f"http://stream.rebind.test:{port}/live.m3u8"
        status, job = c.api("POST", "/api/v1/jobs", {"url": url, "name": "rebind"})
        assert status == 201, job
        expect_forbidden(c, job, forbidden_server)
        assert FORBIDDEN in dns.answers, dns.answers
        assert sim.requests == 0 or dns.answers[:2] == [ALLOWED, ALLOWED]
    finally:
        c.close()
        dns.close()
        forbidden_server.close()
