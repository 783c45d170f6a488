# chronicle's resident extraction worker: yt-dlp used as a library, answering one JSON request per
# line on stdin with one JSON line on stdout. A fresh `yt-dlp -J` process spends about half a
# second of CPU starting Python and importing every extractor, and a new YoutubeDL object another
# 50 ms (mostly loading the CA bundle); here both are paid once, and an extraction costs only its
# own work (about 4 ms for a live playlist). Requests run on threads, since extraction waits on
# the network most of the time.
#
# The worker has a fixed number of slots, each with its own egress proxy (a JSON list of proxy
# URLs in $CHRONICLE_EXTRACTOR_PROXIES: they carry credentials) and its own YoutubeDL objects, which are never shared between threads: chronicle
# gives a slot to one request at a time, so a refusal by a slot's proxy belongs to that request.
#
# argv: the default format selector
# request:  {"id": 7, "slot": 0, "url": "...", "format": "bv*+ba/b"}
# answer:   {"id": 7, "ok": true, "info": {...}}  or  {"id": 7, "ok": false, "error": "HTTP Error 404: ..."}
# Ends when stdin closes (its parent is gone).
import json
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import yt_dlp

# yt-dlp writes nothing to stdout when quiet, but stdout is the answer channel: anything printed
# by a library goes to stderr instead.
_answers = os.fdopen(os.dup(1), "w", buffering=1)
os.dup2(2, 1)
_write_lock = threading.Lock()

# What the recorder needs of the selected format(s) to run ffmpeg itself, and what the job shows.
_FORMAT_KEYS = ("url", "protocol", "ext", "format_id", "http_headers", "manifest_stream_number", "vcodec",
                "acodec", "width", "height", "tbr")
_INFO_KEYS = ("title", "live_status", "is_live", "release_timestamp", "extractor", "webpage_url") + _FORMAT_KEYS


class _Log:
    def __init__(self):
        self.errors = []

    def debug(self, message):
        pass

    def info(self, message):
        pass

    def warning(self, message):
        pass

    def error(self, message):
        self.errors.append(message)


def _trim(entry, keys):
    return {k: entry[k] for k in keys if entry.get(k) is not None}


_PROXIES = json.loads(os.environ.get("CHRONICLE_EXTRACTOR_PROXIES", "[null]"))
_DEFAULT_FORMAT = sys.argv[1] if len(sys.argv) > 1 else "bestvideo*+bestaudio/best"
_instances = {}  # (slot, format) -> YoutubeDL, used by one request at a time


def _instance(slot, fmt):
    key = (slot, fmt)
    if key not in _instances:
        log = _Log()
        options = {
            "quiet": True,
            "no_warnings": True,
            "noplaylist": True,
            "cachedir": False,
            "logger": log,
            "format": fmt,
            "socket_timeout": 20,
        }
        if _PROXIES[slot]:
            options["proxy"] = _PROXIES[slot]
        _instances[key] = (yt_dlp.YoutubeDL(options), log)
    return _instances[key]


def _extract(request):
    slot = int(request.get("slot") or 0)
    ydl, log = _instance(slot, request.get("format") or _DEFAULT_FORMAT)
    log.errors.clear()
    ydl.cookiejar.clear()  # a session one site set is not sent with the next request
    try:
        info = ydl.sanitize_info(ydl.extract_info(request["url"], download=False))
    except Exception as e:  # DownloadError, and anything an extractor raises
        message = log.errors[-1] if log.errors else str(e)
        if message.startswith("ERROR: "):
            message = message[len("ERROR: "):]
        return {"ok": False, "error": message.strip() or type(e).__name__}
    out = _trim(info, _INFO_KEYS)
    out["has_formats"] = bool(info.get("formats") or info.get("url") or info.get("requested_formats"))
    if info.get("requested_formats"):
        out["requested_formats"] = [_trim(f, _FORMAT_KEYS) for f in info["requested_formats"]]
    return {"ok": True, "info": out}


def _serve(request):
    try:
        answer = _extract(request)
    except Exception as e:
        answer = {"ok": False, "error": f"extraction failed: {e}"}
    answer["id"] = request.get("id")
    line = json.dumps(answer, separators=(",", ":"))
    with _write_lock:
        _answers.write(line + "\n")


def main():
    # Made before "ready" so that no request pays for it: a YoutubeDL per slot, and the generic
    # extractor (pages and playlists on sites without an extractor of their own).
    for slot in range(len(_PROXIES)):
        ydl, _ = _instance(slot, _DEFAULT_FORMAT)
    ydl.get_info_extractor("Generic")
    with ThreadPoolExecutor(max_workers=len(_PROXIES)) as pool:
        _answers.write(json.dumps({"ready": True, "version": yt_dlp.version.__version__}) + "\n")
        for line in sys.stdin:
            line = line.strip()
            if not line:
                continue
            try:
                request = json.loads(line)
            except ValueError:
                continue
            pool.submit(_serve, request)
    # The parent closed stdin: it is gone or done with us; extractions still running are not waited for.
    os._exit(0)


main()
