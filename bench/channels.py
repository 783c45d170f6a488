#!/usr/bin/python3
"""What watching channels costs `chronicle serve`.

1. Idle: CPU (% of one core) and RSS of serve with 0, 100, 1,000 and 10,000 enabled channels that
   are not due (the watcher still looks at them every second), nothing recording.
2. A round of checks: N channels due at once, every page a 404 on loopback (offline, the common
   answer): how long until all are checked, with CHRONICLE_CHANNEL_CHECKS side by side.

Peers for comparison: StreamDVR and bililive-go check every channel on a fixed interval (default
20-30 s) with a process (streamlink) or an HTTP request per check; their numbers are not measured
here (not packaged for this machine), so the columns are chronicle's alone.

    /usr/bin/python3 bench/channels.py [--channels 0,100,1000,10000] [--seconds 20] [--round 200]
"""
import argparse
import http.server
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from idle import ROOT, Serve  # noqa: E402


def fill(data, n, next_check_at):
    with sqlite3.connect(os.path.join(data, "chronicle.db")) as db:
        rows = []
        for i in range(n):
            cid = f"01C{i:023d}"
            doc = {"id": cid, "url": f"http://127.0.0.1:9/channel/{i}", "name": f"channel {i}", "prefix": "",
                   "format": "{channel} {date:%Y-%m-%d %H%M}", "poll_interval_s": 3600, "enabled": True,
                   "created_at": "2026-11-26T00:00:00.000Z", "state": "offline", "next_check_at": next_check_at,
                   "last_check_at": "2026-11-26T00:00:00.000Z", "version": 1}
            rows.append((cid, doc["url"], 1, json.dumps(doc)))
        db.executemany("INSERT INTO channels(id, url, version, doc) VALUES (?, ?, ?, ?)", rows)


def idle(binary, n, seconds):
    data = tempfile.mkdtemp(prefix="chronicle-channels-")
    try:
        Serve(binary, data).close()  # makes the schema
        fill(data, n, "2099-01-01T00:00:00.000Z")
        serve = Serve(binary, data)
        try:
            time.sleep(5)
            cpu0, t0 = serve.cpu_seconds(), time.monotonic()
            time.sleep(seconds)
            cpu = (serve.cpu_seconds() - cpu0) / (time.monotonic() - t0) * 100
            return {"channels": n, "cpu_percent": round(cpu, 2), "rss_mib": round(serve.rss_mib(), 1)}
        finally:
            serve.close()
    finally:
        shutil.rmtree(data, ignore_errors=True)


class Offline(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()


def check_round(binary, n, concurrency):
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Offline)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    data = tempfile.mkdtemp(prefix="chronicle-channels-")
    try:
        Serve(binary, data).close()
        serve = Serve(binary, data, {"CHRONICLE_CHANNEL_CHECKS": str(concurrency)})
        try:
            time.sleep(3)  # the extraction worker is up
            cpu0 = serve.cpu_seconds()
            t0 = time.monotonic()
            for i in range(n):
                serve.api("POST", "/api/v1/channels",
                          {"url": f"http://127.0.0.1:{httpd.server_address[1]}/channel/{i}", "poll_interval_s": 3600})
            while True:
                channels = serve.api("GET", "/api/v1/channels")["channels"]
                if all(c["last_check_at"] for c in channels):
                    break
                if time.monotonic() - t0 > 600:
                    raise RuntimeError("the round did not finish")
                time.sleep(0.2)
            took = time.monotonic() - t0
            states = {c["state"] for c in channels}
            return {"channels": n, "checks_side_by_side": concurrency, "seconds": round(took, 2),
                    "checks_per_s": round(n / took, 1), "serve_cpu_s": round(serve.cpu_seconds() - cpu0, 2),
                    "states": sorted(states)}
        finally:
            serve.close()
    finally:
        httpd.shutdown()
        shutil.rmtree(data, ignore_errors=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--binary", default=os.path.join(ROOT, "build", "chronicle"))
    p.add_argument("--channels", default="0,100,1000,10000")
    p.add_argument("--seconds", type=int, default=20)
    p.add_argument("--round", type=int, default=200)
    args = p.parse_args()
    print(f"{'channels':>9} {'cpu % of a core':>16} {'rss MiB':>8}")
    for n in [int(x) for x in args.channels.split(",")]:
        r = idle(args.binary, n, args.seconds)
        print(f"{r['channels']:>9} {r['cpu_percent']:>16} {r['rss_mib']:>8}", flush=True)
    for concurrency in (4, 16):
        r = check_round(args.binary, args.round, concurrency)
        print(f"check round: {json.dumps(r)}", flush=True)


if __name__ == "__main__":
    main()
