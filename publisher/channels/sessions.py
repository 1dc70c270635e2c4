"""Kept-alive HTTP sessions per channel, shared by the sends of a worker process.

Without a session every request opened its own TCP (and, on the internet, TLS)
connection: ``requests.request`` builds a throw-away session per call (issue 16). A
channel's sends now reuse one session per (channel, server); urllib3's connection pool
behind it is thread-safe, and these sessions carry no per-request state (no cookies
the adapters rely on, no last response), so concurrent alerts may share one.
"""

from __future__ import annotations

import threading

import requests

_SESSIONS: dict[tuple[str, str], requests.Session] = {}
_LOCK = threading.Lock()


def for_channel(name: str, base_url: str) -> requests.Session:
    """The process's session of channel ``name`` talking to ``base_url`` (built once)."""
    key = (name, base_url)
    with _LOCK:
        session = _SESSIONS.get(key)
        if session is None:
            session = _SESSIONS[key] = requests.Session()
    return session


def built() -> int:
    """How many sessions this process built so far (tests: one per channel, not per send)."""
    with _LOCK:
        return len(_SESSIONS)
