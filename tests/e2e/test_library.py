"""The library around the recordings, end to end with a real serve and real streams: quality
presets pick the rendition asked for from a master playlist (checked with ffprobe), every
recording gets a poster frame and, while it records, a live preview; the job says what was
recorded."""
import json
import os
import subprocess
import tempfile
import time

from harness import Chronicle, wait_for

VARIANTS = ["1280x720", "640x360"]


def video_size(path):
    r = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height",
                        "-of", "json", path], capture_output=True, text=True, check=True)
    video = json.loads(r.stdout)["streams"][0]
    return video["width"], video["height"]


def jpeg_size(data):
    with tempfile.NamedTemporaryFile(suffix=".jpg") as f:
        f.write(data)
        f.flush()
        r = subprocess.run(["ffprobe", "-v", "error", "-show_streams", "-of", "json", f.name], capture_output=True,
                           text=True, check=True)
    s = json.loads(r.stdout)["streams"][0]
    assert s["codec_name"] == "mjpeg"
    return s["width"], s["height"]


def recorded(chronicle, job_id):
    job = chronicle.wait_status(job_id, ["completed", "failed"], 90)
    assert job["status"] == "completed", job
    return job, os.path.join(chronicle.data, "recordings", job["recording"]["key"])


def test_quality_presets_pick_the_rendition_asked_for(chronicle, sims):
    sim = sims([("live", 8), ("end",)], variants=VARIANTS)
    asked = {}
    for quality in ["720p", "480p", "best", None]:
        body = {"url": sim.master_url, "name": f"q-{quality}"}
        if quality:
            body["format"] = quality
        # One URL holds one active job: the four go one after another on the same stream.
        status, job = chronicle.api("POST", "/api/v1/jobs", body)
        assert status == 201, job
        assert job["format"] == quality
        asked[quality] = job["id"]
        chronicle.wait_status(job["id"], ["recording", "completed", "failed"], 60)
        chronicle.api("POST", f"/api/v1/jobs/{job['id']}/stop")
        chronicle.wait_status(job["id"], ["completed", "failed"], 60)
    sizes = {}
    for quality, job_id in asked.items():
        job, path = recorded(chronicle, job_id)
        sizes[quality] = video_size(path)
        media = job["media"]
        assert (media["width"], media["height"]) == sizes[quality], "the job says what the file holds"
        assert media["video_codec"] == "h264" and media["audio_codec"] == "aac" and media["bitrate"] > 0
    print(f"\nrecorded sizes: {sizes}")
    assert sizes["720p"] == (1280, 720)
    assert sizes["480p"] == (640, 360)
    assert sizes["best"] == (1280, 720) and sizes[None] == (1280, 720)


def test_bad_formats_are_refused_before_anything_runs(chronicle):
    for format_, says in [("-o /etc/passwd", "must not begin with '-'"), ("best;id", "';'"), (5, "must be a string")]:
        status, body = chronicle.api("POST", "/api/v1/jobs", {"url": "http://127.0.0.1:9/x.m3u8", "format": format_})
        assert status == 400 and says in body["error"]["message"], body
    status, body = chronicle.api("GET", "/api/v1/jobs")
    assert body["jobs"] == [], "nothing was created"
    # A channel's name template moved to name_format; its format is the quality now.
    status, body = chronicle.api("POST", "/api/v1/channels", {"url": "http://127.0.0.1:9/c", "format": "{channel}"})
    assert status == 400 and "name_format" in body["error"]["message"], body
    status, channel = chronicle.api("POST", "/api/v1/channels", {"url": "http://127.0.0.1:9/c", "format": "480p",
                                                                 "name_format": "{channel} {title}", "enabled": False})
    assert status == 201, channel
    assert channel["format"] == "480p" and channel["name_format"] == "{channel} {title}"
    r = chronicle.cli("channel", "show", channel["id"])
    assert "quality:   480p" in r.stdout and "names:     {channel} {title}" in r.stdout, r.stdout


def test_a_recording_shows_a_live_preview_then_keeps_a_poster(sims):
    c = Chronicle(env={"CHRONICLE_PREVIEW_INTERVAL": "2"})
    try:
        sim = sims([("live", 24), ("end",)], variants=VARIANTS)
        r = c.cli("submit", sim.master_url, "--quality", "480p", "--json", check=True)
        job_id = json.loads(r.stdout)["id"]
        job = wait_for(lambda: (lambda j: j if j["thumbnail"] else None)(c.job(job_id)), 30, what="a live preview")
        assert job["status"] == "recording" and job["thumbnail"]["live"] is True
        # Nobody has looked at it: it is not renewed (a still costs an ffmpeg run per interval).
        time.sleep(7)  # three preview intervals and a heartbeat
        assert c.job(job_id)["thumbnail"]["key"] == job["thumbnail"]["key"]
        status, headers, preview = c.request("GET", f"/api/v1/jobs/{job_id}/thumbnail")
        assert status == 200 and headers["Content-Type"] == "image/jpeg" and headers["Cache-Control"] == "no-cache"
        assert jpeg_size(preview) == (640, 360)
        first_key = job["thumbnail"]["key"]
        # Looked at, it is renewed: another still replaces it, the one before is removed.
        renewed = wait_for(lambda: (lambda j: j if j["thumbnail"] and j["thumbnail"]["key"] != first_key else None)(
            c.job(job_id)), 20, what="a renewed preview")
        assert renewed["thumbnail"]["live"]
        wait_for(lambda: not os.path.exists(os.path.join(c.data, "recordings", first_key)), 10,
                 what="the replaced preview to be removed")

        job, path = recorded(c, job_id)
        assert job["thumbnail"]["live"] is False and job["thumbnail"]["key"].endswith(".jpg")
        assert job["thumbnail"]["url"] == f"{c.base}/api/v1/jobs/{job_id}/thumbnail"
        status, headers, poster = c.request("GET", f"/api/v1/jobs/{job_id}/thumbnail")
        assert status == 200 and "max-age" in headers["Cache-Control"]
        assert jpeg_size(poster) == (640, 360) and len(poster) > 2000
        previews = os.path.join(c.data, "recordings", "previews")
        assert not os.path.isdir(previews) or os.listdir(previews) == [], "no preview outlives the recording"
        assert job["media"]["height"] == 360
        r = c.cli("show", job_id)
        assert "quality:   480p (asked)" in r.stdout and "640x360 h264" in r.stdout, r.stdout

        # Deleting the job deletes its poster too.
        poster_file = os.path.join(c.data, "recordings", job["thumbnail"]["key"])
        assert os.path.exists(poster_file)
        assert c.api("DELETE", f"/api/v1/jobs/{job_id}")[0] == 200
        assert not os.path.exists(poster_file)
    finally:
        c.close()


def test_thumbnails_need_the_token_or_a_signed_link(sims):
    c = Chronicle(env={"CHRONICLE_TOKEN": "s3cret-token-for-tests"})
    auth = {"Authorization": "Bearer s3cret-token-for-tests"}
    try:
        sim = sims([("live", 4), ("end",)])
        status, job = c.api("POST", "/api/v1/jobs", {"url": sim.url}, headers=auth)
        assert status == 201
        job = wait_for(lambda: (lambda j: j if j["status"] in ("completed", "failed") else None)(
            c.api("GET", f"/api/v1/jobs/{job['id']}", headers=auth)[1]), 60, what="the recording")
        assert job["status"] == "completed" and job["thumbnail"], job
        assert c.request("GET", f"/api/v1/jobs/{job['id']}/thumbnail")[0] == 401
        signed = job["thumbnail"]["url"]
        assert "sig=" in signed
        status, headers, data = c.request("GET", signed[len(c.base):])
        assert status == 200 and headers["Content-Type"] == "image/jpeg" and data[:2] == b"\xff\xd8"
        # A link signed for the thumbnail opens nothing else.
        other = signed.replace("/thumbnail?", "/recording?")
        assert c.request("GET", other[len(c.base):])[0] == 401
        missing = c.request("GET", "/api/v1/jobs/01ARZ3NDEKTSV4RRFFQ69G5FAV/thumbnail", headers=auth)
        assert missing[0] == 404
    finally:
        c.close()


def metric(chronicle, name):
    _, _, text = chronicle.request("GET", "/metrics")
    for line in text.decode().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None


def record_all(chronicle, sims, seconds):
    """One recording per length, all started together (so they finish in that order)."""
    ids = []
    for s in seconds:
        sim = sims([("live", s), ("end",)])
        status, job = chronicle.api("POST", "/api/v1/jobs", {"url": sim.url, "name": f"{s}s"})
        assert status == 201, job
        ids.append(job["id"])
    return [recorded(chronicle, i)[0] for i in ids]


def test_retention_by_age_deletes_unpinned_recordings_and_stops_their_seeding(sims):
    # 0.0002 days is 17 s: short enough to watch, long enough to pin one first.
    c = Chronicle(env={"CHRONICLE_RETENTION_DAYS": "0.0002", "CHRONICLE_RETENTION_INTERVAL": "1",
                       "CHRONICLE_RETENTION_MIN_AGE": "0"})
    try:
        jobs = record_all(c, sims, [3, 3, 3])
        pinned, others = jobs[0], jobs[1:]
        r = c.cli("pin", pinned["id"], check=True)
        assert "pinned" in r.stdout
        assert c.job(pinned["id"])["pinned"] is True
        wait_for(lambda: metric(c, "chronicle_seed_torrents") == 3, 30, what="all three seeded")
        for job in others:
            gone = wait_for(lambda: (lambda j: j if j["recording_deleted_at"] else None)(c.job(job["id"])), 60,
                            what="retention to delete an unpinned recording")
            assert gone["status"] == "completed", "the job stays"
            assert gone["recording"] is None and gone["torrent"] is None and gone["thumbnail"] is None
            assert "deleted by retention" in gone["warnings"][-1] and "CHRONICLE_RETENTION_DAYS" in gone["warnings"][-1]
            for key in (job["recording"]["key"], job["torrent"]["key"], job["thumbnail"]["key"]):
                assert not os.path.exists(os.path.join(c.data, "recordings", key)), key
            status, _, _ = c.request("GET", f"/api/v1/jobs/{job['id']}/recording")
            assert status == 404
        wait_for(lambda: metric(c, "chronicle_seed_torrents") == 1, 20, what="their torrents to stop seeding")
        kept = c.job(pinned["id"])
        assert kept["recording"] and os.path.exists(os.path.join(c.data, "recordings", kept["recording"]["key"]))
        assert kept["torrent"]["seeding"]["state"] == "seeding"
        _, info = c.api("GET", "/api/v1/info")
        assert info["storage"]["recordings"] == 1 and info["storage"]["pinned_bytes"] == kept["recording"]["size"]
        assert info["storage"]["retention_days"] == 0.0002
        # Unpinned, it is past the age too: the next pass deletes it.
        assert c.api("PATCH", f"/api/v1/jobs/{pinned['id']}", {"pinned": False})[0] == 200
        wait_for(lambda: c.job(pinned["id"])["recording_deleted_at"], 30, what="the unpinned one deleted")
        wait_for(lambda: metric(c, "chronicle_seed_torrents") == 0, 20, what="no torrent seeded")
    finally:
        c.close()


def test_retention_by_budget_deletes_the_oldest_unpinned_first(sims):
    c = Chronicle()
    try:
        oldest, middle, newest = record_all(c, sims, [2, 4, 7])
        assert oldest["finished_at"] < middle["finished_at"] < newest["finished_at"]
        assert c.api("PATCH", f"/api/v1/jobs/{oldest['id']}", {"pinned": True})[0] == 200
        # Bad patches say what is wrong and change nothing.
        for body, says in [({"pinned": "yes"}, "true or false"), ({"name": "x"}, "cannot change"), ([], "JSON object")]:
            status, answer = c.api("PATCH", f"/api/v1/jobs/{middle['id']}", body)
            assert status == 400 and says in answer["error"]["message"], answer
        # The budget holds the pinned and the newest recording, not the middle one as well.
        budget = oldest["recording"]["size"] + newest["recording"]["size"] + 1000
        c.stop_server()
        c.env.update({"CHRONICLE_STORAGE_BUDGET": str(budget), "CHRONICLE_RETENTION_INTERVAL": "1"})
        c.start()
        # By default nothing younger than a day goes: the server says the budget is not met instead.
        info = wait_for(lambda: (lambda i: i if i["storage"].get("warning") else None)(c.api("GET", "/api/v1/info")[1]),
                        30, what="the budget's warning")
        assert "CHRONICLE_RETENTION_MIN_AGE" in info["storage"]["warning"], info["storage"]
        assert c.job(middle["id"])["recording"], "a recording younger than a day stays"
        status, _, body = c.request("GET", "/healthz")
        assert status == 200 and any("over the" in w for w in json.loads(body)["warnings"]), body
        c.stop_server()
        c.env["CHRONICLE_RETENTION_MIN_AGE"] = "0"
        c.start()
        gone = wait_for(lambda: (lambda j: j if j["recording_deleted_at"] else None)(c.job(middle["id"])), 30,
                        what="the budget to delete the oldest unpinned recording")
        assert "CHRONICLE_STORAGE_BUDGET" in gone["warnings"][-1]
        assert c.job(oldest["id"])["recording"] and c.job(newest["id"])["recording"], "pinned and newest stay"
        assert not os.path.exists(os.path.join(c.data, "recordings", middle["recording"]["key"]))
        wait_for(lambda: metric(c, "chronicle_seed_torrents") == 2, 30, what="two torrents seeded")
        _, info = c.api("GET", "/api/v1/info")
        assert info["storage"]["recordings_bytes"] == budget - 1000 and info["storage"]["budget"] == budget
    finally:
        c.close()


def test_the_next_retention_pass_is_shown_before_it_deletes(sims):
    # 0.02 days is 29 min: a recording that just ended is younger, and older by the pass after next
    # (an hour away), so it is listed without being deleted.
    c = Chronicle(env={"CHRONICLE_RETENTION_DAYS": "0.02", "CHRONICLE_RETENTION_INTERVAL": "3600",
                       "CHRONICLE_RETENTION_MIN_AGE": "0"})
    try:
        (job,) = record_all(c, sims, [2])
        status, plan = c.api("GET", "/api/v1/retention")
        assert status == 200 and plan["active"] and plan["interval_s"] == 3600, plan
        assert [(d["id"], d["name"], d["bytes"]) for d in plan["deletions"]] == [
            (job["id"], job["name"], job["recording"]["size"])], plan
        assert "CHRONICLE_RETENTION_DAYS" in plan["deletions"][0]["reason"]
        assert c.job(job["id"])["recording"], "listed, not deleted"
        # Pinned, it leaves the list.
        assert c.api("PATCH", f"/api/v1/jobs/{job['id']}", {"pinned": True})[0] == 200
        assert c.api("GET", "/api/v1/retention")[1]["deletions"] == []
    finally:
        c.close()
