"""Clips: a part of a recording cut out as a file of its own (a stream copy: it begins on the
keyframe at or before the start asked, and says so), from a stored recording or from one still
recording; bad ranges are refused with the reason; clips go with their recording."""
import json
import os
import subprocess
import urllib.request

from harness import decodes_cleanly, ffprobe_duration, ffprobe_streams, sha256_of, wait_for


def wait_clip(chronicle, job_id, clip_id, timeout=60):
    return wait_for(lambda: (lambda c: c if c["status"] != "cutting" else None)(
        chronicle.api("GET", f"/api/v1/jobs/{job_id}/clips/{clip_id}")[1]), timeout, what=f"clip {clip_id} cut")


def download(chronicle, url, path):
    with urllib.request.urlopen(url if url.startswith("http") else chronicle.base + url, timeout=30) as r:
        path.write_bytes(r.read())
    return path


def test_a_clip_of_a_stored_recording(chronicle, make_stream, tmp_path):
    stream = make_stream(22)
    _, job = chronicle.api("POST", "/api/v1/jobs", {"url": stream.url, "name": "clipped"})
    job_id = job["id"]
    done = chronicle.wait_status(job_id, "completed", 90)
    assert done["clips"] == [] and done["live_url"] == f"/api/v1/jobs/{job_id}/live.m3u8"

    # Bad ranges: 400 and the reason, and nothing is added to the job.
    for body, words in [({"start_s": 10, "end_s": 5}, "must be after start_s"),
                        ({"start_s": -1, "end_s": 5}, "must not be negative"),
                        ({"start_s": 5, "end_s": 500}, "past the end of the recording"),
                        ({"start_s": 400, "end_s": 500}, "past the end of the recording"),
                        ({"start_s": "5", "end_s": 15}, "a number of seconds"),
                        ({"start_s": 5}, "'end_s' is required"),
                        ({"start_s": 5, "end_s": 15, "fps": 3}, "unknown field"),
                        ({"start_s": 5, "end_s": 15, "name": "../x"}, "name")]:
        status, answer = chronicle.api("POST", f"/api/v1/jobs/{job_id}/clips", body)
        assert status == 400 and words in answer["error"]["message"], (body, answer)
    assert chronicle.request("POST", f"/api/v1/jobs/{job_id}/clips", raw=b"{start_s: 1")[0] == 400
    assert chronicle.job(job_id)["clips"] == []

    status, clip = chronicle.api("POST", f"/api/v1/jobs/{job_id}/clips", {"start_s": 5.4, "end_s": 15.4,
                                                                          "name": "the good part"})
    assert status == 202 and clip["status"] == "cutting", clip
    clip = wait_clip(chronicle, job_id, clip["id"])
    assert clip["status"] == "ready", clip
    # A stream copy begins on a keyframe (one a second in this stream): at or before the start asked.
    assert 4.4 - 0.05 <= clip["cut_start_s"] <= 5.4 + 0.001, clip
    assert abs(clip["cut_end_s"] - 15.4) < 1.0, clip
    path = download(chronicle, clip["url"], tmp_path / "clip.mkv")
    assert abs(ffprobe_duration(str(path)) - (15.4 - clip["cut_start_s"])) < 1.0
    assert abs(ffprobe_duration(str(path)) - 10) <= 1.0, "10 s within one keyframe interval"
    assert ffprobe_streams(str(path)) == ["audio", "video"]
    ok, errors = decodes_cleanly(str(path))
    assert ok and not errors.strip(), errors
    assert sha256_of(path) == clip["sha256"] and os.path.getsize(path) == clip["size"]
    print(f"\nclip: asked 5.4..15.4, cut {clip['cut_start_s']:.3f}..{clip['cut_end_s']:.3f}, "
          f"{clip['size']} bytes")

    # The CLI: times as people write them, and the cut said in words.
    r = chronicle.cli("clip", job_id[:8], "--from", "0:02", "--to", "0:08.5", "--name", "cli cut")
    assert r.returncode == 0, r.stderr
    assert "asked:   0:02.0 to 0:08.5" in r.stdout and "cut:     " in r.stdout and "url:" in r.stdout, r.stdout
    assert chronicle.cli("clip", job_id, "--from", "1:75", "--to", "2:00").returncode == 2
    r = chronicle.cli("clip", job_id, "--from", "0:20", "--to", "0:10")
    assert r.returncode == 2 and "must be after start_s" in r.stderr, r.stderr
    listed = chronicle.cli("clip", job_id, "--list", check=True).stdout
    assert clip["id"] in listed and "cli cut" in listed, listed

    status, clips = chronicle.api("GET", f"/api/v1/jobs/{job_id}/clips")
    assert status == 200 and len(clips["clips"]) == 2
    assert [c["id"] for c in chronicle.job(job_id)["clips"]] == [c["id"] for c in clips["clips"]]

    # Deleted: the file goes, the job no longer lists it.
    key_path = os.path.join(chronicle.data, "recordings", clip["key"])
    assert os.path.exists(key_path)
    status, _ = chronicle.api("DELETE", f"/api/v1/jobs/{job_id}/clips/{clip['id']}")
    assert status == 200 and not os.path.exists(key_path)
    assert chronicle.api("GET", f"/api/v1/jobs/{job_id}/clips/{clip['id']}")[0] == 404
    assert chronicle.api("GET", f"/api/v1/jobs/{job_id}/clips/{clip['id']}/file")[0] == 404

    # Deleting the recording deletes its clips.
    other = chronicle.job(job_id)["clips"][0]
    other_path = os.path.join(chronicle.data, "recordings", other["key"])
    assert os.path.exists(other_path)
    assert chronicle.api("DELETE", f"/api/v1/jobs/{job_id}")[0] == 200
    assert not os.path.exists(other_path)


def test_a_clip_while_it_records(chronicle, make_stream, tmp_path):
    stream = make_stream(30)
    _, job = chronicle.api("POST", "/api/v1/jobs", {"url": stream.url})
    job_id = job["id"]
    wait_for(lambda: chronicle.job(job_id)["duration_s"] >= 12, 60, what="12 s recorded")
    status, answer = chronicle.api("POST", f"/api/v1/jobs/{job_id}/clips", {"start_s": 2, "end_s": 200})
    assert status == 400 and "recorded so far" in answer["error"]["message"], answer
    status, clip = chronicle.api("POST", f"/api/v1/jobs/{job_id}/clips", {"start_s": 2, "end_s": 8})
    assert status == 202, clip
    clip = wait_clip(chronicle, job_id, clip["id"])
    assert clip["status"] == "ready", clip
    assert chronicle.job(job_id)["status"] == "recording", "cutting a clip leaves the recording alone"
    path = download(chronicle, clip["url"], tmp_path / "early.mkv")
    print(f"\nclip while recording: asked 2..8, cut {clip['cut_start_s']:.3f}..{clip['cut_end_s']:.3f}")
    assert 2 - 1.05 <= clip["cut_start_s"] <= 2.001 and abs(clip["cut_end_s"] - 8) < 0.5, clip
    assert abs(ffprobe_duration(str(path)) - (clip["cut_end_s"] - clip["cut_start_s"])) < 0.1
    assert ffprobe_streams(str(path)) == ["audio", "video"]
    done = chronicle.wait_status(job_id, "completed", 90)
    # The clip kept what it was cut from: the same pictures as that part of the stored recording.
    assert [c["status"] for c in done["clips"]] == ["ready"]
    whole = download(chronicle, done["recording"]["url"], tmp_path / "whole.mkv")
    def frames(source, start):
        r = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-ss", f"{start:.3f}", "-i", str(source),
                            "-map", "0:v:0", "-frames:v", "5", "-f", "framemd5", "-"],
                           capture_output=True, text=True, timeout=60)
        return [line.split(",")[-1].strip() for line in r.stdout.splitlines() if line and not line.startswith("#")]
    assert frames(path, 0) == frames(whole, clip["cut_start_s"]), "the clip is that part of the recording"


def test_clips_of_what_cannot_be_cut(chronicle):
    _, job = chronicle.api("POST", "/api/v1/jobs", {"url": "http://127.0.0.1:9/nothing/live.m3u8"})
    chronicle.wait_status(job["id"], "failed", 60)
    status, answer = chronicle.api("POST", f"/api/v1/jobs/{job['id']}/clips", {"start_s": 0, "end_s": 5})
    assert status == 409 and "has no recording to cut" in answer["error"]["message"], answer
    assert chronicle.api("GET", "/api/v1/jobs/01HZZZZZZZZZZZZZZZZZZZZZZZ/clips")[0] == 404
    assert chronicle.api("GET", f"/api/v1/jobs/{job['id']}/clips/nope")[0] == 404
    assert chronicle.api("PUT", f"/api/v1/jobs/{job['id']}/clips", {})[0] == 405


def test_chapters_mark_the_start_each_interruption_and_each_title_change(sims, tmp_path):
    """The stored file carries chapters: where it starts (with the stream's title), where the
    stream went away and for how long, and where the site's title changed (asked for every few
    seconds here, every 5 minutes by default)."""
    title_file = tmp_path / "title"
    title_file.write_text("First title")
    wrapper = tmp_path / "yt-dlp"
    # yt-dlp as it is, with the title the site would give now.
    wrapper.write_text(f"""#!/bin/sh
case " $* " in *" --dump-single-json "*) ;; *) exec yt-dlp "$@" ;; esac
out=$(yt-dlp "$@") || exit $?
printf '%s' "$out" | python3 -c 'import json, sys
info = json.load(sys.stdin)
info["title"] = open("{title_file}").read()
print(json.dumps(info))'
""")
    wrapper.chmod(0o755)
    from harness import Chronicle
    c = Chronicle(env={"CHRONICLE_YTDLP": str(wrapper), "CHRONICLE_TITLE_INTERVAL": "1"})
    try:
        sim = sims([("live", 8), ("gone", 6), ("restart", True), ("live", 10), ("end",)], seconds=20)
        status, job = c.api("POST", "/api/v1/jobs", {"url": sim.url, "name": "chaptered"})
        assert status == 201, job
        job_id = job["id"]
        wait_for(lambda: c.job(job_id)["duration_s"] >= 3, 30, what="3 s recorded")
        title_file.write_text("Second title")
        done = c.wait_status(job_id, ("completed", "failed"), 120)
        assert done["status"] == "completed", done
        titles = done["titles"]
        assert [t["title"] for t in titles] == ["First title", "Second title"], titles
        assert titles[0]["at_s"] == 0 and 3 <= titles[1]["at_s"] <= 8, titles
        assert done["title"] == "Second title"
        gap = done["interruptions"][0]
        path = download(c, done["recording"]["url"], tmp_path / "rec.mkv")
        r = subprocess.run(["ffprobe", "-v", "error", "-show_chapters", "-of", "json", str(path)],
                           capture_output=True, text=True, check=True)
        chapters = [(float(ch["start_time"]), ch["tags"]["title"]) for ch in json.loads(r.stdout)["chapters"]]
        print(f"\nchapters: {chapters}")
        assert chapters[0] == (0.0, "Start: First title"), chapters
        by_title = {t: at for at, t in chapters}
        assert abs(by_title["Title: Second title"] - titles[1]["at_s"]) < 0.01, chapters
        gap_chapter = [(at, t) for at, t in chapters if t.startswith("Interruption: no data for")]
        assert len(gap_chapter) == 1 and abs(gap_chapter[0][0] - gap["at_s"]) < 0.01, (chapters, gap)
        assert f"{gap['gap_s']:.1f} s" in gap_chapter[0][1]
        assert [at for at, _ in chapters] == sorted(at for at, _ in chapters)
    finally:
        c.close()
