#!/usr/bin/python3
"""Webhook delivery beside hung receivers: how long does a healthy receiver wait for its deliveries
while --hung receivers accept connections and never answer?

Each hung receiver has a webhook and gets --pings test deliveries queued at once; the healthy
receiver's webhook gets a test delivery every 0.5 s for --seconds. The latency of a healthy
delivery is from the answer to its POST /test to its arrival. Printed per chronicle binary: p50,
p99 and max latency, how many healthy deliveries arrived, connections the hung receivers got, and
how long serve took to stop afterwards. Goal: p99 under 2 s.

    /usr/bin/python3 bench/webhooks.py [--hung 10] [--pings 6] [--seconds 30] [--baseline OLD_CHRONICLE]
"""
import argparse
import http.server
import json
import os
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../tests/e2e"))
from harness import Chronicle, HungReceiver  # noqa: E402


def healthy_receiver(arrived):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            arrived[self.headers["X-Chronicle-Delivery"]] = time.monotonic()
            self.send_response(204)
            self.end_headers()
            del body

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}/hook"


def run(binary, hung, pings, seconds):
    os.environ["CHRONICLE_BIN"] = binary
    import harness
    harness.CHRONICLE = binary
    arrived, hung_receivers = {}, []
    httpd, good_url = healthy_receiver(arrived)
    c = Chronicle()
    try:
        for _ in range(hung):
            receiver = HungReceiver()
            hung_receivers.append(receiver)
            _, hook = c.api("POST", "/api/v1/webhooks", {"url": receiver.url})
            for _ in range(pings):
                c.api("POST", f"/api/v1/webhooks/{hook['id']}/test")
        _, good = c.api("POST", "/api/v1/webhooks", {"url": good_url})
        sent = {}
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            status, delivery = c.api("POST", f"/api/v1/webhooks/{good['id']}/test")
            sent[delivery["id"]] = time.monotonic()
            time.sleep(0.5)
        time.sleep(min(15, seconds))  # the last ones still on their way
        latencies = sorted(arrived[d] - t for d, t in sent.items() if d in arrived)
        t0 = time.monotonic()
        try:
            c.stop_server(timeout=30)
            shutdown = f"{time.monotonic() - t0:.1f}"
        except subprocess.TimeoutExpired:
            c.proc.kill()
            c.proc.wait()
            shutdown = ">30 (killed)"
        missing = len(sent) - len(latencies)
        p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] if latencies else float("nan")  # noqa: E731
        return {"sent": len(sent), "arrived": len(latencies), "missing": missing,
                "p50_s": round(p(0.5), 3), "p99_s": round(p(0.99), 3),
                "max_s": round(latencies[-1], 3) if latencies else None,
                "hung_connections": sum(len(r.held) for r in hung_receivers), "shutdown_s": shutdown}
    finally:
        c.close()
        httpd.shutdown()
        for r in hung_receivers:
            r.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hung", type=int, default=10)
    ap.add_argument("--pings", type=int, default=6)
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("--chronicle", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "../build/chronicle"))
    ap.add_argument("--baseline", help="an older chronicle binary to compare with")
    args = ap.parse_args()
    binaries = [("chronicle", os.path.abspath(args.chronicle))]
    if args.baseline:
        binaries.insert(0, ("baseline", os.path.abspath(args.baseline)))
    print(f"{args.hung} hung receivers with {args.pings} test deliveries each; a healthy one pinged every 0.5 s "
          f"for {args.seconds} s")
    print(f"{'binary':<10} {'sent':>5} {'arrived':>8} {'p50 s':>7} {'p99 s':>7} {'max s':>7} {'hung conns':>11} "
          f"{'shutdown s':>13}")
    for name, binary in binaries:
        r = run(binary, args.hung, args.pings, args.seconds)
        print(f"{name:<10} {r['sent']:>5} {r['arrived']:>8} {r['p50_s']:>7} {r['p99_s']:>7} {r['max_s']!s:>7} "
              f"{r['hung_connections']:>11} {r['shutdown_s']:>13}", flush=True)
        print(json.dumps({"binary": name, **r}), file=sys.stderr)


if __name__ == "__main__":
    main()
