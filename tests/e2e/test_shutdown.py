"""Shutdown under load: serve stops within a few seconds with recordings running and 500 event-stream
clients connected, through its one stop path; the clients are told (their streams end) and the
recorders, processes of their own, keep recording."""
import os
import re
import signal
import socket
import time

from harness import wait_for

SSE_CLIENTS = 500
STOP_WITHIN_S = 5.0


def open_event_streams(port, count):
    clients = []
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(b"GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
        clients.append(s)
    for s in clients:  # every one answered: the streams are open
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = s.recv(4096)
            assert chunk, "an event stream closed before it opened"
            head += chunk
        assert head.startswith(b"HTTP/1.1 200"), head[:80]
    return clients


def ended(s):
    s.settimeout(5)
    try:
        while True:
            if not s.recv(65536):
                return True
    except (socket.timeout, TimeoutError):
        return False
    except OSError:
        return True


def test_serve_stops_within_seconds_under_load(chronicle, make_stream):
    streams = [make_stream(60) for _ in range(2)]
    jobs = [chronicle.api("POST", "/api/v1/jobs", {"url": s.url})[1] for s in streams]
    for job in jobs:
        chronicle.wait_status(job["id"], "recording", 40)
    clients = open_event_streams(chronicle.port, SSE_CLIENTS)
    try:
        started = time.monotonic()
        chronicle.proc.send_signal(signal.SIGTERM)
        chronicle.proc.wait(timeout=30)
        took = time.monotonic() - started
        print(f"\nserve stopped in {took:.2f} s with {len(jobs)} recordings and {SSE_CLIENTS} SSE clients")
        assert took < STOP_WITHIN_S, f"serve took {took:.1f} s to stop"
        assert chronicle.proc.returncode == 0
        assert all(ended(s) for s in clients), "every event stream ends with the server"
    finally:
        for s in clients:
            s.close()
    chronicle.log.flush()
    log = open(chronicle.log.name, "rb").read().decode(errors="replace")
    assert "received Terminated, shutting down" in log
    assert re.search(r"stopped in \d+ ms", log), log[-2000:]
    for job in jobs:
        assert len(chronicle.recorder_pids(job["id"])) == 1, "a recorder outlives serve"
    # Started again, serve finds its recordings still going.
    chronicle.start()
    for job in jobs:
        assert chronicle.job(job["id"])["status"] == "recording"
    wait_for(lambda: chronicle.job(jobs[0]["id"])["bytes"] > 0, 10, what="progress after the restart")
    for job in jobs:
        assert chronicle.api("POST", f"/api/v1/jobs/{job['id']}/stop")[0] == 202
    for job in jobs:
        assert chronicle.wait_status(job["id"], ["completed", "failed"], 60)["status"] == "completed"
