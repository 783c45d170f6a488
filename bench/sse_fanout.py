#!/usr/bin/python3
"""SSE fan-out: how long after a recorder process writes a job change do 1, 500 and 2,000
clients of `GET /api/v1/events` have it?

`bench_sse_fanout` (built with the project) holds the clients open and writes to serve's SQLite
store through a connection of its own, renaming one job every --interval ms; a client's latency is
from just before the write to the arrival of the frame that carries it.

    /usr/bin/python3 bench/sse_fanout.py [--clients 1,500,2000] [--writes 50] [--interval 200]
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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from idle import ROOT, Serve  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clients", default="1,500,2000")
    p.add_argument("--writes", type=int, default=50)
    p.add_argument("--interval", type=int, default=200, help="ms between writes")
    p.add_argument("--binary", default=os.path.join(ROOT, "build/chronicle"))
    p.add_argument("--client", default=os.path.join(ROOT, "build/bench/bench_sse_fanout"))
    args = p.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    rows = []
    for n in [int(x) for x in args.clients.split(",")]:
        data = tempfile.mkdtemp(prefix="chronicle-sse-")
        try:
            serve = Serve(args.binary, data, env={"CHRONICLE_MAX_CONNECTIONS": str(n + 100)})
            try:
                cpu0, t0 = serve.cpu_seconds(), time.monotonic()
                out = subprocess.run([args.client, data, str(serve.port), str(n), str(args.writes), str(args.interval)],
                                     capture_output=True, text=True, timeout=600)
                if out.returncode != 0:
                    sys.exit(out.stderr)
                r = json.loads(out.stdout)
                r["serve_cpu_percent"] = round((serve.cpu_seconds() - cpu0) / (time.monotonic() - t0) * 100, 1)
                r["serve_rss_mib"] = round(serve.rss_mib(), 1)
                rows.append(r)
                print(json.dumps(r), flush=True)
            finally:
                serve.close()
        finally:
            shutil.rmtree(data, ignore_errors=True)
    print()
    print(f"one write every {args.interval} ms, {args.writes} writes, by another process (SQLite)")
    print("| clients | frames received / expected | p50 | p99 | max | serve CPU | serve RSS |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r['clients']:,} | {r['frames']:,} / {r['expected']:,} | {r['p50_ms']:.1f} ms | {r['p99_ms']:.1f} ms | "
              f"{r['max_ms']:.1f} ms | {r['serve_cpu_percent']}% | {r['serve_rss_mib']} MiB |")


if __name__ == "__main__":
    main()
