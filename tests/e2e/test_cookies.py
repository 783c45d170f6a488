"""Cookies per site: a stream that answers 403 without its login cookie records only once the
domain's cookies are uploaded; the cookies never appear in what the API answers or in any log,
and are stored readable by chronicle alone."""
import glob
import json
import os
import stat
import subprocess

from harness import CHRONICLE, Chronicle

COOKIE_VALUE = "s3cret-member-7f3a9"
COOKIES_FILE = (
    "# Netscape HTTP Cookie File\n"
    "# exported for a test\n"
    f"127.0.0.1\tFALSE\t/\tFALSE\t2147483647\tsession\t{COOKIE_VALUE}\n"
    "#HttpOnly_127.0.0.1\tFALSE\t/\tFALSE\t0\tpref\tdark\n"
)


def test_a_members_only_stream_records_once_its_cookies_are_uploaded(sims, tmp_path):
    c = Chronicle()
    try:
        sim = sims([("live", 12), ("end",)], require_cookie=f"session={COOKIE_VALUE}")
        # Without cookies: refused by the site, and the job says so.
        status, job = c.api("POST", "/api/v1/jobs", {"url": sim.url, "name": "without"})
        failed = c.wait_status(job["id"], ["failed", "completed"], 60)
        assert failed["status"] == "failed" and "403" in failed["error"]["message"], failed
        assert sim.refused > 0

        cookies = tmp_path / "cookies.txt"
        cookies.write_text(COOKIES_FILE)
        r = c.cli("cookies", "add", "127.0.0.1", str(cookies), check=True)
        assert "127.0.0.1: 2 cookies stored" in r.stdout, r.stdout
        stored = os.path.join(c.data, "cookies", "127.0.0.1.txt")
        assert stat.S_IMODE(os.stat(stored).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(os.path.dirname(stored)).st_mode) == 0o700
        r = c.cli("cookies", "ls", check=True)
        assert "127.0.0.1" in r.stdout and "2" in r.stdout

        status, job = c.api("POST", "/api/v1/jobs", {"url": sim.url, "name": "with"})
        done = c.wait_status(job["id"], ["failed", "completed"], 90)
        assert done["status"] == "completed", done
        assert done["duration_s"] > 5

        # The cookie is nowhere in what chronicle shows or writes down.
        answers = [c.request("GET", p)[2] for p in ["/api/v1/cookies", "/api/v1/cookies/127.0.0.1",
                                                    f"/api/v1/jobs/{job['id']}", "/api/v1/jobs", "/api/v1/info"]]
        answers += [c.cli("cookies", "ls", "--json").stdout.encode(), c.cli("show", job["id"]).stdout.encode()]
        assert all(COOKIE_VALUE.encode() not in a for a in answers)
        listed = json.loads(answers[0])["cookies"]
        assert listed == [{"domain": "127.0.0.1", "count": 2, "expires_at": "2038-01-19T03:14:07.000Z"}]
        logs = [p for p in glob.glob(os.path.join(c.data, "**", "*"), recursive=True)
                if os.path.isfile(p) and (p.endswith(".log") or "/logs/" in p)]
        assert logs, "serve and the recorder write logs"
        for log in logs:
            with open(log, "rb") as f:
                assert COOKIE_VALUE.encode() not in f.read(), log
        # The copy yt-dlp used is gone with the job's work directory.
        assert not glob.glob(os.path.join(c.data, "work", "**", "cookies.txt"), recursive=True)

        # Bad files and domains are refused with the reason; removal works.
        for domain, body, says in [("127.0.0.1", {"cookies": "not a cookie file"}, "7 tab-separated"),
                                   ("../etc", {"cookies": COOKIES_FILE}, "host name"),
                                   ("example.com", {"file": "x"}, "unknown field 'file'"),
                                   ("example.com", {"cookies": COOKIES_FILE, "domain": "x"}, "unknown field 'domain'")]:
            status, answer = c.api("PUT", f"/api/v1/cookies/{domain}", body)
            assert status in (400, 404) and says in answer["error"]["message"], answer
        assert c.cli("cookies", "rm", "127.0.0.1").returncode == 0
        assert c.api("GET", "/api/v1/cookies")[1]["cookies"] == []
        assert not os.path.exists(stored)
    finally:
        c.close()


def test_with_a_key_the_stored_file_is_sealed_and_a_wrong_key_is_named(sims, tmp_path):
    key = "3c" * 32
    c = Chronicle(env={"CHRONICLE_COOKIES_KEY": key})
    try:
        cookies = tmp_path / "cookies.txt"
        cookies.write_text(COOKIES_FILE)
        assert c.cli("cookies", "add", "127.0.0.1", str(cookies)).returncode == 0
        with open(os.path.join(c.data, "cookies", "127.0.0.1.txt"), "rb") as f:
            stored = f.read()
        assert stored.startswith(b"chronicle-sealed-v1\n") and COOKIE_VALUE.encode() not in stored
        assert c.api("GET", "/api/v1/cookies")[1]["cookies"][0]["count"] == 2
        # Restarted with another key: the listing says what is wrong instead of guessing.
        c.stop_server()
        c.env["CHRONICLE_COOKIES_KEY"] = "4d" * 32
        c.start()
        status, answer = c.api("GET", "/api/v1/cookies")
        assert status == 500 and answer["error"]["code"] == "cookies_key_mismatch", answer
        assert "upload them again" in answer["error"]["message"]
        # A members-only job then fails as the site refuses it, and the log says why.
        sim = sims([("live", 6), ("end",)], require_cookie=f"session={COOKIE_VALUE}")
        status, job = c.api("POST", "/api/v1/jobs", {"url": sim.url, "name": "wrong key"})
        assert c.wait_status(job["id"], ["failed", "completed"], 60)["status"] == "failed"
        logs = "".join(open(p, errors="replace").read() for p in glob.glob(os.path.join(c.data, "serve-*.log")))
        assert "the stored cookies of 127.0.0.1 are not used" in logs and "CHRONICLE_COOKIES_KEY" in logs
        # A key that is not 64 hex digits stops chronicle before it starts.
        r = subprocess.run([CHRONICLE, "config", "--data", c.data], env=dict(c.env, CHRONICLE_COOKIES_KEY="short"),
                           capture_output=True, text=True, timeout=30)
        assert r.returncode != 0 and "64 hex digits" in r.stderr, r.stderr
    finally:
        c.close()
