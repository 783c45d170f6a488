import os
import shutil
import subprocess
import sys
import urllib.request

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Chronicle, LiveStream, free_port, wait_for  # noqa: E402
from hls_sim import SimulatedLive  # noqa: E402


@pytest.fixture
def chronicle():
    c = Chronicle()
    yield c
    c.close()


@pytest.fixture
def make_stream():
    streams = []

    def make(seconds):
        s = LiveStream(seconds)
        streams.append(s)
        return s

    yield make
    for s in streams:
        s.close()


@pytest.fixture
def sims():
    """Live HLS simulators following a script (see hls_sim.py), closed after the test."""
    made = []

    def make(script, **kw):
        s = SimulatedLive(script, **kw)
        made.append(s)
        return s

    yield make
    for s in made:
        s.close()


@pytest.fixture(scope="module")
def moto():
    """moto_server on loopback, standing in for AWS; yields (endpoint, environment)."""
    for tool in ("moto_server", "aws"):
        if not shutil.which(tool):
            pytest.fail(f"{tool} is not installed: the AWS tests need moto_server and the aws CLI "
                        "(scripts/install-deps.sh installs both when they are missing)", pytrace=False)
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
