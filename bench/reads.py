#!/usr/bin/python3
"""Read throughput of `chronicle serve` beside nginx serving the same bytes as static files.

The store holds N finished jobs (copies of one real recording's row, as bench/idle.py makes
them). `wrk` hits, in turn, `/healthz`, `GET /api/v1/jobs/{id}` (one job, then ids spread over
the history) and `GET /api/v1/jobs?limit=50` (the first page, then pages deep in the history
by cursor); nginx then serves each response body, fetched from chronicle once, as a file.

    /usr/bin/python3 bench/reads.py [--jobs 100000] [--seconds 10] [--connections 64]
                                    [--baseline /path/to/older/chronicle]

Needs wrk and nginx (apt-get install wrk nginx-light).
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nginx  # noqa: E402
from idle import ROOT, Serve, fill, free_port, template_job  # noqa: E402


class StaticNginx:
    """nginx serving a directory as static files."""

    def __init__(self, root):
        self.dir = tempfile.mkdtemp(prefix="chronicle-reads-nginx-")
        self.port = free_port()
        self.proc = nginx.start(self.dir, f"""
  access_log off;
  default_type application/json;
  server {{ listen 127.0.0.1:{self.port}; root {root}; }}""", f"http://127.0.0.1:{self.port}/")

    def close(self):
        nginx.stop(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)


# wrk picks the next path from a list, so one run spreads over many jobs or pages.
PATHS_SCRIPT = """
local paths = {}
for line in io.lines("%s") do paths[#paths + 1] = line end
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
"""


def wrk(base, paths, seconds, connections, workdir):
    """Requests per second and latency percentiles (ms) of wrk over `paths` in turn."""
    listing = os.path.join(workdir, "paths.txt")
    with open(listing, "w") as f:
        f.write("\n".join(paths) + "\n")
    script = os.path.join(workdir, "paths.lua")
    with open(script, "w") as f:
        f.write(PATHS_SCRIPT % listing)
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script, base],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def pct(p):
        m = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50_ms": pct(50), "p99_ms": pct(99), "non_2xx": int(errors.group(1)) if errors else 0}


def fetch(base, path):
    with urllib.request.urlopen(base + path, timeout=30) as r:
        return r.read()


def cases(base, n):
    """(name, chronicle paths, static file names) for each measured request kind."""
    ids = [f"01H{i:023d}" for i in range(0, n, max(1, n // 1000))][:1000] if n else []
    first = json.loads(fetch(base, "/api/v1/jobs?limit=50"))
    cursors = []
    page, cursor = first, first.get("next_cursor")
    # Cursors deep in the history: every (n / 50 / 20)th page, up to 20 of them.
    step = max(1, n // 50 // 20)
    for k in range(1, n // 50):
        if not cursor or len(cursors) >= 20:
            break
        if k % step == 0:
            cursors.append(cursor)
        page = json.loads(fetch(base, f"/api/v1/jobs?limit=50&cursor={cursor}"))
        cursor = page.get("next_cursor")
    out = [("/healthz", ["/healthz"]),
           ("GET /jobs/{id}, one job", [f"/api/v1/jobs/{ids[-1]}"] if ids else []),
           ("GET /jobs/{id}, 1,000 jobs", [f"/api/v1/jobs/{i}" for i in ids]),
           ("GET /jobs?limit=50, first page", ["/api/v1/jobs?limit=50"]),
           ("GET /jobs?limit=50, 20 pages deep in the history",
            [f"/api/v1/jobs?limit=50&cursor={c}" for c in cursors])]
    return [(name, paths) for name, paths in out if paths]


def run_binary(binary, row, n, seconds, connections, with_nginx):
    data = tempfile.mkdtemp(prefix="chronicle-reads-")
    work = tempfile.mkdtemp(prefix="chronicle-reads-work-")
    results = []
    try:
        Serve(binary, data).close()
        fill(data, row, n)
        serve = Serve(binary, data)
        try:
            time.sleep(3)
            for name, paths in cases(serve.base, n):
                cpu0 = serve.cpu_seconds()
                r = wrk(serve.base, paths, seconds, connections, work)
                r["serve_cpu_percent"] = round((serve.cpu_seconds() - cpu0) / seconds * 100)
                r["case"] = name
                r["bytes"] = len(fetch(serve.base, paths[0]))
                results.append(r)
                if with_nginx:
                    # The same bytes as files: each path becomes a file name.
                    static = os.path.join(work, "static")
                    shutil.rmtree(static, ignore_errors=True)
                    os.makedirs(static)
                    names = []
                    for k, path in enumerate(paths):
                        with open(os.path.join(static, f"r{k}"), "wb") as f:
                            f.write(fetch(serve.base, path))
                        names.append(f"/r{k}")
                    nginx = StaticNginx(static)
                    try:
                        ng = wrk(f"http://127.0.0.1:{nginx.port}", names, seconds, connections, work)
                    finally:
                        nginx.close()
                    r["nginx_rps"] = ng["rps"]
                    r["nginx_p99_ms"] = ng["p99_ms"]
                print(json.dumps(r), flush=True)
        finally:
            serve.close()
    finally:
        shutil.rmtree(data, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
    return results


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--jobs", type=int, default=100000)
    p.add_argument("--seconds", type=int, default=10)
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--binary", default=os.path.join(ROOT, "build/chronicle"))
    p.add_argument("--baseline", help="an older chronicle binary to run side by side")
    args = p.parse_args()
    for tool in ("wrk", "nginx"):
        if not shutil.which(tool):
            sys.exit(f"needs {tool}: apt-get install wrk nginx-light")
    row = template_job(args.binary)
    table = []
    for label, binary in [("chronicle", args.binary)] + ([("baseline", args.baseline)] if args.baseline else []):
        for r in run_binary(binary, row, args.jobs, args.seconds, args.connections, label == "chronicle"):
            table.append((label, r))
    print()
    print(f"{args.jobs} finished jobs, wrk -t2 -c{args.connections} -d{args.seconds}s")
    print(f"| build | request | bytes | req/s | p50 | p99 | serve CPU | nginx req/s | ratio |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for label, r in table:
        ratio = f"{r['rps'] / r['nginx_rps']:.2f}x" if r.get("nginx_rps") else ""
        nginx = f"{r['nginx_rps']:,.0f}" if r.get("nginx_rps") else ""
        errors = f" ({r['non_2xx']} errors)" if r["non_2xx"] else ""
        print(f"| {label} | {r['case']} | {r['bytes']:,} | {r['rps']:,.0f}{errors} | {r['p50_ms']:.2f} ms | "
              f"{r['p99_ms']:.2f} ms | {r['serve_cpu_percent']}% | {nginx} | {ratio} |")


if __name__ == "__main__":
    main()
