"""The web server keeps answering in a process that holds many descriptors (waitress with poll()).

With waitress's default ``select()``, a listening socket numbered 1024 or above killed the
server thread ("filedescriptor out of range in select()") and every request hung: in a long
test run, the browser tests' demo site stopped answering that way.
"""

from __future__ import annotations

import os
import resource
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
