"""Chat beside the video: a Twitch channel's chat is read over IRC-over-WebSocket (a local server
speaking Twitch's dialect: tags, PING, a forced disconnect, CLEARMSG) while the channel's stream
is recorded (a yt-dlp stand-in presents www.twitch.tv/somebody as live with a local HLS stream;
serve resolves www.twitch.tv through an /etc/hosts of its own, in a mount namespace)."""
import datetime
import json
import os
import re
import subprocess

from harness import CHRONICLE, MountedChronicle, wait_for

HERE = os.path.dirname(__file__)


def TwitchChronicle(tmp_path, stream_url, irc_port, env=None):
    """serve with an /etc/hosts of its own that sends www.twitch.tv to 127.0.0.1, a yt-dlp that presents
    www.twitch.tv/somebody as live playing `stream_url` (standin_ytdlp), and its chat at the local
    server on `irc_port` (twitch_irc)."""
    return MountedChronicle({"/etc/hosts": "127.0.0.1 localhost www.twitch.tv twitch.tv\n"},
                            env=dict(env or {}, CHRONICLE_YTDLP=str(standin_ytdlp(tmp_path, stream_url)),
                                     CHRONICLE_TWITCH_IRC_URL=f"ws://127.0.0.1:{irc_port}/"))


def twitch_irc(*args):
    """The local Twitch chat server (twitch_irc.py) for #somebody with `args`: (process, port).
    The caller stops the process."""
    server = subprocess.Popen(["/usr/bin/python3", os.path.join(HERE, "twitch_irc.py"), "--channel", "somebody", *args],
                              stdout=subprocess.PIPE, text=True)
    try:
        return server, int(server.stdout.readline())
    except ValueError:
        server.kill()
        server.wait()
        raise


def write_standin(tmp_path, info_name, info, cases):
    """A yt-dlp wrapper in `tmp_path`: `cases` (sh case branches on the arguments) answer for the site
    it stands in for, with `info` as its extraction in `info_name`; anything else is the real yt-dlp."""
    (tmp_path / info_name).write_text(json.dumps(info))
    wrapper = tmp_path / "yt-dlp"
    wrapper.write_text(f"#!/bin/sh\n{cases}\nexec yt-dlp \"$@\"\n")
    wrapper.chmod(0o755)
    return wrapper


def standin_ytdlp(tmp_path, stream_url):
    """yt-dlp, except that a www.twitch.tv URL is a live Twitch stream playing `stream_url`."""
    info = {"title": "Somebody is live", "extractor": "twitch:stream", "is_live": True, "live_status": "is_live",
            "url": stream_url, "protocol": "m3u8_native", "ext": "mp4", "format_id": "best",
            "webpage_url": "https://www.twitch.tv/somebody"}
    return write_standin(tmp_path, "info.json", info, f"""case " $* " in *twitch.tv*) case " $* " in *" --dump-single-json "*) \
cat "{tmp_path / 'info.json'}"; exit 0;; esac;; esac""")


def test_a_twitch_recording_keeps_its_chat_through_a_disconnect(make_stream, tmp_path):
    stream = make_stream(30)
    sent_log = tmp_path / "sent.jsonl"
    server, port = twitch_irc("--messages", "150", "--interval-ms", "80", "--drop-after", "60", "--replay", "5",
                              "--ping-ms", "2000", "--log", str(sent_log))
    c = None
    try:
        c = TwitchChronicle(tmp_path, stream.url, port)
        status, job = c.api("POST", "/api/v1/jobs", {"url": "https://www.twitch.tv/somebody", "name": "with chat"})
        assert status == 201, job
        job_id = job["id"]
        # While it records: the chat grows on the job and is served as it is written.
        live = wait_for(lambda: (lambda j: j if (j["chat"] or {}).get("messages", 0) >= 5 else None)(c.job(job_id)),
                        40, what="chat messages counted on the job")
        assert live["chat"]["source"] == "twitch" and live["chat"]["state"] == "recording", live["chat"]
        status, _, body = c.request("GET", f"/api/v1/jobs/{job_id}/chat")
        assert status == 200 and body.count(b"\n") >= 5
        # The CLI follows the chat of the recording in progress until it ends.
        env = dict(c.env, CHRONICLE_SERVER=c.base)
        follower = subprocess.Popen([CHRONICLE, "chat", job_id[:10], "--follow"], env=env, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True)
        # A clip of the recording in progress takes its chat from the recorder's file.
        wait_for(lambda: c.job(job_id)["duration_s"] >= 6, 30, what="6 s recorded")
        status, live_clip = c.api("POST", f"/api/v1/jobs/{job_id}/clips", {"start_s": 1, "end_s": 5})
        assert status == 202, live_clip
        live_clip = wait_for(lambda: (lambda k: k if k["status"] != "cutting" else None)(
            c.api("GET", f"/api/v1/jobs/{job_id}/clips/{live_clip['id']}")[1]), 30, what="the clip cut")
        assert live_clip["status"] == "ready" and live_clip["chat"]["messages"] > 0, live_clip
        live_slice = [json.loads(line) for line in
                      c.request("GET", f"/api/v1/jobs/{job_id}/clips/{live_clip['id']}/chat")[2].decode().splitlines()]
        assert all(live_clip["cut_start_s"] <= r["recording_at_s"] < live_clip["cut_end_s"] for r in live_slice)
        done = c.wait_status(job_id, ("completed", "failed"), 120)
        followed, errors = follower.communicate(timeout=30)
        assert follower.returncode == 0, errors
        assert done["status"] == "completed", done
        chat = done["chat"]
        assert chat["state"] == "stored" and chat["url"].endswith(f"/api/v1/jobs/{job_id}/chat"), chat

        status, headers, body = c.request("GET", f"/api/v1/jobs/{job_id}/chat")
        assert status == 200 and headers["Content-Type"].startswith("application/x-ndjson")
        lines = [json.loads(line) for line in body.decode().splitlines()]
        messages = [r for r in lines if r["type"] == "message"]
        assert chat["messages"] == len(messages) and chat["bytes"] == len(body)
        shown = [line for line in followed.splitlines() if re.search(r"\] Viewer\d: (Kappa )?message \d+", line)]
        assert len(shown) == len(messages), "each message printed once while following"
        assert shown[0].startswith("[0:") and "Viewer1: message 1" in shown[0], shown[:3]
        assert "* chat lost" in followed and "* a message of viewer3 was deleted" in followed

        sent = [json.loads(line) for line in sent_log.read_text().splitlines()]
        delivered = {s["id"]: s["at_ms"] for s in sent if s["type"] == "message" and s["delivered"]}
        ids = [m["id"] for m in messages]
        assert len(ids) == len(set(ids)), "every message once (the replay after the reconnect is not kept twice)"
        numbers = [int(i.split("-")[1]) for i in ids]
        assert numbers == sorted(numbers), "in order"
        missing = set(delivered) - set(ids)
        assert not missing, f"delivered but not kept: {sorted(missing)}"
        # Offsets: each message where the recording was when it was sent.
        started = c.job(job_id)["milestones"]["recording"]
        for m in messages:
            if m["id"] in delivered:
                arrived_ms = datetime.datetime.fromisoformat(m["at"]).timestamp() * 1000
                assert abs(arrived_ms - delivered[m["id"]]) < 1000, m
        assert [r["at_s"] for r in lines] == sorted(r["at_s"] for r in lines)
        worst = timeline_offsets_follow_sending([m for m in messages if m["id"] in delivered], delivered)
        # The disconnect is marked, and what the server could not replay is absent (not made up).
        kinds = [r["type"] for r in lines]
        assert "disconnected" in kinds and "connected" in kinds[kinds.index("disconnected"):], kinds
        assert any(r["type"] == "delete" and r["target_id"] == "msg-3" for r in lines)
        lost = [s["id"] for s in sent if s["type"] == "message" and not s["delivered"]]
        print(f"\nchat: {len(messages)} messages kept, {len(lost)} sent while disconnected "
              f"({len(set(lost) & set(ids))} of them replayed), recording started {started}; "
              f"offsets within {worst:.2f} s of sending")

        # A window of the timeline, as a player asks for it.
        status, _, window = c.request("GET", f"/api/v1/jobs/{job_id}/chat?from_s=3&to_s=6")
        inside = [json.loads(line) for line in window.decode().splitlines()]
        assert status == 200 and inside and all(3 <= r["at_s"] < 6 for r in inside)
        assert len(inside) == sum(1 for r in lines if 3 <= r["at_s"] < 6)
        assert c.request("GET", f"/api/v1/jobs/{job_id}/chat?from_s=x")[0] == 400
        # A clip carries its slice of the chat, on the clip's own timeline.
        status, clip = c.api("POST", f"/api/v1/jobs/{job_id}/clips", {"start_s": 4, "end_s": 9, "name": "with chat"})
        assert status == 202, clip
        clip = wait_for(lambda: (lambda k: k if k["status"] != "cutting" else None)(
            c.api("GET", f"/api/v1/jobs/{job_id}/clips/{clip['id']}")[1]), 30, what="the clip cut")
        assert clip["status"] == "ready", clip
        start, end = clip["cut_start_s"], clip["cut_end_s"]
        expected = [r for r in lines if start <= r["at_s"] < end]
        status, headers, clip_body = c.request("GET", f"/api/v1/jobs/{job_id}/clips/{clip['id']}/chat")
        assert status == 200 and headers["Content-Type"].startswith("application/x-ndjson")
        sliced = [json.loads(line) for line in clip_body.decode().splitlines()]
        assert [r.get("id") for r in sliced] == [r.get("id") for r in expected] and sliced
        assert all(abs(r["at_s"] - (r["recording_at_s"] - start)) < 0.002 and r["at_s"] >= 0 for r in sliced)
        assert clip["chat"]["messages"] == sum(1 for r in expected if r["type"] == "message")
        assert clip["chat"]["url"].endswith(f"/clips/{clip['id']}/chat") and clip["chat"]["bytes"] == len(clip_body)
        clip_chat = os.path.join(c.data, "recordings", clip["chat"]["key"])
        assert os.path.exists(clip_chat)
        assert c.api("DELETE", f"/api/v1/jobs/{job_id}/clips/{clip['id']}")[0] == 200
        assert not os.path.exists(clip_chat), "a clip's chat goes with it"

        # Deleting the job deletes its chat.
        stored = os.path.join(c.data, "recordings", chat["key"])
        assert os.path.exists(stored)
        assert c.api("DELETE", f"/api/v1/jobs/{job_id}")[0] == 200
        assert not os.path.exists(stored)
    finally:
        server.terminate()
        server.wait(10)
        if c:
            c.close()


def timeline_offsets_follow_sending(messages, sent_ms):
    """Each message's at_s sits where the recording was when it was sent: measured against the
    first message, within 1 s."""
    # What was sent before the first second was recorded sits at 0: measured from after that.
    messages = [m for m in messages if m["at_s"] >= 1.0]
    first = messages[0]
    errors = sorted(abs((m["at_s"] - first["at_s"]) - (sent_ms[m["id"]] - sent_ms[first["id"]]) / 1000)
                    for m in messages)
    worst = errors[-1]
    print(f"offset error p50 {errors[len(errors) // 2]:.3f} max {worst:.3f} s over {len(errors)} messages")
    assert worst < 1.0, f"an offset is {worst:.2f} s from when its message was sent"
    return worst


def youtube_standin(tmp_path, stream_url, chat_log):
    """yt-dlp, except that a www.youtube.com URL is a live YouTube stream playing `stream_url` whose
    live_chat download is youtube_live_chat.py."""
    info = {"title": "A YouTube stream", "extractor": "youtube", "is_live": True, "live_status": "is_live",
            "url": stream_url, "protocol": "m3u8_native", "ext": "mp4", "format_id": "best",
            "webpage_url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ"}
    return write_standin(tmp_path, "yt-info.json", info, f"""case " $* " in *youtube.com*)
  case " $* " in
    *" --dump-single-json "*) cat "{tmp_path / 'yt-info.json'}"; exit 0;;
    *" --write-subs "*) YT_CHAT_LOG="{chat_log}" exec /usr/bin/python3 "{os.path.join(HERE, 'youtube_live_chat.py')}" "$@";;
  esac;;
esac""")


def test_a_youtube_recording_keeps_its_live_chat_through_yt_dlp_and_a_gap(sims, tmp_path):
    # The stream goes away for 8 s, 5 s in, and comes back: chat said meanwhile is kept and marked.
    stream = sims([("live", 5), ("gone", 8), ("restart",), ("live", 14), ("end",)])
    chat_log = tmp_path / "yt-sent.jsonl"
    c = MountedChronicle({"/etc/hosts": "127.0.0.1 localhost www.youtube.com\n"},
                         env={"CHRONICLE_YTDLP": str(youtube_standin(tmp_path, stream.url, chat_log))})
    try:
        status, job = c.api("POST", "/api/v1/jobs", {"url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ"})
        assert status == 201, job
        done = c.wait_status(job["id"], ("completed", "failed"), 120)
        assert done["status"] == "completed", done
        chat = done["chat"]
        assert chat["source"] == "youtube" and chat["state"] == "stored", chat
        status, _, body = c.request("GET", f"/api/v1/jobs/{job['id']}/chat")
        lines = [json.loads(line) for line in body.decode().splitlines()]
        messages = [r for r in lines if r["type"] == "message"]
        sent = [json.loads(line) for line in chat_log.read_text().splitlines()]
        assert [m["id"] for m in messages] == [s["id"] for s in sent], "every message once, in order"
        assert chat["messages"] == len(messages) == 120
        by_id = {m["id"]: m for m in messages}
        assert by_id["yt-1"]["author"] == "YtViewer1" and by_id["yt-1"]["badges"] == ["Member (2 months)"]
        assert by_id["yt-1"]["login"] == "UCviewer1" and by_id["yt-1"]["text"] == "yt message 1 "
        assert by_id["yt-25"]["paid"] == "$5.00"
        assert by_id["yt-30"]["text"] == "yt message 30 :_wave:\U0001F600", by_id["yt-30"]
        assert by_id["yt-30"]["emotes"] == [{"id": "UCkszU/yt_custom_wave", "start": 14, "end": 20}]
        assert any(r["type"] == "delete" and r["target_id"] == "yt-3" for r in lines)
        # yt-dlp failing mid-stream is marked, and the next one's repeats are not kept twice.
        kinds = [r["type"] for r in lines]
        assert "disconnected" in kinds and "connected" in kinds[kinds.index("disconnected"):], kinds
        assert "503" in next(r for r in lines if r["type"] == "disconnected")["reason"]
        # The gap shifts nothing: what was said before it sits where it was sent; what was said
        # while the stream was away is kept at the gap, marked.
        [gap] = done["interruptions"]
        before = [m for m in messages if m["at_s"] < gap["at_s"]]
        worst = timeline_offsets_follow_sending(before, {s["id"]: s["at_ms"] for s in sent})
        away = [m for m in messages if m.get("in_gap")]
        assert away and all(gap["at_s"] <= m["at_s"] <= gap["at_s"] + 2.5 for m in away), (gap, away[:3])
        assert [r["at_s"] for r in lines] == sorted(r["at_s"] for r in lines)
        print(f"\nyoutube chat: {len(messages)} messages, offsets within {worst:.2f} s of sending before a gap "
              f"at {gap['at_s']:.1f} s; {len(away)} said while the stream was away, kept there")
    finally:
        c.close()


def test_chat_false_records_none_and_a_job_without_chat_says_why(chronicle, make_stream):
    stream = make_stream(6)
    status, job = chronicle.api("POST", "/api/v1/jobs", {"url": stream.url, "chat": False})
    assert status == 201 and job["chat_enabled"] is False and job["chat"] is None
    assert chronicle.api("POST", "/api/v1/jobs", {"url": stream.url + "?x", "chat": "no"})[0] == 400
    chronicle.wait_status(job["id"], "completed", 60)
    status, answer = chronicle.api("GET", f"/api/v1/jobs/{job['id']}/chat")
    assert status == 404 and "chat: false" in answer["error"]["message"], answer

    # A channel with chat: false gives its recordings chat: false; `channel edit --chat` turns it back on.
    live = make_stream(20)
    status, ch = chronicle.api("POST", "/api/v1/channels", {"url": live.url, "enabled": False, "chat": False})
    assert status == 201 and ch["chat"] is False, ch
    status, checked = chronicle.api("POST", f"/api/v1/channels/{ch['id']}/check")
    assert status == 200 and checked["active_job_id"], checked["last_result"]
    assert chronicle.job(checked["active_job_id"])["chat_enabled"] is False
    assert chronicle.api("POST", f"/api/v1/jobs/{checked['active_job_id']}/stop")[0] == 202
    assert chronicle.api("PATCH", f"/api/v1/channels/{ch['id']}", {"chat": "no"})[0] == 400
    r = chronicle.cli("channel", "edit", ch["id"], "--chat", "on")
    assert r.returncode == 0, r.stderr
    assert "chat:      recorded" in r.stdout and chronicle.api("GET", f"/api/v1/channels/{ch['id']}")[1]["chat"] is True
