"""The web server keeps answering in a process that holds many descriptors (waitress with poll()),
and once stopped it writes nothing into descriptors it no longer owns.

With waitress's default ``select()``, a listening socket numbered 1024 or above killed the
server thread ("filedescriptor out of range in select()") and every request hung: in a long
test run, the browser tests' demo site stopped answering that way.
"""

from __future__ import annotations

import contextlib
import os
import resource
import threading
import time
from collections.abc import Iterator

import pytest
import requests
from flask import Flask

from workers.supervisor import free_port
from workers.web_server import serving_in_thread

HELD = 1100  # descriptors opened first, so the server's own land above 1024


@pytest.fixture
def many_descriptors() -> Iterator[None]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < HELD + 200:
        pytest.skip(f"this machine allows {hard} open files per process; the test needs {HELD + 200}")
    if soft != resource.RLIM_INFINITY and soft < HELD + 200:
        resource.setrlimit(resource.RLIMIT_NOFILE, (HELD + 200, hard))
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(HELD)]
    try:
        yield
    finally:
        for descriptor in held:
            os.close(descriptor)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_the_web_server_answers_when_its_sockets_are_numbered_above_1024(many_descriptors: None) -> None:
    app = Flask(__name__)
    app.add_url_rule("/", "hello", lambda: "Hallo")
    with serving_in_thread(app, free_port()) as base:
        answers = [requests.get(base, timeout=5) for _ in range(3)]
    assert [(a.status_code, a.text) for a in answers] == [(200, "Hallo")] * 3


def test_a_request_that_ends_after_the_server_stopped_writes_into_no_reused_descriptor() -> None:
    """waitress wakes its loop by writing b"x" to a pipe by number; closed, the number is reused.

    Before the fix this found the ``x`` in one of the pipes opened after the server
    stopped (the flaky "unknown command `x*2`" of a later test's Redis connection).
    """
    app = Flask(__name__)
    app.add_url_rule("/slow", "slow", lambda: time.sleep(2.5) or "fertig")
    answers: list[int] = []
    with serving_in_thread(app, free_port()) as base:
        url = f"{base}/slow"
        request = threading.Thread(target=lambda: answers.append(requests.get(url, timeout=10).status_code))
        request.start()
        time.sleep(0.5)  # the request is running when the server stops (its threads get 1 s)
    pipes = [os.pipe() for _ in range(20)]  # take the lowest free numbers: the server's old ones
    try:
        request.join(10)
        time.sleep(0.3)
        stray = []
        for read_end, _ in pipes:
            os.set_blocking(read_end, False)
            with contextlib.suppress(BlockingIOError):  # nothing to read: as it should be
                stray.append(os.read(read_end, 64))
    finally:
        for pair in pipes:
            for descriptor in pair:
                os.close(descriptor)
    assert answers == [200]  # the last request is still answered
    assert stray == []
