"""`chronicle provision` against moto_server (the local AWS emulator), checked with the aws CLI."""
import json
import os
import subprocess
import time
import urllib.request

import pytest

from harness import CHRONICLE, free_port, wait_for


@pytest.fixture(scope="module")
def moto():
    port = free_port()
    proc = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    endpoint = f"http://127.0.0.1:{port}"

    def up():
        try:
            return urllib.request.urlopen(endpoint + "/moto-api/", timeout=1).status == 200
        except OSError:
            return False

    wait_for(up, 20, what="moto_server")
    env = dict(os.environ, AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_REGION="us-east-1", AWS_DEFAULT_REGION="us-east-1")
    yield endpoint, env
    os.killpg(proc.pid, 15)
    proc.wait()


def aws_cli(endpoint, env, *args):
    r = subprocess.run(["aws", "--endpoint-url", endpoint, "--output", "json", *args], env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout) if r.stdout.strip() else {}


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
    assert {g["IndexName"] for g in table["GlobalSecondaryIndexes"]} == {"list", "by_status", "feed"}
    ttl = aws_cli(endpoint, env, "dynamodb", "describe-time-to-live", "--table-name", "prov-jobs")
    assert ttl["TimeToLiveDescription"] == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}


def test_provision_without_credentials_says_what_is_missing(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    r = subprocess.run([CHRONICLE, "provision", "--data", str(tmp_path)], env=env, capture_output=True, text=True,
                       timeout=30)
    assert r.returncode != 0 and "AWS_ACCESS_KEY_ID" in r.stderr
