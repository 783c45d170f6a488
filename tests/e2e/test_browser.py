"""The dashboard in Debian's Chromium (playwright-core) against a real serve and a real live
stream: submit through the modal, watch the card record, stop it, download its files; add a
channel in the Channels view and see its live session recorded."""
import json
import os
import subprocess

HERE = os.path.dirname(__file__)
SCRIPT = os.path.join(HERE, "..", "browser", "dashboard.mjs")
ARTIFACTS = os.environ.get("CHRONICLE_ARTIFACTS", os.path.join(HERE, "..", "artifacts", "screenshots"))


def test_dashboard_submit_watch_stop_download(chronicle, make_stream):
    stream = make_stream(120)
    r = subprocess.run(["node", SCRIPT, chronicle.base, stream.url, ARTIFACTS], capture_output=True, text=True,
                       timeout=240)
    assert r.returncode == 0, r.stdout + r.stderr
    m = json.loads(r.stdout.strip().splitlines()[-1])
    print(f"\ndashboard: {m}")
    assert m["bytes_seen"][0] < m["bytes_seen"][1] < m["bytes_seen"][2]
    job = chronicle.job(m["job_id"])
    assert job["status"] == "completed" and job["name"] == "browser test"
    assert job["recording"]["size"] == m["recording_bytes"]
    # Served by chronicle itself: hashed assets cache for good, client routes fall back to the app.
    status, headers, page = chronicle.request("GET", "/")
    assert status == 200 and b'<div id="root">' in page
    asset = page.split(b'src="')[1].split(b'"')[0].decode()
    status, headers, _ = chronicle.request("GET", asset)
    assert status == 200 and "immutable" in headers["Cache-Control"] and "javascript" in headers["Content-Type"]
    status, headers, fallback = chronicle.request("GET", "/jobs/some/client/route")
    assert status == 200 and fallback == page and headers["Cache-Control"] == "no-cache"
    status, _, _ = chronicle.request("GET", "/assets/missing.js")
    assert status == 404
    status, _, _ = chronicle.request("GET", "/../../etc/passwd")
    assert status in (400, 404)
    for name in ["empty-desktop", "modal-desktop", "list-recording-desktop", "details-recording-desktop",
                 "details-completed-desktop", "list-phone", "modal-phone", "details-phone"]:
        assert os.path.getsize(os.path.join(ARTIFACTS, f"{name}.png")) > 5000, name


def test_channels_view_add_watch_live_pause_remove(chronicle, sims):
    from harness import ChannelPage
    page = ChannelPage()
    try:
        proc = subprocess.Popen(["node", os.path.join(HERE, "..", "browser", "channels.mjs"), chronicle.base, page.url,
                                 ARTIFACTS], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            # The script adds the channel and waits until it is seen offline; then it goes live.
            line = proc.stdout.readline().strip()
            if line != "offline":
                proc.wait(30)
                raise AssertionError(f"the script ended before the channel was offline: {line}{proc.stderr.read()}")
            sim = sims([("live", 10), ("end",)], seconds=10)
            page.live(sim.url)
            out, err = proc.communicate(timeout=180)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert proc.returncode == 0, out + err
        m = json.loads(out.strip().splitlines()[-1])
        print(f"\nchannels view: {m}")
        assert chronicle.job(m["job_id"])["recording"]["size"] == m["recording_bytes"] > 0
        for name in ["channel-add-desktop", "channels-recording-desktop", "channels-phone"]:
            assert os.path.getsize(os.path.join(ARTIFACTS, f"{name}.png")) > 5000, name
    finally:
        page.close()


def test_library_quality_thumbnails_and_playback(sims):
    from harness import Chronicle
    from test_library import VARIANTS, video_size
    c = Chronicle(env={"CHRONICLE_PREVIEW_INTERVAL": "3"})
    try:
        sim720 = sims([("live", 14), ("end",)], variants=VARIANTS)
        sim480 = sims([("live", 14), ("end",)], variants=VARIANTS)
        r = subprocess.run(["node", os.path.join(HERE, "..", "browser", "library.mjs"), c.base, sim720.master_url,
                            sim480.master_url, ARTIFACTS], capture_output=True, text=True, timeout=240)
        assert r.returncode == 0, r.stdout + r.stderr
        m = json.loads(r.stdout.strip().splitlines()[-1])
        print(f"\nlibrary: {m}")
        sizes = {}
        for quality in ["720p", "480p"]:
            job = c.job(m[quality])
            assert job["status"] == "completed" and job["format"] == quality
            sizes[quality] = video_size(os.path.join(c.data, "recordings", job["recording"]["key"]))
        assert sizes == {"720p": (1280, 720), "480p": (640, 360)}, sizes
        assert m["poster_720p"] == [640, 360] and m["poster_480p"] == [640, 360]
        for name in ["modal-quality-desktop", "list-thumbnails-desktop", "details-player-desktop"]:
            assert os.path.getsize(os.path.join(ARTIFACTS, f"{name}.png")) > 5000, name
    finally:
        c.close()


def seed_history(db, total, failed):
    """`total` finished jobs written straight into serve's SQLite store (a history as long as a
    user's, in seconds); returns (oldest id, the name of one job in the middle)."""
    import random
    import sqlite3
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

    def ulid(ms):
        t = "".join(alphabet[(ms >> (5 * (9 - i))) & 31] for i in range(10))
        return t + "".join(random.choice(alphabet) for _ in range(16))

    start = 1_700_000_000_000
    con = sqlite3.connect(db)
    rows, oldest, needle = [], None, None
    for i in range(total):
        job_id = ulid(start + i * 60_000)
        status = "failed" if i % (total // failed) == 0 else "completed"
        name = f"show {i:05d}" if i != total // 2 else "needle in the history"
        at = f"2023-11-14T22:{i % 60:02d}:00.000Z"
        doc = {"id": job_id, "url": f"https://example.com/live/{i}", "name": name, "prefix": "", "status": status,
               "title": f"episode {i}", "created_at": at, "started_at": at, "updated_at": at, "finished_at": at,
               "bytes": 1000 + i, "duration_s": 60.0, "milestones": {"pending": at, status: at},
               "error": {"code": "stream_lost", "message": "the stream did not come back"} if status == "failed"
               else None, "version": 1}
        rows.append((job_id, doc["url"], status, 1, i + 1, json.dumps(doc)))
        oldest = oldest or job_id
        if i == total // 2:
            needle = name
    con.executemany("INSERT INTO jobs(id, url, status, version, seq, doc) VALUES (?, ?, ?, ?, ?, ?)", rows)
    con.commit()
    con.close()
    return oldest, needle


def test_a_long_history_counts_scrolls_and_searches_on_the_server():
    from harness import Chronicle
    c = Chronicle()
    try:
        c.stop_server()
        total, failed = 5000, 1000
        oldest, needle = seed_history(os.path.join(c.data, "chronicle.db"), total, failed)
        c.start()
        _, stats = c.api("GET", "/api/v1/stats")
        assert stats["jobs"]["total"] == total and stats["jobs"]["by_status"]["failed"] == failed
        r = subprocess.run(["node", os.path.join(HERE, "..", "browser", "history.mjs"), c.base, oldest, needle,
                            str(total), str(failed), ARTIFACTS], capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stdout + r.stderr
        m = json.loads(r.stdout.strip().splitlines()[-1])
        print(f"\nhistory of {total}: {m}")
    finally:
        c.close()


def test_lighthouse_scores_and_precompressed_assets():
    import gzip
    from harness import Chronicle
    c = Chronicle()
    try:
        c.stop_server()
        seed_history(os.path.join(c.data, "chronicle.db"), 40, 8)
        c.start()
        # Text assets go out precompressed, as the client accepts, and say so to caches.
        status, headers, page = c.request("GET", "/")
        asset = page.split(b'src="')[1].split(b'"')[0].decode()
        _, plain_headers, plain = c.request("GET", asset)
        assert "Content-Encoding" not in plain_headers and plain_headers["Vary"] == "Accept-Encoding"
        _, gz_headers, gz = c.request("GET", asset, headers={"Accept-Encoding": "gzip"})
        assert gz_headers["Content-Encoding"] == "gzip" and gzip.decompress(gz) == plain
        _, br_headers, br = c.request("GET", asset, headers={"Accept-Encoding": "gzip, deflate, br"})
        assert br_headers["Content-Encoding"] == "br" and len(br) < len(gz) < len(plain) / 2
        assert "javascript" in br_headers["Content-Type"] and "immutable" in br_headers["Cache-Control"]
        _, refused, _ = c.request("GET", asset, headers={"Accept-Encoding": "br;q=0, gzip"})
        assert refused["Content-Encoding"] == "gzip"
        print(f"\nmain script: {len(plain)} bytes, gzip {len(gz)}, brotli {len(br)}")
        # A page of jobs (JSON) is gzipped on the fly for clients that take it.
        _, json_plain_headers, listing = c.request("GET", "/api/v1/jobs?limit=100")
        _, json_gz_headers, listing_gz = c.request("GET", "/api/v1/jobs?limit=100", headers={"Accept-Encoding": "gzip"})
        assert "Content-Encoding" not in json_plain_headers
        assert json_gz_headers["Content-Encoding"] == "gzip" and gzip.decompress(listing_gz) == listing
        assert len(listing_gz) < len(listing) / 4
        r = subprocess.run(["node", os.path.join(HERE, "..", "browser", "lighthouse.mjs"), c.base + "/",
                            os.path.join(ARTIFACTS, "lighthouse.json")], capture_output=True, text=True, timeout=240)
        result = json.loads(r.stdout.strip().splitlines()[-1])
        print(f"lighthouse (mobile): {result}")
        assert r.returncode == 0, r.stdout + r.stderr
        assert all(score >= 0.95 for score in result["scores"].values()), result
    finally:
        c.close()


def test_dashboard_asks_for_the_token_once_and_uses_signed_links(make_stream):
    from harness import Chronicle
    c = Chronicle(env={"CHRONICLE_TOKEN": "browser-s3cret"})
    try:
        stream = make_stream(4)
        r = c.cli("submit", stream.url, "--name", "with token", "--wait", "--json", timeout=120)
        assert r.returncode == 0, r.stderr
        job = json.loads(r.stdout)
        r = subprocess.run(["node", os.path.join(HERE, "..", "browser", "token.mjs"), c.base, "browser-s3cret",
                            job["id"], ARTIFACTS], capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stdout + r.stderr
        assert json.loads(r.stdout.strip().splitlines()[-1])["recording_bytes"] == job["recording"]["size"]
    finally:
        c.close()


def test_the_webhooks_page_adds_tests_and_removes_a_webhook():
    from harness import SECRET, Chronicle, Receiver, verify
    receiver = Receiver()
    c = Chronicle()
    try:
        r = subprocess.run(["node", os.path.join(HERE, "..", "browser", "webhooks.mjs"), c.base, receiver.url, SECRET,
                            ARTIFACTS], capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stdout + r.stderr
        print(r.stdout.strip().splitlines()[-1])
        [(headers, body)] = receiver.got
        verify(headers, body)
        assert headers["X-Chronicle-Event"] == "ping"
    finally:
        c.close()
        receiver.close()


def test_a_new_users_first_hour_has_no_dead_ends(sims):
    """The table of issue "a new user's first hour": the outage while the drawer loads, every view at
    360 and 390 px, a channel edited, the id copied, a failure's words. Its screenshots are the
    README's."""
    import http.server
    import threading
    from harness import Chronicle
    from test_cli import NotChronicle
    # Retention by age with an hour between passes: a recording that just ended is listed for the
    # next pass (older than 29 min by then) and not deleted yet.
    chronicle = Chronicle(env={"CHRONICLE_RETENTION_DAYS": "0.02", "CHRONICLE_RETENTION_INTERVAL": "3600",
                               "CHRONICLE_RETENTION_MIN_AGE": "0"})
    missing = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NotChronicle)
    missing.status = 404
    threading.Thread(target=missing.serve_forever, daemon=True).start()
    try:
        page = f"http://127.0.0.1:{missing.server_address[1]}"
        sim = sims([("live", 3), ("end",)])
        _, done = chronicle.api("POST", "/api/v1/jobs", {
            "url": sim.url, "name": "a recording with a name long enough to be cut on a phone screen"})
        _, failed = chronicle.api("POST", "/api/v1/jobs", {"url": f"{page}/nothing-live-here"})
        chronicle.wait_status(done["id"], "completed", 90)
        chronicle.wait_status(failed["id"], "failed", 60)
        assert chronicle.api("POST", "/api/v1/channels", {"url": f"{page}/the-show/live", "name": "The Show"})[0] == 201
        assert chronicle.api("POST", "/api/v1/webhooks", {
            "url": f"{page}/ntfy/a-topic-with-a-rather-long-name-for-a-phone", "format": "ntfy"})[0] == 201
        jar = ".example.com\tTRUE\t/\tTRUE\t2147483647\tsid\tvalue\n"
        assert chronicle.api("PUT", "/api/v1/cookies/members.example.org", {"cookies": jar})[0] == 200

        proc = subprocess.Popen(["node", os.path.join(HERE, "..", "browser", "firsthour.mjs"), chronicle.base,
                                 ARTIFACTS], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        try:
            out = []
            for line in proc.stdout:
                out.append(line)
                if line.strip() == "stop-serve":
                    chronicle.stop_server()
                elif line.strip() == "start-serve":
                    chronicle.start()
                else:
                    continue
                proc.stdin.write("done\n")
                proc.stdin.flush()
            proc.wait(30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert proc.returncode == 0, "".join(out) + proc.stderr.read()
        m = json.loads(out[-1])
        print(f"\nfirst hour: {m}")
        for name in ["outage-channels-desktop", "outage-recordings-desktop", "details-failed-desktop",
                     "channel-edit-desktop", "settings-desktop", "recordings-360", "channels-360", "webhooks-360",
                     "cookies-360", "settings-360"]:
            assert os.path.getsize(os.path.join(ARTIFACTS, f"{name}.png")) > 5000, name
        assert chronicle.job(done["id"])["pinned"] is True, "pinned from the retention notice's drawer"
    finally:
        missing.shutdown()
        missing.server_close()
        chronicle.close()


def test_the_drawer_plays_a_recording_in_progress_from_its_start_and_clips_it(chronicle, make_stream, tmp_path):
    from harness import ffprobe_duration, ffprobe_streams, wait_for
    stream = make_stream(90)
    _, job = chronicle.api("POST", "/api/v1/jobs", {"url": stream.url, "name": "watched in the browser"})
    wait_for(lambda: chronicle.job(job["id"])["duration_s"] >= 20, 60, what="20 s recorded")
    clip = tmp_path / "clip.mkv"
    r = subprocess.run(["node", os.path.join(HERE, "..", "browser", "watch.mjs"), chronicle.base, job["id"], ARTIFACTS,
                        str(clip)], capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stdout + r.stderr
    m = json.loads(r.stdout.strip().splitlines()[-1])
    print(f"\nwatch in the browser: {m}")
    # The clip made on the player's In (2 s) and Out (7 s): cut on the keyframe before In.
    made = chronicle.job(job["id"])["clips"][0]
    assert 1 - 0.05 <= made["cut_start_s"] <= 2.1 and abs(made["end_s"] - 7) < 0.6, made
    assert abs(ffprobe_duration(str(clip)) - (made["cut_end_s"] - made["cut_start_s"])) < 0.2
    assert ffprobe_streams(str(clip)) == ["audio", "video"]
    assert chronicle.job(job["id"])["status"] == "recording"
    chronicle.api("POST", f"/api/v1/jobs/{job['id']}/stop")


def test_the_chat_follows_playback_seeks_and_streams_at_the_live_edge(make_stream, tmp_path):
    from harness import wait_for
    from test_chat import TwitchChronicle, twitch_irc
    stream = make_stream(120)
    server, port = twitch_irc("--messages", "2000", "--interval-ms", "80", "--odd", "--ping-ms", "5000")
    c = None
    try:
        c = TwitchChronicle(tmp_path, stream.url, port)
        status, job = c.api("POST", "/api/v1/jobs", {"url": "https://www.twitch.tv/somebody", "name": "chat in the browser"})
        assert status == 201, job
        wait_for(lambda: c.job(job["id"])["duration_s"] >= 24, 60, what="24 s recorded")
        r = subprocess.run(["node", os.path.join(HERE, "..", "browser", "chat.mjs"), c.base, job["id"], ARTIFACTS],
                           capture_output=True, text=True, timeout=180)
        assert r.returncode == 0, r.stdout + r.stderr
        print(f"\nchat in the browser: {r.stdout.strip().splitlines()[-1]}")

        # The odd messages are stored whole and safe: one JSON line each, escapes kept as \u escapes,
        # invalid UTF-8 replaced, the 30 KiB line whole; the CLI prints them without their escapes.
        status, _, body = c.request("GET", f"/api/v1/jobs/{job['id']}/chat?from_s=0&to_s=10")
        stored = {r["id"]: r for r in map(json.loads, body.decode().splitlines()) if r.get("id")}
        assert stored["msg-12"]["text"].startswith("\x1b[31mred\x1b[0m\x07bell\x00nul")
        assert stored["msg-13"]["text"].startswith("\u202eevil\u202c <b>bold</b>")
        assert "\ufffd\ufffd" in stored["msg-14"]["text"]
        assert stored["msg-15"]["text"] == "x" * (30 << 10) + " message 15"
        assert b"\x1b" not in body and b"\x00" not in body
        env = dict(c.env, CHRONICLE_SERVER=c.base)
        from harness import CHRONICLE
        printed = subprocess.run([CHRONICLE, "chat", job["id"]], env=env, capture_output=True, timeout=30)
        assert printed.returncode == 0 and b"message 15" in printed.stdout
        assert not any(ch in printed.stdout for ch in (b"\x1b", b"\x07", b"\x00", "\u202e".encode()))
        c.api("POST", f"/api/v1/jobs/{job['id']}/stop")
    finally:
        server.terminate()
        server.wait(10)
        if c:
            c.close()
