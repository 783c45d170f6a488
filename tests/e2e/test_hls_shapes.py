"""Every HLS shape the big sites serve, recorded exactly once: real ffmpeg encodes served live on
loopback (see hls_shapes.py). Each recording lasts what was published (ads aside) within a
segment, decodes without errors, has its audio, and lists its gaps and ad breaks exactly."""
import os
import shutil
import signal
import time

import pytest

import hls_shapes as shapes
from harness import Chronicle, decodes_cleanly, ffprobe_duration, ffprobe_streams, wait_for

SEGMENT = 1.1  # "within one segment": the segments are 1 s


@pytest.fixture(scope="module")
def chronicle():
    c = Chronicle(env={"CHRONICLE_STALL_TIMEOUT": "4", "CHRONICLE_RECONNECT_WINDOW": "30",
                       "CHRONICLE_PREVIEW_INTERVAL": "0"})
    yield c
    c.close()


@pytest.fixture
def served():
    made = []

    def make(directory, playlists, **kw):
        s = shapes.ShapeServer(directory, playlists, **kw)
        made.append((s, directory))
        return s

    yield make
    for s, directory in made:
        s.close()
        shutil.rmtree(directory, ignore_errors=True)


def record(c, url, timeout=90, **fields):
    status, job = c.api("POST", "/api/v1/jobs", {"url": url, **fields})
    assert status == 201, job
    return c.wait_status(job["id"], ["completed", "failed", "canceled"], timeout)


def stored(c, job):
    return os.path.join(c.data, "recordings", job["recording"]["key"])


def check_exact(c, job, published_s):
    assert job["status"] == "completed", job
    path = stored(c, job)
    duration = ffprobe_duration(path)
    assert abs(duration - published_s) <= SEGMENT, (duration, published_s)
    ok, errors = decodes_cleanly(path)
    assert ok, errors
    assert ffprobe_streams(path) == ["audio", "video"], ffprobe_streams(path)
    return duration


def test_aes128_with_rotating_keys_and_iv_from_the_sequence(chronicle, served):
    d = shapes.workdir()
    blocks = shapes.encrypt_segments(d, shapes.read_blocks(shapes.encode(d, "s", 12)), keys_every=4)
    server = served(d, {"/live.m3u8": shapes.LivePlaylist(blocks)})
    job = record(chronicle, server.url("/live.m3u8"))
    duration = check_exact(chronicle, job, server.published_s())
    assert job["end_reason"] == "stream_ended" and job["interruptions"] == [], job
    keys = sorted(p for p in set(server.requests) if p.startswith("/key"))
    assert keys == ["/key0.bin", "/key1.bin", "/key2.bin"], keys
    assert server.requests.count("/key0.bin") == 1, "a key is fetched once per URI"
    print(f"\naes-128: {duration:.2f} s of {server.published_s():.2f} s, 3 keys")


def test_fmp4_with_a_changed_init_section(chronicle, served):
    d = shapes.workdir()
    first = shapes.read_blocks(shapes.encode(d, "a", 6, fmp4=True))
    second = shapes.read_blocks(shapes.encode(d, "b", 6, fmp4=True))
    second[0]["tags"].insert(0, "#EXT-X-DISCONTINUITY")
    server = served(d, {"/live.m3u8": shapes.LivePlaylist(first + second)})
    job = record(chronicle, server.url("/live.m3u8"))
    check_exact(chronicle, job, server.published_s())
    assert "/a-init.mp4" in server.requests and "/b-init.mp4" in server.requests


def test_byte_ranges_of_one_file(chronicle, served):
    d = shapes.workdir()
    blocks = shapes.read_blocks(shapes.encode(d, "one", 10, single_file=True))
    assert any(t.startswith("#EXT-X-BYTERANGE") for b in blocks for t in b["tags"])
    server = served(d, {"/live.m3u8": shapes.LivePlaylist(blocks)})
    job = record(chronicle, server.url("/live.m3u8"))
    check_exact(chronicle, job, server.published_s())


def test_separate_audio_rendition_is_followed_and_joined(chronicle, served):
    d = shapes.workdir()
    master, video, audio = shapes.encode_renditions(d, 12)
    with open(master) as f:
        master_text = f.read()
    server = served(d, {"/r0.m3u8": shapes.LivePlaylist(shapes.read_blocks(video)),
                        "/r1.m3u8": shapes.LivePlaylist(shapes.read_blocks(audio))},
                    static={"/master.m3u8": master_text})
    job = record(chronicle, server.url("/master.m3u8"))
    check_exact(chronicle, job, server.published_s("/r0.m3u8"))
    assert "/r1.m3u8" in server.requests


def test_discontinuity_with_a_resolution_change(chronicle, served):
    d = shapes.workdir()
    first = shapes.read_blocks(shapes.encode(d, "hi", 6, size="640x360"))
    second = shapes.read_blocks(shapes.encode(d, "lo", 6, size="320x180"))
    second[0]["tags"].insert(0, "#EXT-X-DISCONTINUITY")
    server = served(d, {"/live.m3u8": shapes.LivePlaylist(first + second)})
    job = record(chronicle, server.url("/live.m3u8"))
    duration = check_exact(chronicle, job, server.published_s())
    assert job["interruptions"] == [] and job["ad_breaks"] == []
    print(f"\nresolution change: {duration:.2f} s of {server.published_s():.2f} s")


def ad_break_stream(d, style):
    show = shapes.read_blocks(shapes.encode(d, "show", 12))
    ad = shapes.read_blocks(shapes.encode(d, "ad", 4, look="ad", tone=1000))
    before, after = show[:6], show[6:]
    ad[0]["tags"].insert(0, "#EXT-X-DISCONTINUITY")
    after[0]["tags"].insert(0, "#EXT-X-DISCONTINUITY")
    blocks = before + ad + after
    shapes.stamp_dates(blocks)
    if style == "twitch":
        ad_start = 1_700_000_000_000 + int(sum(b["duration"] for b in before) * 1000)
        shapes.mark_break(ad, "twitch", start_ms=ad_start)
    else:
        shapes.mark_break(ad, "scte35")
        after[0]["tags"].insert(0, "#EXT-X-CUE-IN")
    return blocks, sum(b["duration"] for b in before), sum(b["duration"] for b in ad)


@pytest.mark.parametrize("style", ["twitch", "scte35"])
def test_ad_breaks_are_left_out_and_listed(chronicle, served, style):
    d = shapes.workdir()
    blocks, at, ad_s = ad_break_stream(d, style)
    server = served(d, {"/live.m3u8": shapes.LivePlaylist(blocks)})
    job = record(chronicle, server.url("/live.m3u8"))
    show_s = server.published_s() - ad_s
    duration = check_exact(chronicle, job, show_s)
    assert len(job["ad_breaks"]) == 1, job["ad_breaks"]
    b = job["ad_breaks"][0]
    assert abs(b["at_s"] - at) < 0.05 and abs(b["duration_s"] - ad_s) < 0.05, (b, at, ad_s)
    assert job["interruptions"] == []
    r = chronicle.cli("show", job["id"])
    assert "ad break" in r.stdout, r.stdout
    print(f"\n{style} ads: {duration:.2f} s recorded of {show_s:.2f} s of show; break {b}")


def test_keep_ads_records_them(chronicle, served):
    d = shapes.workdir()
    blocks, _, _ = ad_break_stream(d, "scte35")
    server = served(d, {"/live.m3u8": shapes.LivePlaylist(blocks)})
    job = record(chronicle, server.url("/live.m3u8"), keep_ads=True)
    assert job["keep_ads"] is True and job["ad_breaks"] == []
    check_exact(chronicle, job, server.published_s())


def test_expiring_playlist_urls_are_refreshed_without_repeating(chronicle, served):
    d = shapes.workdir()
    server = served(d, {"/live.m3u8": shapes.LivePlaylist(shapes.read_blocks(shapes.encode(d, "s", 20)))},
                    expire_every=6)
    job = record(chronicle, server.url("/page"))
    duration = check_exact(chronicle, job, server.published_s())
    assert server.refused >= 2, "the URL expired during the recording"
    assert job["interruptions"] == [], job["interruptions"]
    print(f"\nexpiring URLs: {duration:.2f} s of {server.published_s():.2f} s, {server.refused} refusals")


class RepeatingPlaylist(shapes.LivePlaylist):
    """A broken origin that restarts its numbering on every reload: the same window again and again."""

    def render(self, uri_suffix=""):
        return super().render(uri_suffix).replace(f"#EXT-X-MEDIA-SEQUENCE:{max(0, self.published() - self.window)}",
                                                  "#EXT-X-MEDIA-SEQUENCE:0")


def test_a_playlist_that_repeats_itself_stops_with_an_error(chronicle, served):
    d = shapes.workdir()
    playlist = RepeatingPlaylist(shapes.read_blocks(shapes.encode(d, "s", 60)), window=4, first=12)
    server = served(d, {"/live.m3u8": playlist})
    started = time.monotonic()
    job = record(chronicle, server.url("/live.m3u8"), timeout=60)
    took = time.monotonic() - started
    assert job["status"] == "failed", job
    assert job["error"]["code"] == "recording_overrun", job["error"]
    assert job["recording"] is not None, "what was recorded is kept"
    # Never more than the wall time plus the window it offered (4 s), give or take a segment.
    assert job["duration_s"] <= took + 4 + 2 + SEGMENT, (job["duration_s"], took)
    print(f"\nrepeating playlist: stopped after {took:.1f} s with {job['duration_s']:.1f} s kept")


def test_drm_is_refused_at_the_probe(chronicle, served):
    d = shapes.workdir()
    blocks = shapes.read_blocks(shapes.encode(d, "s", 4))
    blocks[0]["tags"].insert(0, '#EXT-X-KEY:METHOD=SAMPLE-AES,URI="data:text/plain;base64,AAAA",'
                                'KEYFORMAT="urn:uuid:edef8ba9-79d6-4ace-a3c8-27dcd51d21ed"')
    server = served(d, {"/live.m3u8": shapes.LivePlaylist(blocks, first=4)})
    job = record(chronicle, server.url("/live.m3u8"), timeout=40)
    assert job["status"] == "failed" and job["error"]["code"] == "drm_protected", job
    assert "DRM" in job["error"]["message"]


def test_recorder_crash_mid_journal_keeps_the_segments(served):
    c = Chronicle(env={"CHRONICLE_PREVIEW_INTERVAL": "0", "CHRONICLE_HEARTBEAT_STALE": "4"})
    try:
        d = shapes.workdir()
        server = served(d, {"/live.m3u8": shapes.LivePlaylist(shapes.read_blocks(shapes.encode(d, "s", 40)))})
        status, job = c.api("POST", "/api/v1/jobs", {"url": server.url("/live.m3u8")})
        wait_for(lambda: c.job(job["id"])["duration_s"] >= 5, 40, what="5 s recorded")
        for pid in c.recorder_pids(job["id"]):
            os.kill(pid, signal.SIGKILL)
        job = c.wait_status(job["id"], ["completed", "failed"], 60)
        assert job["error"]["code"] == "recorder_lost", job
        path = stored(c, job)
        assert ffprobe_duration(path) >= 5
        ok, errors = decodes_cleanly(path)
        assert ok, errors
    finally:
        c.close()
