"""Kept-alive HTTP sessions per channel, shared by the sends of a worker process.

Without a session every request opened its own TCP (and, on the internet, TLS)
connection: ``requests.request`` builds a throw-away session per call (issue 16). A
channel's sends now reuse one session per (channel, server); urllib3's connection pool
behind it is thread-safe, and these sessions carry no per-request state (no cookies
the adapters rely on, no last response), so concurrent alerts may share one.


Adapters whose SDK needs a session of its own per send (facebook-sdk, tweepy and
Mastodon.py get a :class:`~publisher.rebased_session.RebasedSession`, which remembers the
last response of *its* send) still share the channel's connections: such a session mounts
the channel's connection pool (:func:`pool_for`), so an alert does not open a new TCP and
TLS connection to Facebook, X or Mastodon each time.
"""

from __future__ import annotations

import threading

import requests
from requests.adapters import HTTPAdapter

_SESSIONS: dict[tuple[str, str], requests.Session] = {}
_POOLS: dict[tuple[str, str], HTTPAdapter] = {}
_LOCK = threading.Lock()


def pool_for(name: str, base_url: str) -> HTTPAdapter:
    """The process's connection pool of channel ``name`` talking to ``base_url`` (built once).

    urllib3's pool behind it is thread-safe; it keeps connections, nothing per request.
    """
    key = (name, base_url)
    with _LOCK:
        pool = _POOLS.get(key)
        if pool is None:
            pool = _POOLS[key] = HTTPAdapter()
    return pool


def mount_pool(session: requests.Session, name: str, base_url: str) -> None:
    """Let ``session`` use the channel's kept-alive connections."""
    pool = pool_for(name, base_url)
    session.mount("https://", pool)
    session.mount("http://", pool)


def for_channel(name: str, base_url: str) -> requests.Session:
    """The process's session of channel ``name`` talking to ``base_url`` (built once)."""
    key = (name, base_url)
    with _LOCK:
        session = _SESSIONS.get(key)
    if session is None:
        built_now = requests.Session()
        mount_pool(built_now, name, base_url)
        with _LOCK:
            session = _SESSIONS.setdefault(key, built_now)
    return session


def built() -> int:
    """How many connection pools this process built so far (tests: one per channel, not per send)."""
    with _LOCK:
        return len(_POOLS)


def close_all() -> None:
    """Close every kept-alive connection of this process and forget the sessions and pools.

    Sends after this build them again. Tests call it after each test: every test's fake
    platforms listen on new ports, and their pools would otherwise keep their connections
    (and the fakes' threads serving them) open for the rest of the run.
    """
    with _LOCK:
        sessions, pools = list(_SESSIONS.values()), list(_POOLS.values())
        _SESSIONS.clear()
        _POOLS.clear()
    for session in sessions:
        session.close()
    for pool in pools:
        pool.close()
