import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Chronicle, LiveStream  # noqa: E402


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
