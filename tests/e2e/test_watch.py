"""Watching a recording while it records: /api/v1/jobs/{id}/live.m3u8 plays everything recorded so
far from its first second (HLS over the recorder's journal, no second copy), grows, and once the job
is stored leads to the recording."""
import http.client
import subprocess
import time

from harness import ffprobe_duration, wait_for


def first_frames(source, frames=25, extra=()):
    """The decoded first frames' checksums: the same pictures whatever the container."""
    r = subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", *extra, "-i", source, "-map", "0:v:0",
                        "-frames:v", str(frames), "-f", "framemd5", "-"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return [line.split(",")[-1].strip() for line in r.stdout.splitlines() if line and not line.startswith("#")]


def test_a_recording_plays_from_its_start_while_it_records(chronicle, make_stream, tmp_path):
    stream = make_stream(40)
    _, job = chronicle.api("POST", "/api/v1/jobs", {"url": stream.url, "name": "watched"})
    job_id = job["id"]
    wait_for(lambda: chronicle.job(job_id)["duration_s"] >= 15, 60, what="15 s recorded")
    playlist = f"{chronicle.base}/api/v1/jobs/{job_id}/live.m3u8"

    status, headers, body = chronicle.request("GET", f"/api/v1/jobs/{job_id}/live.m3u8")
    text = body.decode()
    assert status == 200 and headers["Content-Type"] == "application/vnd.apple.mpegurl", text
    assert "#EXT-X-PLAYLIST-TYPE:EVENT" in text and "#EXT-X-ENDLIST" not in text
    assert "#EXT-X-BYTERANGE:" in text, "segments are ranges of the journal's files, not copies"
    listed = text.count("#EXTINF:")
    assert listed >= 12, text

    # A player from the first segment: 10 s of it, read far faster than real time (the archive,
    # not the live edge).
    clip = tmp_path / "from-start.mkv"
    t0 = time.monotonic()
    r = subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-live_start_index", "0", "-i", playlist,
                        "-t", "10", "-c", "copy", str(clip)], capture_output=True, text=True, timeout=60)
    read_s = time.monotonic() - t0
    assert r.returncode == 0, r.stderr
    assert ffprobe_duration(str(clip)) >= 9.5
    assert read_s < 8, f"10 s took {read_s:.1f} s to read: that is the live edge, not the archive"
    print(f"\nwatch: 10 s from the start read in {read_s:.2f} s, {listed} segments listed at 15 s")

    # It grows as the recording goes on.
    wait_for(lambda: chronicle.request("GET", f"/api/v1/jobs/{job_id}/live.m3u8")[2].decode().count("#EXTINF:")
             >= listed + 3, 30, what="the playlist to grow")

    # Only the journal's own files are served, never another path.
    for bad in ("live/..%2F..%2Fchronicle.db", "live/index.jsonl", "live/nothing-00001.ts"):
        assert chronicle.request("GET", f"/api/v1/jobs/{job_id}/{bad}")[0] == 404, bad

    done = chronicle.wait_status(job_id, "completed", 90)
    # Stored: the same URL leads to the recording, which starts with the same pictures.
    c = http.client.HTTPConnection("127.0.0.1", chronicle.port, timeout=10)
    c.request("GET", f"/api/v1/jobs/{job_id}/live.m3u8")
    answer = c.getresponse()
    assert answer.status == 302 and answer.getheader("Location") == f"/api/v1/jobs/{job_id}/recording"
    c.close()
    whole = tmp_path / "whole.mkv"
    r = subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-i", playlist, "-c", "copy", str(whole)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert abs(ffprobe_duration(str(whole)) - done["duration_s"]) < 1.5
    assert first_frames(str(clip)) == first_frames(str(whole)), "the live playlist began at the first second"


def test_nothing_to_play_says_why(chronicle):
    _, job = chronicle.api("POST", "/api/v1/jobs", {"url": "http://127.0.0.1:9/nothing/live.m3u8"})
    chronicle.wait_status(job["id"], "failed", 60)
    status, answer = chronicle.api("GET", f"/api/v1/jobs/{job['id']}/live.m3u8")
    assert status == 404 and "has nothing to play" in answer["error"]["message"], answer
