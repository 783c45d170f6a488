"""nginx for the benchmarks: one worker (serve answers HTTP on one thread), in the foreground,
its configuration, pid and error log in a directory of its own, stopped by its pid."""
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request


def start(workdir, http_block, ready_url, connections=4096):
    """Starts nginx with `http_block` inside `http { }`; returns once `ready_url` answers."""
    conf = os.path.join(workdir, "nginx.conf")
    with open(conf, "w") as f:
        f.write(("user root;\n" if os.getuid() == 0 else "") + f"""
worker_processes 1;
daemon off;
pid {workdir}/nginx.pid;
error_log {workdir}/error.log;
events {{ worker_connections {connections}; }}
http {{
{http_block}
}}
""")
    proc = subprocess.Popen(["nginx", "-c", conf, "-e", os.path.join(workdir, "error.log")],
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(ready_url, timeout=1).read()
            break
        except urllib.error.HTTPError:
            break  # it answers
        except OSError:
            time.sleep(0.05)
    return proc


def stop(proc):
    stop_process(proc, signal.SIGQUIT, 10)  # nginx's graceful stop


def stop_process(proc, sig, seconds):
    """Sends `sig`, waits up to `seconds`, then kills."""
    proc.send_signal(sig)
    try:
        proc.wait(seconds)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
