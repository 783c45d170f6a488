"""The OpenAPI 3.1 description at /api/v1/openapi.json against reality: every route is called on a
real serve (successes and the errors a client meets), and every JSON answer must validate against
the schema the document gives for that path, method and status; every documented operation must
have been called, and every status seen must be documented."""
import json
import re
import socket
import subprocess
import urllib.parse

import pytest

from harness import Chronicle, wait_for

jsonschema = pytest.importorskip("jsonschema")


class Recorder:
    """Calls the API and keeps (method, path, status, content type, body) of every answer."""

    def __init__(self, chronicle, headers=None):
        self.c = chronicle
        self.headers = headers or {}
        self.seen = []

    def call(self, method, path, body=None, raw=None, headers=None, expect=None):
        all_headers = dict(self.headers, **(headers or {}))
        status, h, payload = self.c.request(method, path, body=body, raw=raw, headers=all_headers)
        self.seen.append((method, path, status, h.get("Content-Type", ""), payload))
        if expect is not None:
            assert status == expect, (method, path, status, payload[:300])
        return status, (json.loads(payload) if h.get("Content-Type", "").startswith("application/json") else payload)


def template_of(doc, path):
    """The documented path template a concrete path matches, or None."""
    path = urllib.parse.urlsplit(path).path
    if path in doc["paths"]:
        return path  # a fixed path before a template it also matches (channels/name_preview)
    for template in doc["paths"]:
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if re.match(pattern, path):
            return template
    return None


def validator_for(doc, schema):
    resolver = jsonschema.RefResolver.from_schema(doc)
    return jsonschema.Draft202012Validator(schema, resolver=resolver)


def check_against(doc, seen):
    """Validates every answer; returns the (template, method) pairs that were called."""
    called = set()
    for method, path, status, ctype, payload in seen:
        template = template_of(doc, path)
        assert template, f"{method} {path} is not documented"
        if status == 405:
            # Any path answers a method it does not take with 405 and the error JSON.
            validator_for(doc, {"$ref": "#/components/schemas/Error"}).validate(json.loads(payload))
            continue
        operation = doc["paths"][template].get(method.lower())
        assert operation, f"{method} {template} is not documented"
        called.add((template, method.lower()))
        response = operation["responses"].get(str(status))
        assert response, f"{method} {path} answered {status}, which the document does not list"
        media = response.get("content", {})
        if ctype.startswith("application/json"):
            schema = media.get("application/json", {}).get("schema")
            assert "application/json" in media, f"{method} {path} {status}: JSON is not documented"
            if schema:
                validator_for(doc, schema).validate(json.loads(payload))
        elif media:
            base = ctype.split(";")[0]
            assert base in media, f"{method} {path} {status}: {base} is not documented ({list(media)})"
    return called


def test_every_route_answers_as_the_openapi_document_says(sims):
    c = Chronicle()
    try:
        api = Recorder(c)
        status, doc = api.call("GET", "/api/v1/openapi.json", expect=200)
        assert doc["openapi"] == "3.1.0"
        jsonschema.Draft202012Validator.check_schema(doc["components"]["schemas"]["Job"])

        api.call("GET", "/healthz", expect=200)
        api.call("GET", "/metrics", expect=200)
        api.call("GET", "/api/v1/info", expect=200)
        api.call("GET", "/api/v1/stats", expect=200)
        api.call("GET", "/api/v1/retention", expect=200)
        api.call("GET", "/api/v1/settings", expect=200)
        api.call("POST", "/api/v1/channels/name_preview", {"name_format": "{channel} {title}", "name": "x"}, expect=200)
        api.call("POST", "/api/v1/channels/name_preview", {"name_format": "{nope}"}, expect=400)

        # Jobs: submit, the same URL again, bad input.
        sim = sims([("live", 5), ("end",)])
        _, job = api.call("POST", "/api/v1/jobs", {"url": sim.url, "name": "documented", "format": "best"}, expect=201)
        api.call("POST", "/api/v1/jobs", {"url": sim.url}, expect=200)
        api.call("POST", "/api/v1/jobs", {"url": "-o x"}, expect=400)
        api.call("POST", "/api/v1/jobs", raw=b"url=x", headers={"Content-Type": "text/plain"}, expect=415)
        api.call("POST", "/api/v1/jobs", raw=b"{" + b" " * (80 << 10) + b"}", expect=413)
        api.call("GET", "/api/v1/jobs", expect=200)
        api.call("GET", "/api/v1/jobs?status=recording&limit=5", expect=200)
        api.call("GET", "/api/v1/jobs?status=nope", expect=400)
        _, found = api.call("GET", "/api/v1/jobs?q=DOCUMENTED", expect=200)
        assert [j["id"] for j in found["jobs"]] == [job["id"]], "a search finds the job by its name"
        api.call("GET", f"/api/v1/jobs/{job['id']}", expect=200)
        api.call("GET", "/api/v1/jobs/01ARZ3NDEKTSV4RRFFQ69G5FAV", expect=404)
        api.call("DELETE", f"/api/v1/jobs/{job['id']}", expect=409)
        api.call("PUT", "/api/v1/jobs", {"url": "x"}, expect=405)
        # The event stream of one job: its headers, then hang up.
        with socket.create_connection(("127.0.0.1", c.port), timeout=5) as s:
            s.sendall(f"GET /api/v1/events?job={job['id']} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
            head = s.recv(4096).decode()
        assert head.startswith("HTTP/1.1 200") and "text/event-stream" in head
        api.seen.append(("GET", "/api/v1/events", 200, "text/event-stream", b""))
        c.wait_status(job["id"], "completed", 60)
        api.call("GET", f"/api/v1/jobs/{job['id']}", expect=200)
        api.call("GET", f"/api/v1/jobs/{job['id']}/recording", expect=200)
        api.call("GET", f"/api/v1/jobs/{job['id']}/recording", headers={"Range": "bytes=0-99"}, expect=206)
        api.call("GET", f"/api/v1/jobs/{job['id']}/torrent", expect=200)
        api.call("GET", f"/api/v1/jobs/{job['id']}/thumbnail", expect=200)
        api.call("GET", "/api/v1/jobs/01ARZ3NDEKTSV4RRFFQ69G5FAV/thumbnail", expect=404)
        api.call("PATCH", f"/api/v1/jobs/{job['id']}", {"pinned": True}, expect=200)
        api.call("PATCH", f"/api/v1/jobs/{job['id']}", {"pinned": "yes"}, expect=400)
        api.call("POST", f"/api/v1/jobs/{job['id']}/stop", expect=409)
        # Clips of the stored recording.
        _, clip = api.call("POST", f"/api/v1/jobs/{job['id']}/clips", {"start_s": 1, "end_s": 3, "name": "doc"},
                           expect=202)
        api.call("POST", f"/api/v1/jobs/{job['id']}/clips", {"start_s": 3, "end_s": 1}, expect=400)
        api.call("POST", f"/api/v1/jobs/{job['id']}/clips", raw=b"x", headers={"Content-Type": "text/plain"},
                 expect=415)
        api.call("POST", "/api/v1/jobs/01ARZ3NDEKTSV4RRFFQ69G5FAV/clips", {"start_s": 1, "end_s": 3}, expect=404)
        wait_for(lambda: c.api("GET", f"/api/v1/jobs/{job['id']}/clips/{clip['id']}")[1]["status"] != "cutting", 30,
                 what="the clip to be cut")
        api.call("GET", f"/api/v1/jobs/{job['id']}/clips", expect=200)
        api.call("GET", f"/api/v1/jobs/{job['id']}/clips/{clip['id']}", expect=200)
        api.call("GET", f"/api/v1/jobs/{job['id']}/clips/{clip['id']}/file", expect=200)
        api.call("GET", f"/api/v1/jobs/{job['id']}/clips/{clip['id']}/file", headers={"Range": "bytes=0-99"},
                 expect=206)
        api.call("GET", f"/api/v1/jobs/{job['id']}/clips/{clip['id']}/chat", expect=404)  # no chat recorded
        api.call("DELETE", f"/api/v1/jobs/{job['id']}/clips/{clip['id']}", expect=200)
        api.call("GET", f"/api/v1/jobs/{job['id']}/clips/{clip['id']}", expect=404)
        api.call("DELETE", f"/api/v1/jobs/{job['id']}/clips/{clip['id']}", expect=404)
        api.call("GET", f"/api/v1/jobs/{job['id']}/clips/{clip['id']}/file", expect=404)
        api.call("GET", f"/api/v1/jobs/{job['id']}/chat", expect=404)  # neither Twitch nor YouTube: no chat
        api.call("GET", f"/api/v1/jobs/{job['id']}/chat?from_s=x", expect=400)
        sim2 = sims([("live", 30), ("end",)])
        _, other = api.call("POST", "/api/v1/jobs", {"url": sim2.url}, expect=201)
        # Watched while it records: the playlist, then the first run file it names, by range.
        wait_for(lambda: c.job(other["id"])["duration_s"] >= 2, 30, what="2 s recorded")
        _, playlist = api.call("GET", f"/api/v1/jobs/{other['id']}/live.m3u8", expect=200)
        segment = next(line for line in playlist.decode().splitlines() if line.startswith("/api/"))
        api.call("GET", segment, headers={"Range": "bytes=0-187"}, expect=206)
        api.call("GET", f"/api/v1/jobs/{other['id']}/live/index.jsonl", expect=404)
        api.call("POST", f"/api/v1/jobs/{other['id']}/stop", expect=202)
        c.wait_status(other["id"], ["completed", "canceled"], 60)
        api.call("DELETE", f"/api/v1/jobs/{other['id']}", expect=200)

        # Channels.
        page = sims([("live", 30), ("end",)])
        _, channel = api.call("POST", "/api/v1/channels", {"url": page.url, "enabled": False, "format": "480p"},
                              expect=201)
        api.call("POST", "/api/v1/channels", {"url": page.url}, expect=409)
        api.call("POST", "/api/v1/channels", {"url": page.url + "?x", "poll_interval_s": 1}, expect=400)
        api.call("GET", "/api/v1/channels", expect=200)
        api.call("GET", f"/api/v1/channels/{channel['id']}", expect=200)
        api.call("GET", "/api/v1/channels/01ARZ3NDEKTSV4RRFFQ69G5FAV", expect=404)
        api.call("PATCH", f"/api/v1/channels/{channel['id']}", {"name": "documented channel"}, expect=200)
        _, checked = api.call("POST", f"/api/v1/channels/{channel['id']}/check", expect=200)
        if checked["active_job_id"]:
            api.call("POST", f"/api/v1/jobs/{checked['active_job_id']}/stop", expect=202)
        api.call("DELETE", f"/api/v1/channels/{channel['id']}", expect=200)

        # Webhooks.
        _, hook = api.call("POST", "/api/v1/webhooks", {"url": "http://127.0.0.1:9/hook", "secret": "s"}, expect=201)
        api.call("POST", "/api/v1/webhooks", {"url": "http://169.254.169.254/"}, expect=400)
        api.call("GET", "/api/v1/webhooks", expect=200)
        api.call("POST", f"/api/v1/webhooks/{hook['id']}/test", expect=202)
        # The ping, whatever else a job recording meanwhile queued for the new webhook.
        wait_for(lambda: any(d["event"] == "ping" and d["attempts"] >= 1
                             for d in c.api("GET", f"/api/v1/webhooks/{hook['id']}")[1]["deliveries"]), 10,
                 what="a failed attempt to show")
        api.call("GET", f"/api/v1/webhooks/{hook['id']}", expect=200)
        api.call("GET", "/api/v1/webhooks/01ARZ3NDEKTSV4RRFFQ69G5FAV", expect=404)
        api.call("DELETE", f"/api/v1/webhooks/{hook['id']}", expect=200)

        # Cookies.
        jar = "example.com\tTRUE\t/\tTRUE\t2147483647\tsid\tvalue\n"
        api.call("PUT", "/api/v1/cookies/example.com", {"cookies": jar}, expect=200)
        api.call("PUT", "/api/v1/cookies/example.com", {"cookies": "nothing"}, expect=400)
        api.call("PUT", "/api/v1/cookies/example.net", {"cookies": jar}, expect=200)  # with its warning
        api.call("GET", "/api/v1/cookies", expect=200)
        api.call("GET", "/api/v1/cookies/example.com", expect=200)
        api.call("GET", "/api/v1/cookies/example.org", expect=404)
        api.call("DELETE", "/api/v1/cookies/example.com", expect=200)

        called = check_against(doc, api.seen)
        documented = {(t, m) for t, ops in doc["paths"].items() for m in ops if m != "parameters"}
        assert documented - called == set(), f"documented but never called: {documented - called}"
        print(f"\nopenapi: {len(api.seen)} answers of {len(called)} operations validated")
    finally:
        c.close()


def test_errors_with_a_token_are_documented():
    c = Chronicle(env={"CHRONICLE_TOKEN": "openapi-token"})
    try:
        api = Recorder(c)
        _, doc = api.call("GET", "/api/v1/openapi.json", headers={"Authorization": "Bearer openapi-token"}, expect=200)
        api.call("GET", "/api/v1/jobs", expect=401)
        api.call("GET", "/metrics", expect=401)
        api.call("GET", "/api/v1/jobs/01ARZ3NDEKTSV4RRFFQ69G5FAV/recording?exp=1&sig=00", expect=401)
        check_against(doc, api.seen)
    finally:
        c.close()
