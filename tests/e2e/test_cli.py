"""The CLI as a new user meets it: typos get a suggestion, --server goes anywhere on the line,
a server that is not chronicle is named as such, the start of an id is enough, and every path
exits with the code the README's table gives."""
import http.server
import os
import signal
import subprocess
import threading
import time

import pytest

from harness import CHRONICLE, Chronicle


class NotChronicle(http.server.BaseHTTPRequestHandler):
    """A web server that is not chronicle: an HTML page for every request."""
    status = 501

    def do_GET(self):
        body = b"<html><body>Not Implemented</body></html>"
        self.send_response(self.server.status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET

    def log_message(self, *args):
        pass


@pytest.fixture
def other_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NotChronicle)
    server.status = 501
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def run(*args, env=None):
    return subprocess.run([CHRONICLE, *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})})


def test_typos_are_refused_with_what_was_meant():
    r = run("suibmit", "http://example.com/live.m3u8")
    assert r.returncode == 2 and "'suibmit' is not a command; did you mean 'submit'?" in r.stderr, r.stderr
    r = run("ls", "--jsn")
    assert r.returncode == 2 and "'--jsn' is not an option of 'chronicle ls'; did you mean '--json'?" in r.stderr
    r = run("channel", "sho", "x")
    assert r.returncode == 2 and "did you mean 'show'?" in r.stderr
    r = run("frobnicate")
    assert r.returncode == 2 and "'frobnicate' is not a command" in r.stderr and "did you mean" not in r.stderr
    r = run("show")
    assert r.returncode == 2 and "id is required" in r.stderr
    assert run("--help").returncode == 0 and run("--version").returncode == 0


def test_server_and_token_go_anywhere_on_the_line(chronicle):
    for args in (["--server", chronicle.base, "ls"], ["ls", "--server", chronicle.base],
                 ["ls", "--json", "--server", chronicle.base, "--token", "unused"]):
        r = run(*args, env={"CHRONICLE_SERVER": "http://127.0.0.1:9"})
        assert r.returncode == 0, (args, r.stderr)


@pytest.mark.parametrize("status", [501, 200, 404])
def test_a_server_that_is_not_chronicle_is_named(other_server, status):
    other_server.status = status
    url = f"http://127.0.0.1:{other_server.server_address[1]}"
    r = run("ls", "--server", url)
    assert r.returncode == 2, r.stderr
    assert f"{url} answered HTTP {status}, and not as chronicle answers" in r.stderr, r.stderr


def test_the_start_of_an_id_is_enough_and_every_ending_has_its_exit_code(chronicle, other_server, tmp_path):
    other_server.status = 404
    page = f"http://127.0.0.1:{other_server.server_address[1]}/nothing-live-here"
    ids = []
    for n in range(2):
        status, job = chronicle.api("POST", "/api/v1/jobs", {"url": f"{page}/{n}"})
        ids.append(job["id"])
    for job_id in ids:
        chronicle.wait_status(job_id, "failed", 60)

    # What `submit --wait` and `watch` print is the first ten characters: enough to find the job.
    short = ids[1][:10].lower()
    r = chronicle.cli("show", short, "--json")
    assert r.returncode == 0, r.stderr
    assert f'"id":"{ids[1]}"' in r.stdout.replace(" ", "")
    status, job = chronicle.api("GET", f"/api/v1/jobs/{ids[1][:12]}")
    assert status == 200 and job["id"] == ids[1]

    # Two jobs made a moment apart share their first characters: too short is ambiguous.
    common = os.path.commonprefix(ids)
    assert len(common) >= 4
    r = chronicle.cli("show", common[:4])
    assert r.returncode == 2 and "begins more than one job's id" in r.stderr, r.stderr
    r = chronicle.cli("show", "ZZZZZZZZ")
    assert r.returncode == 3 and "no job's id begins with 'ZZZZZZZZ'" in r.stderr, r.stderr

    # Following a job that failed ends as `submit --wait` does: exit 1, with the reason.
    r = chronicle.cli("watch", ids[0][:10])
    assert r.returncode == 1 and f"job {ids[0]} ended failed" in r.stderr, r.stderr

    # A download never replaces a file unless told to.
    existing = tmp_path / "keep.mkv"
    existing.write_text("mine")
    r = chronicle.cli("download", ids[0], "-o", str(existing))
    assert r.returncode == 1 and "already exists; add --force" in r.stderr, r.stderr
    assert existing.read_text() == "mine"


def test_watch_draws_one_line_per_job_in_place_on_a_terminal_and_plain_lines_when_piped(chronicle, make_stream):
    env = {**os.environ, "CHRONICLE_SERVER": chronicle.base}
    piped = subprocess.Popen([CHRONICLE, "watch"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    # `script` gives watch a pseudo-terminal, as a person's shell does.
    tty_out = chronicle.data + "/watch-tty.txt"
    on_tty = subprocess.Popen(["script", "-q", "-e", "-c", f"{CHRONICLE} watch", tty_out],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env={**env, "TERM": "xterm"}, start_new_session=True)
    try:
        stream = make_stream(6)
        status, job = chronicle.api("POST", "/api/v1/jobs", {"url": stream.url, "name": "first light"})
        # A channel's check is an event of the stream too, and not a job.
        chronicle.api("POST", "/api/v1/channels", {"url": stream.url, "name": "a channel"})
        chronicle.wait_status(job["id"], "completed", 90)
        time.sleep(1)
    finally:
        for p in (piped, on_tty):
            os.killpg(p.pid, signal.SIGTERM) if p is on_tty else p.terminate()
            p.wait(10)
    lines = [line for line in piped.stdout.read().splitlines() if line.strip()]
    short = job["id"][:10]
    assert lines[0].startswith("no job is recording") is False
    mine = [line for line in lines if line.startswith(short)]
    assert mine and all("first light" in line for line in mine), lines
    statuses = [line.split()[3] if line.split()[2] == "light" else line.split()[2] for line in mine]
    assert statuses[-1] == "completed" and "recording" in statuses, lines
    assert len(mine) <= 12, f"a line per status change and at most one per 10 s: {lines}"
    assert all(line.startswith(short) for line in lines), f"nothing but the job's lines: {lines}"
    drawn = open(tty_out, errors="replace").read()
    assert "\x1b[" in drawn and "F\x1b[J" in drawn, "the board is redrawn in place"
    assert "no job is recording" in drawn
    assert drawn.count("completed") >= 1 and "first light" in drawn


def test_an_address_without_a_scheme_is_taken_as_https(chronicle):
    r = chronicle.cli("submit", "127.0.0.1:9/nothing/live.m3u8", "--json")
    assert r.returncode == 0, r.stderr
    assert '"url":"https://127.0.0.1:9/nothing/live.m3u8"' in r.stdout.replace(" ", "")


def test_a_channel_is_edited_by_the_start_of_its_id(chronicle, other_server):
    page = f"http://127.0.0.1:{other_server.server_address[1]}/show/live"
    status, channel = chronicle.api("POST", "/api/v1/channels", {"url": page, "enabled": False})
    assert status == 201, channel
    short = channel["id"][:10].lower()
    r = chronicle.cli("channel", "edit", short, "--name", "The Show", "--every", "5m", "--quality", "720p",
                      "--name-format", "{channel} {title}", "--prefix", "shows")
    assert r.returncode == 0, r.stderr
    assert "The Show" in r.stdout and "{channel} {title}" in r.stdout
    _, edited = chronicle.api("GET", f"/api/v1/channels/{short}")
    assert (edited["id"], edited["name"], edited["poll_interval_s"], edited["format"], edited["name_format"],
            edited["prefix"]) == (channel["id"], "The Show", 300, "720p", "{channel} {title}", "shows")
    assert edited["enabled"] is False, "what was not given stays"
    r = chronicle.cli("channel", "edit", short)
    assert r.returncode == 2 and "nothing to change" in r.stderr
    r = chronicle.cli("channel", "edit", short, "--name-format", "{nope}")
    assert r.returncode == 2 and "name_format knows {channel}, {title}" in r.stderr, r.stderr

    # The dashboard's live preview: the server's own rendering of a name.
    status, preview = chronicle.api("POST", "/api/v1/channels/name_preview",
                                    {"name_format": "{channel} {date:%Y}", "name": "news/late"})
    assert status == 200 and preview["name"].endswith(time.strftime("%Y", time.gmtime())), preview
    assert "/" not in preview["name"], "made safe as a recording's name is"
    status, refused = chronicle.api("POST", "/api/v1/channels/name_preview", {"name_format": "{date"})
    assert status == 400 and "not closed" in refused["error"]["message"]

    # Webhooks too are found by the start of their id.
    _, hook = chronicle.api("POST", "/api/v1/webhooks", {"url": "http://127.0.0.1:9/hook"})
    status, found = chronicle.api("GET", f"/api/v1/webhooks/{hook['id'][:12]}")
    assert status == 200 and found["id"] == hook["id"]


def test_cookies_for_another_site_are_kept_with_a_warning(chronicle, tmp_path):
    jar = tmp_path / "cookies.txt"
    jar.write_text(".example.com\tTRUE\t/\tTRUE\t2147483647\tsid\tvalue\n")
    r = chronicle.cli("cookies", "add", "example.org", str(jar))
    assert r.returncode == 0, r.stderr
    assert ("warning: none of these cookies is for example.org: they are for example.com, so recordings from "
            "example.org will not use them (store them under example.com)") in r.stderr, r.stderr
    r = chronicle.cli("cookies", "add", "www.example.com", str(jar))
    assert r.returncode == 0 and "warning" not in r.stderr, "a parent domain's cookies are sent to it"
