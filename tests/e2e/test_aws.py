"""`chronicle provision` against moto_server (the local AWS emulator), checked with the aws CLI."""
import json
import os
import subprocess
import time
import urllib.request

from harness import CHRONICLE, aws_cli, provision


def test_provision_is_idempotent_and_creates_what_chronicle_needs(moto, tmp_path):
    endpoint, env = moto
    env = dict(env, CHRONICLE_S3_BUCKET="provision-test", CHRONICLE_SQS_QUEUE="prov-jobs.fifo",
               CHRONICLE_SQS_DLQ="prov-jobs-dlq.fifo", CHRONICLE_MAX_RECEIVES="3",
               CHRONICLE_DYNAMODB_TABLE="prov-jobs")
    for attempt in range(2):
        t0 = time.monotonic()
        r = subprocess.run([CHRONICLE, "provision", "--data", str(tmp_path)], env=env, capture_output=True, text=True,
                           timeout=60)
        assert r.returncode == 0, r.stderr
        assert "bucket provision-test: ready" in r.stdout
        assert "queue prov-jobs.fifo: ready" in r.stdout and "prov-jobs-dlq.fifo after 3 receives" in r.stdout
        assert "table prov-jobs: ready" in r.stdout
        print(f"\nprovision run {attempt + 1}: {time.monotonic() - t0:.2f}s")
    aws_cli(endpoint, env, "s3api", "head-bucket", "--bucket", "provision-test")
    url = aws_cli(endpoint, env, "sqs", "get-queue-url", "--queue-name", "prov-jobs.fifo")["QueueUrl"]
    attrs = aws_cli(endpoint, env, "sqs", "get-queue-attributes", "--queue-url", url, "--attribute-names", "All")["Attributes"]
    assert attrs["FifoQueue"] == "true"
    redrive = json.loads(attrs["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"].endswith(":prov-jobs-dlq.fifo") and int(redrive["maxReceiveCount"]) == 3
    table = aws_cli(endpoint, env, "dynamodb", "describe-table", "--table-name", "prov-jobs")["Table"]
    assert {g["IndexName"] for g in table["GlobalSecondaryIndexes"]} == {"list", "by_status", "feed", "by_channel"}
    ttl = aws_cli(endpoint, env, "dynamodb", "describe-time-to-live", "--table-name", "prov-jobs")
    assert ttl["TimeToLiveDescription"] == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}


def test_provision_without_credentials_says_what_is_missing(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    r = subprocess.run([CHRONICLE, "provision", "--data", str(tmp_path)], env=env, capture_output=True, text=True,
                       timeout=30)
    assert r.returncode != 0 and "AWS_ACCESS_KEY_ID" in r.stderr


def test_credentials_from_the_container_endpoint(moto, tmp_path):
    """As on ECS: no keys in the environment, temporary ones from the container credentials
    endpoint, fetched once and reused until they near their expiry."""
    import datetime
    import http.server
    import threading
    seen = []

    class Endpoint(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            seen.append((self.path, self.headers.get("Authorization")))
            expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
            body = json.dumps({"AccessKeyId": "ASIATESTING", "SecretAccessKey": "testing", "Token": "session-token",
                               "Expiration": expires.strftime("%Y-%m-%dT%H:%M:%SZ")}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Endpoint)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        _, env = moto
        env = {k: v for k, v in env.items() if k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
        env.update(AWS_CONTAINER_CREDENTIALS_FULL_URI=f"http://127.0.0.1:{server.server_address[1]}/v2/credentials/x",
                   AWS_CONTAINER_AUTHORIZATION_TOKEN="task-token", CHRONICLE_S3_BUCKET="creds-test",
                   CHRONICLE_SQS_QUEUE="creds-jobs.fifo", CHRONICLE_SQS_DLQ="creds-jobs-dlq.fifo",
                   CHRONICLE_DYNAMODB_TABLE="creds-jobs")
        assert "bucket creds-test: ready" in provision(env, tmp_path)
        assert seen == [("/v2/credentials/x", "task-token")]
    finally:
        server.shutdown()


COOKIES_KEY = "7f" * 32


def test_whole_path_on_the_aws_backend(moto, make_stream, sims, tmp_path):
    """The embedded e2e, on CHRONICLE_BACKEND=aws with the process launcher: API -> SQS ->
    dispatch -> record -> S3 object, poster frame and .torrent -> DynamoDB status completed; then
    a members-only stream recorded with cookies kept sealed in S3."""
    from harness import ffprobe_duration, sha256_of
    endpoint, env = moto
    names = {"CHRONICLE_S3_BUCKET": "e2e-recordings", "CHRONICLE_SQS_QUEUE": "e2e-jobs.fifo",
             "CHRONICLE_SQS_DLQ": "e2e-jobs-dlq.fifo", "CHRONICLE_DYNAMODB_TABLE": "e2e-jobs"}
    aws_env = {k: v for k, v in env.items() if k.startswith("AWS_")}
    aws_env.update(names)
    provision(dict(os.environ, **aws_env), tmp_path)
    # serve does not seed here: the standalone seeding node below does, from S3. It resolves
    # www.twitch.tv to this machine (a Twitch stand-in whose chat is a local IRC server).
    from test_chat import TwitchChronicle, twitch_irc
    irc, port = twitch_irc("--messages", "150", "--interval-ms", "60")
    # The stand-in's stream is set when the chat recording starts (record_chat_to_s3).
    c = TwitchChronicle(tmp_path, "http://127.0.0.1:9/later.m3u8", port,
                        env=dict(aws_env, CHRONICLE_BACKEND="aws", CHRONICLE_SEED="0", CHRONICLE_COOKIES_KEY=COOKIES_KEY))
    try:
        stream = make_stream(12)
        t0 = time.monotonic()
        r = c.cli("submit", stream.url, "--name", "aws run", "--wait", "--json", timeout=120)
        assert r.returncode == 0, r.stderr
        job = json.loads(r.stdout)
        print(f"\naws backend: submit->completed {time.monotonic() - t0:.1f}s")
        assert job["status"] == "completed" and job["recording"]["key"] == "aws run.mkv"
        assert job["torrent"]["key"] == "aws run.torrent"
        # The objects are in S3 ...
        head = aws_cli(endpoint, env, "s3api", "head-object", "--bucket", "e2e-recordings", "--key", "aws run.mkv")
        assert head["ContentLength"] == job["recording"]["size"] and head["ContentType"] == "video/x-matroska"
        aws_cli(endpoint, env, "s3api", "head-object", "--bucket", "e2e-recordings", "--key", "aws run.torrent")
        # ... the job is in DynamoDB ...
        item = aws_cli(endpoint, env, "dynamodb", "get-item", "--table-name", "e2e-jobs",
                       "--key", json.dumps({"pk": {"S": "job#" + job["id"]}}))["Item"]
        assert item["status"]["S"] == "completed" and "expires_at" in item
        # ... and the download link redirects to a presigned S3 URL that plays.
        out = tmp_path / "from-s3.mkv"
        r = c.cli("download", job["id"], "-o", str(out))
        assert r.returncode == 0, r.stderr
        assert sha256_of(out) == job["recording"]["sha256"]
        assert abs(ffprobe_duration(str(out)) - 12) <= 1.2
        # The poster frame is beside the recording in S3, and its route redirects there too.
        assert job["thumbnail"]["key"] == "aws run.jpg" and job["thumbnail"]["live"] is False, job["thumbnail"]
        head = aws_cli(endpoint, env, "s3api", "head-object", "--bucket", "e2e-recordings", "--key", "aws run.jpg")
        with urllib.request.urlopen(c.base + f"/api/v1/jobs/{job['id']}/thumbnail") as r:
            assert "X-Amz-Signature=" in r.url
            poster = r.read()
        assert poster[:2] == b"\xff\xd8" and len(poster) == head["ContentLength"] > 1000
        assert not aws_cli(endpoint, env, "s3api", "list-objects-v2", "--bucket", "e2e-recordings",
                           "--prefix", "previews/").get("Contents"), "the live preview went with the recording"
        record_with_sealed_cookies(c, endpoint, env, sims, tmp_path)
        record_chat_to_s3(c, endpoint, env, make_stream, tmp_path)
        seed_from_s3_and_download(c, job, aws_env, tmp_path)
    finally:
        irc.terminate()
        irc.wait(10)
        c.close()


def record_chat_to_s3(c, endpoint, env, make_stream, tmp_path):
    """A Twitch recording's chat is stored in S3 beside it; the API serves windows of it (from a
    copy it keeps) and redirects the whole file to S3; deleting the job deletes it."""
    from test_chat import standin_ytdlp
    standin_ytdlp(tmp_path, make_stream(14).url)  # the stand-in now presents this stream
    r = c.cli("submit", "https://www.twitch.tv/somebody", "--name", "aws chat", "--wait", "--json", timeout=120)
    assert r.returncode == 0, r.stderr
    job = json.loads(r.stdout)
    assert job["status"] == "completed" and job["chat"]["state"] == "stored", job["chat"]
    head = aws_cli(endpoint, env, "s3api", "head-object", "--bucket", "e2e-recordings", "--key", job["chat"]["key"])
    assert head["ContentLength"] == job["chat"]["bytes"] and job["chat"]["messages"] > 50
    with urllib.request.urlopen(c.base + f"/api/v1/jobs/{job['id']}/chat") as whole:
        assert "X-Amz-Signature=" in whole.url
        lines = [json.loads(line) for line in whole.read().decode().splitlines()]
    status, _, window = c.request("GET", f"/api/v1/jobs/{job['id']}/chat?from_s=2&to_s=6")
    inside = [json.loads(line) for line in window.decode().splitlines()]
    assert status == 200 and inside == [r for r in lines if 2 <= r["at_s"] < 6] and inside
    kept = os.path.join(c.data, "work", "chat-cache", job["id"] + ".ndjson")
    assert os.path.getsize(kept) == job["chat"]["bytes"], "windows come from one copy"
    assert c.cli("rm", job["id"]).returncode == 0
    assert not os.path.exists(kept), "the copy goes with the job"
    gone = subprocess.run(["aws", "--endpoint-url", endpoint, "s3api", "head-object", "--bucket", "e2e-recordings",
                           "--key", job["chat"]["key"]], env=dict(os.environ, **env), capture_output=True)
    assert gone.returncode != 0, "the chat went with the job"


def record_with_sealed_cookies(c, endpoint, env, sims, tmp_path):
    """Cookies uploaded on the aws backend are stored in S3 sealed with CHRONICLE_COOKIES_KEY; the
    dispatcher's probe and the recorder open them, and the members-only stream records."""
    from test_cookies import COOKIE_VALUE, COOKIES_FILE
    sim = sims([("live", 6), ("end",)], require_cookie=f"session={COOKIE_VALUE}")
    cookies = tmp_path / "cookies.txt"
    cookies.write_text(COOKIES_FILE)
    r = c.cli("cookies", "add", "127.0.0.1", str(cookies))
    assert r.returncode == 0 and "2 cookies stored" in r.stdout, r.stdout + r.stderr
    raw = tmp_path / "stored-cookies"
    aws_cli(endpoint, env, "s3api", "get-object", "--bucket", "e2e-recordings", "--key", "cookies/127.0.0.1.txt",
            str(raw))
    stored = raw.read_bytes()
    assert stored.startswith(b"chronicle-sealed-v1\n") and COOKIE_VALUE.encode() not in stored
    assert c.api("GET", "/api/v1/cookies")[1]["cookies"][0]["count"] == 2
    r = c.cli("submit", sim.url, "--name", "members only", "--wait", "--json", timeout=120)
    assert r.returncode == 0, r.stderr
    done = json.loads(r.stdout)
    assert done["status"] == "completed" and done["duration_s"] > 4, done
    assert c.cli("cookies", "rm", "127.0.0.1").returncode == 0


def seed_from_s3_and_download(c, job, aws_env, tmp_path):
    """`chronicle seed` on a node with no local copy: it fetches the recording from S3, checks
    its SHA-256, and seeds it through the tracker; aria2c downloads it from peers only."""
    from harness import free_port, sha256_of, wait_for
    from test_torrent import ARIA2, fetch_torrent, peers_only
    node = tmp_path / "seed-node"
    node.mkdir()
    log = open(node / "seed.log", "wb")
    seeder = subprocess.Popen([CHRONICLE, "seed", "--data", str(node)],
                              env=dict(os.environ, **aws_env, CHRONICLE_BACKEND="aws",
                                       CHRONICLE_SEED_LISTEN=f"127.0.0.1:{free_port()}"),
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        t0 = time.monotonic()
        wait_for(lambda: b"fetched from storage" in (node / "seed.log").read_bytes(), 30,
                 what="the seeding node to fetch the recording from S3")
        print(f"seed node: fetched and verified {job['recording']['size']} bytes from S3 in "
              f"{time.monotonic() - t0:.1f}s")
        cached = node / "seed" / "cache" / job["id"] / "aws run.mkv"
        assert sha256_of(cached) == job["recording"]["sha256"]
        # The .torrent link redirects to S3 too (urllib follows it).
        torrent = peers_only(fetch_torrent(c, job, str(tmp_path)))
        out = tmp_path / "from-peers"
        r = subprocess.run(ARIA2 + ["--dir", str(out), torrent], capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stdout[-1500:] + (node / "seed.log").read_text()
        assert sha256_of(out / "aws run.mkv") == job["recording"]["sha256"]
        # Deleting the job drops the node's copy too.
        r = c.cli("rm", job["id"])
        assert r.returncode == 0, r.stderr
        wait_for(lambda: not cached.parent.exists(), 15, what="the seeding node to drop its copy")
    finally:
        seeder.terminate()
        assert seeder.wait(20) == 0
        log.close()


def test_an_unreachable_aws_answers_503_with_retry_after_and_the_data_is_intact(tmp_path):
    """moto_server stopped under a running serve: reads and writes answer 503 with Retry-After
    (never 400), the CLI exits 5; once it is back, the jobs are there as they were."""
    from harness import Chronicle, free_port, wait_for
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"

    def start_moto():
        proc = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        wait_for(lambda: subprocess.run(["curl", "-sf", endpoint + "/moto-api/"], capture_output=True).returncode == 0,
                 20, what="moto_server")
        return proc

    def stop_moto(proc):
        os.killpg(proc.pid, 15)
        proc.wait()

    env = {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1", "CHRONICLE_S3_BUCKET": "outage",
           "CHRONICLE_SQS_QUEUE": "outage.fifo", "CHRONICLE_SQS_DLQ": "outage-dlq.fifo",
           "CHRONICLE_DYNAMODB_TABLE": "outage"}
    moto = start_moto()
    c = None
    try:
        provision(dict(os.environ, **env), tmp_path)
        c = Chronicle(env=dict(env, CHRONICLE_BACKEND="aws", CHRONICLE_SEED="0", CHRONICLE_TRACKER="0"))
        status, job = c.api("POST", "/api/v1/jobs", {"url": "http://127.0.0.1:9/gone.m3u8", "name": "before"})
        assert status == 201, job
        c.wait_status(job["id"], ["failed"], 60)
        stop_moto(moto)
        moto = None
        for method, path, body in [("GET", "/api/v1/jobs", None), ("GET", f"/api/v1/jobs/{job['id']}", None),
                                   ("POST", "/api/v1/jobs", {"url": "http://127.0.0.1:9/x.m3u8"})]:
            status, headers, payload = c.request(method, path, body)
            assert status == 503, (method, path, status, payload)
            assert headers.get("Retry-After") == "5", headers
            assert json.loads(payload)["error"]["code"] == "aws_unreachable", payload
        r = c.cli("ls")
        assert r.returncode == 5, (r.returncode, r.stderr)
        # moto keeps its data in memory: a restarted one is empty, so the data check is against
        # chronicle's answer before the outage, on a moto that never went away (test above).
    finally:
        if c:
            c.close()
        if moto:
            stop_moto(moto)
