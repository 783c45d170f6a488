#!/usr/bin/python3
"""What an idle `chronicle serve` costs as its history grows: CPU (% of one core) and RSS of serve
with 0, 10,000 and 100,000 finished jobs in the store, nothing recording, seeder and tracker on.
With --writes, another process also writes one job's row that often per second, as recorders'
heartbeats do, while nothing finishes (what serve then re-reads is what this measures).

The history is made from one real recording: a short stream is recorded, then its row is copied
(new ids, no torrent of their own) straight into SQLite while serve is stopped.

    /usr/bin/python3 bench/idle.py [--jobs 0,10000,100000] [--seconds 30] [--writes 1]
                                   [--baseline /path/to/older/chronicle]
"""
import argparse
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../tests/e2e"))
from hls_sim import SimulatedLive  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Serve:
    def __init__(self, binary, data, env=None):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, CHRONICLE_DATA=data, CHRONICLE_LISTEN=f"127.0.0.1:{self.port}",
                   CHRONICLE_ALLOW_PRIVATE_NETWORKS="1", CHRONICLE_LOG_LEVEL="warn",
                   CHRONICLE_TRACKER_LISTEN=f"127.0.0.1:{free_port()}",
                   CHRONICLE_SEED_LISTEN=f"127.0.0.1:{free_port()}", **(env or {}))
        self.proc = subprocess.Popen([binary, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(self.base + "/healthz", timeout=1).read()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("serve did not start")
                time.sleep(0.1)

    def api(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())

    def cpu_seconds(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0

    def close(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def template_job(binary):
    """A real completed job's stored row."""
    data = tempfile.mkdtemp(prefix="chronicle-idle-")
    sim = SimulatedLive([("live", 3), ("end",)], seconds=5)
    serve = Serve(binary, data)
    try:
        job = serve.api("POST", "/api/v1/jobs", {"url": sim.url})
        deadline = time.monotonic() + 90
        while serve.api("GET", f"/api/v1/jobs/{job['id']}")["status"] not in ("completed", "failed"):
            if time.monotonic() > deadline:
                raise RuntimeError("the template recording did not finish")
            time.sleep(0.5)
    finally:
        serve.close()
        sim.close()
    with sqlite3.connect(os.path.join(data, "chronicle.db")) as db:
        row = db.execute("SELECT id, url, status, version, seq, doc FROM jobs").fetchone()
    shutil.rmtree(data, ignore_errors=True)
    return row


def fill(data, row, n):
    _, url, status, version, seq, doc = row
    doc = json.loads(doc)
    doc["torrent"] = None
    with sqlite3.connect(os.path.join(data, "chronicle.db")) as db:
        rows = []
        for i in range(n):
            job_id = f"01H{i:023d}"
            d = dict(doc, id=job_id, url=f"{url}?copy={i}")
            rows.append((job_id, d["url"], status, version, seq, json.dumps(d)))
        rows.append((row[0], url, status, version, seq, json.dumps(doc)))  # the row --writes writes
        db.executemany("INSERT INTO jobs(id, url, status, version, seq, doc) VALUES (?, ?, ?, ?, ?, ?)", rows)


def measure(binary, row, n, seconds, writes):
    data = tempfile.mkdtemp(prefix="chronicle-idle-")
    try:
        Serve(binary, data).close()  # makes the schema
        fill(data, row, n)
        serve = Serve(binary, data)
        try:
            time.sleep(5)  # past start-up (the first full listing, the extraction worker's import)
            cpu0, t0 = serve.cpu_seconds(), time.monotonic()
            rss = [serve.rss_mib()]
            writer = sqlite3.connect(os.path.join(data, "chronicle.db")) if writes else None
            while time.monotonic() - t0 < seconds:
                for _ in range(max(1, int(writes))):
                    if writer:
                        writer.execute("UPDATE jobs SET version = version + 1 WHERE id = ?", (row[0],))
                        writer.commit()
                    time.sleep(1 / max(1, writes))
                rss.append(serve.rss_mib())
            if writer:
                writer.close()
            cpu = (serve.cpu_seconds() - cpu0) / (time.monotonic() - t0) * 100
            return {"jobs": n, "cpu_percent": round(cpu, 2), "rss_mib_start": round(rss[0], 1),
                    "rss_mib_end": round(rss[-1], 1)}
        finally:
            serve.close()
    finally:
        shutil.rmtree(data, ignore_errors=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--jobs", default="0,10000,100000")
    p.add_argument("--seconds", type=float, default=30)
    p.add_argument("--writes", type=float, default=0, help="writes of one job per second by another process")
    p.add_argument("--binary", default=os.path.join(ROOT, "build/chronicle"))
    p.add_argument("--baseline", help="an older chronicle binary to run side by side")
    args = p.parse_args()
    row = template_job(args.binary)
    binaries = [("chronicle", args.binary)] + ([("baseline", args.baseline)] if args.baseline else [])
    rows = []
    for n in [int(x) for x in args.jobs.split(",")]:
        for name, binary in binaries:
            r = measure(binary, row, n, args.seconds, args.writes)
            r["name"] = name
            rows.append(r)
            print(json.dumps(r), flush=True)
    print()
    print(f"{'binary':10} {'finished jobs':>13} {'idle CPU':>9} {'RSS start':>10} {'RSS end':>8}")
    for r in rows:
        print(f"{r['name']:10} {r['jobs']:>13} {r['cpu_percent']:>8.2f}% {r['rss_mib_start']:>8.1f}Mi "
              f"{r['rss_mib_end']:>6.1f}Mi")


if __name__ == "__main__":
    main()
