"""`chronicle lambda` as a Lambda function's bootstrap, driven through a local implementation
of the Lambda Runtime API (next / response / error) against moto_server: API Gateway events go
through the same routes as `serve`, SQS batches dispatch recordings (process launcher here,
ECS on AWS) and report partial batch failures."""
import base64
import http.server
import json
import os
import queue
import subprocess
import threading
import time
import urllib.request
import uuid

import pytest

from harness import SECRET, CHRONICLE, Receiver, aws_cli, ffprobe_duration, provision, sha256_of, verify, wait_for

PREFIX = "/2018-06-01/runtime"


class RuntimeApi:
    """The Lambda service's side of the Runtime API: hands out events on /invocation/next and
    collects what the function posts back."""

    def __init__(self):
        self.events = queue.Queue()
        self.results = {}
        self.init_error = None
        self.cond = threading.Condition()
        api = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                if self.path != PREFIX + "/invocation/next":
                    self.send_error(404)
                    return
                request_id, body = api.events.get()
                self.send_response(200)
                self.send_header("Lambda-Runtime-Aws-Request-Id", request_id)
                self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 900_000))
                self.send_header("Lambda-Runtime-Invoked-Function-Arn",
                                 "arn:aws:lambda:us-east-1:123456789012:function:chronicle-api")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                parts = self.path[len(PREFIX):].strip("/").split("/")
                with api.cond:
                    if parts == ["init", "error"]:
                        api.init_error = json.loads(body)
                    elif len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
                        api.results[parts[1]] = (parts[2], json.loads(body),
                                                 self.headers.get("Lambda-Runtime-Function-Error-Type"))
                    else:
                        self.send_error(404)
                        return
                    api.cond.notify_all()
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def invoke(self, event, timeout=90):
        """Returns (kind, document, error type) once the function answered."""
        request_id = str(uuid.uuid4())
        self.events.put((request_id, event if isinstance(event, bytes) else json.dumps(event).encode()))
        with self.cond:
            assert self.cond.wait_for(lambda: request_id in self.results, timeout), "the function did not answer"
            return self.results.pop(request_id)

    def close(self):
        self.server.shutdown()


def http_event(method, path, body=None, query=None, version=2):
    """An API Gateway proxy event: HTTP API (2.0) or REST API (1.0)."""
    headers = {"content-type": "application/json", "host": "abc123.execute-api.us-east-1.amazonaws.com"}
    raw_body = None if body is None else (body if isinstance(body, str) else json.dumps(body))
    if version == 2:
        return {"version": "2.0", "routeKey": "$default", "rawPath": path,
                "rawQueryString": "&".join(f"{k}={v}" for k, v in (query or {}).items()),
                "headers": headers, "body": raw_body, "isBase64Encoded": False,
                "requestContext": {"http": {"method": method, "path": path}, "stage": "$default"}}
    return {"resource": "/{proxy+}", "path": path, "httpMethod": method, "headers": headers,
            "queryStringParameters": query, "body": raw_body, "isBase64Encoded": False,
            "requestContext": {"stage": "prod", "httpMethod": method}}


def sqs_record(message, receive_count=None):
    attributes = dict(message["Attributes"])
    if receive_count is not None:
        attributes["ApproximateReceiveCount"] = str(receive_count)
    return {"messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"], "body": message["Body"],
            "attributes": attributes, "messageAttributes": {}, "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:lambda-jobs.fifo", "awsRegion": "us-east-1"}


def body_of(response):
    assert response[0] == "response", response
    doc = response[1]
    raw = base64.b64decode(doc["body"]) if doc.get("isBase64Encoded") else doc["body"].encode()
    return doc["statusCode"], doc["headers"], json.loads(raw) if raw and doc["headers"]["content-type"].startswith(
        "application/json") else raw


class Function:
    """`chronicle lambda` running against a RuntimeApi and moto."""

    def __init__(self, moto, tmp_path, **extra_env):
        endpoint, env = moto
        self.endpoint = endpoint
        suffix = uuid.uuid4().hex[:8]
        self.names = {"CHRONICLE_S3_BUCKET": f"lambda-{suffix}", "CHRONICLE_SQS_QUEUE": f"lambda-{suffix}.fifo",
                      "CHRONICLE_SQS_DLQ": f"lambda-{suffix}-dlq.fifo", "CHRONICLE_DYNAMODB_TABLE": f"lambda-{suffix}"}
        self.env = dict(env, **self.names, CHRONICLE_BACKEND="aws", CHRONICLE_LAUNCHER="process",
                        CHRONICLE_ALLOW_PRIVATE_NETWORKS="1", CHRONICLE_HEARTBEAT_INTERVAL="1",
                        CHRONICLE_PROBE_TIMEOUT="20", **extra_env)
        provision(self.env, tmp_path)
        self.runtime = RuntimeApi()
        self.log = open(tmp_path / "lambda.log", "ab")
        self.proc = subprocess.Popen([CHRONICLE, "lambda", "--data", str(tmp_path)],
                                     env=dict(self.env, AWS_LAMBDA_RUNTIME_API=self.runtime.address),
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.queue_url = aws_cli(endpoint, env, "sqs", "get-queue-url", "--queue-name",
                                 self.names["CHRONICLE_SQS_QUEUE"])["QueueUrl"]

    def call(self, method, path, body=None, query=None, version=2):
        return body_of(self.runtime.invoke(http_event(method, path, body, query, version)))

    def job(self, job_id):
        return self.call("GET", f"/api/v1/jobs/{job_id}")[2]

    def wait_status(self, job_id, statuses, timeout):
        wait_for(lambda: self.job(job_id)["status"] in statuses, timeout, interval=0.5,
                 what=f"job {job_id} to reach {statuses}")
        return self.job(job_id)

    def receive(self, count):
        """What the event source mapping would hand the function: up to `count` messages."""
        got = []
        deadline = time.monotonic() + 20
        while len(got) < count and time.monotonic() < deadline:
            r = aws_cli(self.endpoint, self.env, "sqs", "receive-message", "--queue-url", self.queue_url,
                        "--max-number-of-messages", "10", "--attribute-names", "All", "--wait-time-seconds", "1")
            got += r.get("Messages", [])
        assert len(got) == count, got
        return got

    def close(self):
        self.proc.terminate()
        self.proc.wait(10)
        self.runtime.close()
        self.log.close()


@pytest.fixture
def function(moto, tmp_path):
    made = []

    def make(**extra_env):
        f = Function(moto, tmp_path, **extra_env)
        made.append(f)
        return f

    yield make
    for f in made:
        f.close()


def test_api_gateway_and_sqs_events_record_a_stream_end_to_end(function, make_stream, tmp_path):
    f = function()
    stream = make_stream(8)
    t0 = time.monotonic()
    status, _, job = f.call("POST", "/api/v1/jobs", {"url": stream.url, "name": "lambda run"})
    assert status == 201 and job["status"] == "pending", job
    # The same job seen through a REST API (payload 1.0) event with query parameters.
    status, _, page = f.call("GET", "/api/v1/jobs", query={"limit": "5"}, version=1)
    assert status == 200 and [j["id"] for j in page["jobs"]] == [job["id"]]

    [message] = f.receive(1)
    assert json.loads(message["Body"])["job_id"] == job["id"]
    kind, answer, _ = f.runtime.invoke({"Records": [sqs_record(message)]})
    assert kind == "response" and answer == {"batchItemFailures": []}

    done = f.wait_status(job["id"], {"completed", "failed"}, 90)
    print(f"\nlambda: submit->completed {time.monotonic() - t0:.1f}s for an 8 s stream")
    assert done["status"] == "completed", done
    status, headers, _ = f.call("GET", f"/api/v1/jobs/{job['id']}/recording")
    assert status == 302 and "X-Amz-Signature=" in headers["location"]
    out = tmp_path / "from-lambda.mkv"
    urllib.request.urlretrieve(headers["location"], out)
    assert sha256_of(out) == done["recording"]["sha256"]
    assert abs(ffprobe_duration(str(out)) - 8) <= 1.2
    # A scheduled event runs the reaper's sweep and the watcher (nothing to watch here).
    assert f.runtime.invoke({"source": "aws.events", "detail-type": "Scheduled Event"})[:2] == (
        "response", {"swept": True, "checks_sent": 0, "channels_checked": 0, "recordings_deleted": 0,
                     "webhooks_queued": 0, "webhooks_delivered": 0})


def test_the_scheduled_event_checks_channels_and_makes_one_job_per_session(function, make_stream):
    f = function()
    stream = make_stream(10)
    status, _, ch = f.call("POST", "/api/v1/channels", {"url": stream.url, "name": "on aws", "poll_interval_s": 60})
    assert status == 201, ch
    status, _, listed = f.call("GET", "/api/v1/channels")
    assert [c["id"] for c in listed["channels"]] == [ch["id"]]
    scheduled = {"source": "aws.events", "detail-type": "Scheduled Event"}
    kind, answer, _ = f.runtime.invoke(scheduled)
    assert kind == "response" and answer["channels_checked"] == 1, answer
    status, _, checked = f.call("GET", f"/api/v1/channels/{ch['id']}")
    assert checked["state"] == "recording" and checked["active_job_id"], checked
    # The next minute's event finds the channel not due yet; a check asked for by hand finds the
    # session's job active: still one job.
    assert f.runtime.invoke(scheduled)[1]["channels_checked"] == 0
    status, _, again = f.call("POST", f"/api/v1/channels/{ch['id']}/check")
    assert status == 200 and again["active_job_id"] == checked["active_job_id"], again
    status, _, page = f.call("GET", "/api/v1/jobs")
    jobs = [j for j in page["jobs"] if j["channel_id"] == ch["id"]]
    assert [j["id"] for j in jobs] == [checked["active_job_id"]]
    assert jobs[0]["name"].startswith("on aws 20")
    [message] = f.receive(1)
    assert json.loads(message["Body"])["job_id"] == jobs[0]["id"], "the job went through the queue"
    status, _, gone = f.call("DELETE", f"/api/v1/channels/{ch['id']}")
    assert status == 200 and f.call("GET", f"/api/v1/channels/{ch['id']}")[0] == 404


def test_webhooks_on_aws_are_sent_by_the_scheduled_pass_and_wait_out_a_receiver_outage(function, make_stream):
    f = function()
    receiver = Receiver()
    scheduled = {"source": "aws.events", "detail-type": "Scheduled Event"}
    try:
        status, _, hook = f.call("POST", "/api/v1/webhooks", {"url": receiver.url, "secret": SECRET})
        assert status == 201 and hook["signed"] is True and "secret" not in hook, hook
        status, answer = f.call("POST", "/api/v1/webhooks", {"url": "http://169.254.169.254/latest"})[::2]
        assert status == 400 and answer["error"]["code"] == "forbidden_address", answer
        # The first pass starts following the job feed from where it is now.
        assert f.runtime.invoke(scheduled)[1]["webhooks_queued"] == 0

        receiver.down = True
        status, _, job = f.call("POST", "/api/v1/jobs", {"url": make_stream(5).url, "name": "hooked on aws"})
        [message] = f.receive(1)
        f.runtime.invoke({"Records": [sqs_record(message)]})
        assert f.wait_status(job["id"], {"completed", "failed"}, 90)["status"] == "completed"
        answer = f.runtime.invoke(scheduled)[1]
        assert answer["webhooks_queued"] == 2 and answer["webhooks_delivered"] == 0, answer
        shown = f.call("GET", f"/api/v1/webhooks/{hook['id']}")[2]["deliveries"]
        assert sorted(d["event"] for d in shown) == ["job.completed", "job.recording"], shown
        # The first failed (503) and its webhook rests until that delivery's next try: the second
        # waits behind it instead of paying the receiver's failure again.
        by_event = {d["event"]: d for d in shown}
        assert by_event["job.recording"]["attempts"] == 1 and by_event["job.recording"]["last_status"] == 503, shown
        assert by_event["job.completed"]["attempts"] == 0 and all(d["state"] == "pending" for d in shown), shown

        # The receiver is back; the next pass after the backoff (5 s) delivers both, once.
        receiver.down = False
        time.sleep(5.5)
        answer = f.runtime.invoke(scheduled)[1]
        assert answer["webhooks_delivered"] == 2, answer
        assert [e for e, _ in receiver.events()] == ["job.recording", "job.completed"]
        for headers, body in receiver.got:
            verify(headers, body)
        assert all(p["job"]["id"] == job["id"] for _, p in receiver.events())
        assert f.runtime.invoke(scheduled)[1]["webhooks_delivered"] == 0, "each event once"

        # A channel found live by the pass is announced in the same pass; a test delivery waits for
        # the next one.
        status, _, ch = f.call("POST", "/api/v1/channels", {"url": make_stream(10).url, "name": "announced"})
        assert status == 201, ch
        assert f.call("POST", f"/api/v1/webhooks/{hook['id']}/test")[0] == 202
        answer = f.runtime.invoke(scheduled)[1]
        assert answer["channels_checked"] == 1 and answer["webhooks_delivered"] == 2, answer
        events = dict(receiver.events())
        assert events["channel.live"]["channel"]["id"] == ch["id"] and events["channel.live"]["channel"]["job_id"]
        assert "ping" in events
        shown = f.call("GET", f"/api/v1/webhooks/{hook['id']}")[2]["deliveries"]
        assert len(shown) == 4 and all(d["state"] == "delivered" for d in shown), shown

        assert f.call("DELETE", f"/api/v1/webhooks/{hook['id']}")[0] == 200
        assert f.call("GET", f"/api/v1/webhooks/{hook['id']}")[0] == 404
        assert f.call("GET", "/api/v1/webhooks")[2] == {"webhooks": []}
    finally:
        receiver.close()


def test_bad_requests_and_unknown_events_get_clear_errors(function):
    f = function()
    status, _, err = f.call("POST", "/api/v1/jobs", "{not json")
    assert status == 400 and "JSON" in err["error"]["message"], err
    status, _, err = f.call("POST", "/api/v1/jobs", {"url": "-o/etc/passwd"})
    assert status == 400, err
    status, _, err = f.call("POST", "/api/v1/jobs", {"url": "http://169.254.169.254/latest/meta-data/"})
    assert status == 400, err
    status, _, err = f.call("GET", "/api/v1/jobs/01J0000000000000000000NOPE")
    assert status == 404, err
    status, _, err = f.call("POST", "/api/v1/jobs", {"url": "http://example.com/" + "a" * 70000})
    assert status == 413, err
    status, _, err = f.call("GET", "/api/v1/events")
    assert status == 501 and "poll" in err["error"]["message"]
    kind, doc, error_type = f.runtime.invoke({"hello": "world"})
    assert kind == "error" and error_type == "UnsupportedEvent" and "API Gateway" in doc["errorMessage"]
    kind, doc, error_type = f.runtime.invoke(b"this is not json")
    assert kind == "error" and error_type == "InvalidEvent"
    # After errors the function still serves.
    assert f.call("GET", "/healthz")[0] == 200


def test_sqs_batch_reports_partial_failures(function, make_stream):
    f = function(CHRONICLE_MAX_RECORDINGS="1", CHRONICLE_MAX_RECEIVES="3")
    first_stream, second_stream, third_stream = make_stream(60), make_stream(60), make_stream(60)
    ids = []
    for s in (first_stream, second_stream, third_stream):
        status, _, job = f.call("POST", "/api/v1/jobs", {"url": s.url})
        assert status == 201
        ids.append(job["id"])
    messages = {json.loads(m["Body"])["job_id"]: m for m in f.receive(3)}
    first, second, dead = (messages[i] for i in ids)
    poison = {"messageId": "poison-1", "receiptHandle": "x", "body": "not a chronicle message",
              "attributes": {"ApproximateReceiveCount": "1", "MessageGroupId": "other"}, "eventSource": "aws:sqs"}
    batch = {"Records": [sqs_record(first), sqs_record(second), poison, sqs_record(dead, receive_count=4)]}
    kind, answer, _ = f.runtime.invoke(batch)
    assert kind == "response"
    # One recording slot: the first job takes it, the second waits on the queue, the poison
    # message stays for the dead-letter queue, and the job past its receive limit fails.
    assert {x["itemIdentifier"] for x in answer["batchItemFailures"]} == {second["MessageId"], "poison-1"}
    f.wait_status(ids[0], {"recording"}, 30)
    assert f.job(ids[1])["status"] == "pending"
    failed = f.job(ids[2])
    assert failed["status"] == "failed" and failed["error"]["code"] == "dispatch_failed"
    assert "after 3 attempts" in failed["error"]["message"]

    # Once the slot is free, the redelivered message starts the second job.
    assert f.call("POST", f"/api/v1/jobs/{ids[0]}/stop")[0] == 202
    assert f.wait_status(ids[0], {"completed", "failed"}, 60)["status"] == "completed"
    kind, answer, _ = f.runtime.invoke({"Records": [sqs_record(second, receive_count=2)]})
    assert answer == {"batchItemFailures": []}
    f.wait_status(ids[1], {"recording"}, 30)
    assert f.call("POST", f"/api/v1/jobs/{ids[1]}/stop")[0] == 202
    assert f.wait_status(ids[1], {"completed", "failed"}, 60)["status"] == "completed"


def test_without_the_runtime_api_it_says_where_it_belongs(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "AWS_LAMBDA_RUNTIME_API"}
    r = subprocess.run([CHRONICLE, "lambda", "--data", str(tmp_path)], env=env, capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 2 and "AWS_LAMBDA_RUNTIME_API" in r.stdout + r.stderr


class LambdaService:
    """Lambda's Invoke API as far as an asynchronous invocation goes: keeps each request and
    answers 202, as Lambda does once it has queued the event."""

    def __init__(self):
        self.got = []
        service = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                service.got.append((self.path, dict(self.headers), body))
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_clips_on_aws_are_cut_by_the_function_with_ffmpeg_from_s3(function, make_stream, tmp_path):
    lam = LambdaService()
    try:
        f = function(CHRONICLE_CLIP_FUNCTION="chronicle-dispatch", CHRONICLE_LAMBDA_ENDPOINT=lam.url)
        stream = make_stream(10)
        status, _, job = f.call("POST", "/api/v1/jobs", {"url": stream.url, "name": "clipped on aws"})
        [message] = f.receive(1)
        f.runtime.invoke({"Records": [sqs_record(message)]})
        done = f.wait_status(job["id"], {"completed", "failed"}, 90)
        assert done["status"] == "completed", done

        status, _, clip = f.call("POST", f"/api/v1/jobs/{job['id']}/clips", {"start_s": 2.5, "end_s": 7.5})
        assert status == 202 and clip["status"] == "cutting", clip
        status, _, bad = f.call("POST", f"/api/v1/jobs/{job['id']}/clips", {"start_s": 7, "end_s": 2})
        assert status == 400 and "must be after start_s" in bad["error"]["message"], bad
        # The API function asked the clip function, asynchronously and signed, to cut it.
        [(path, headers, body)] = lam.got
        assert path == "/2015-03-31/functions/chronicle-dispatch/invocations"
        assert headers["X-Amz-Invocation-Type"] == "Event"
        assert "/lambda/aws4_request" in headers["Authorization"]
        event = json.loads(body)
        assert event == {"chronicle": "cut_clip", "job_id": job["id"], "clip_id": clip["id"]}

        # Lambda hands the event to the function: ffmpeg reads the recording from S3 by ranges.
        kind, answer, _ = f.runtime.invoke(event)
        assert kind == "response" and answer["clip"]["status"] == "ready", answer
        status, _, stored = f.call("GET", f"/api/v1/jobs/{job['id']}/clips/{clip['id']}")
        assert status == 200 and stored["status"] == "ready" and 1.5 - 0.05 <= stored["cut_start_s"] <= 2.5, stored
        status, headers, _ = f.call("GET", f"/api/v1/jobs/{job['id']}/clips/{clip['id']}/file")
        assert status == 302 and "X-Amz-Signature=" in headers["location"]
        out = tmp_path / "clip.mkv"
        urllib.request.urlretrieve(headers["location"], out)
        assert sha256_of(out) == stored["sha256"]
        assert abs(ffprobe_duration(str(out)) - (stored["cut_end_s"] - stored["cut_start_s"])) < 0.2
        # The same event again (Lambda retries): the clip is already cut, nothing is done twice.
        assert f.runtime.invoke(event)[1]["clip"]["sha256"] == stored["sha256"]
        # Deleting the job deletes the clip's object too.
        key = stored["key"]
        assert f.call("DELETE", f"/api/v1/jobs/{job['id']}")[0] == 200
        listed = aws_cli(f.endpoint, f.env, "s3api", "list-objects-v2", "--bucket", f.names["CHRONICLE_S3_BUCKET"])
        assert key not in [o["Key"] for o in listed.get("Contents", [])]
    finally:
        lam.close()
