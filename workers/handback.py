"""A dead child's sends, handed back at once: the supervisor reports, the scheduler releases.

The supervisor of ``ernstfall up`` is the one that knows for certain that a process is
gone, so nobody need wait for the 90 s lease to run out. It imports nothing of the
application (issue 16), so it only leaves a note in ``<home>/run/exited/``
(:func:`report_exit`, standard library only). The scheduler holds the database and Redis
anyway and reads the notes at the start of every tick (:func:`release_reported`): the
dead worker's lane stops counting it as alive (its heartbeat key would last up to 15 s),
then its claims become due now, so the same tick's sweep resends them inline or through a
live worker, never into a queue nobody reads.
"""

from __future__ import annotations

import contextlib
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from publisher.settings import Settings

log = logging.getLogger(__name__)


def exits_folder(home: Path) -> Path:
    return home / "run" / "exited"


def report_exit(home: Path, child: str, pid: int) -> Path:
    """Note that ``child`` (process ``pid``) died; written whole or not at all."""
    folder = exits_folder(home)
    folder.mkdir(parents=True, exist_ok=True)
    note = folder / f"{child}.{pid}.json"
    partial = folder / f".{child}.{pid}.partial"
    partial.write_text(json.dumps({"child": child, "pid": pid}), encoding="utf-8")
    partial.replace(note)
    return note


def release_reported(settings: Settings) -> list[int]:
    """Hand back the sends of every child reported dead; returns the delivery ids released.

    A note stays until its release succeeded (a locked database is tried again next tick).
    """
    folder = exits_folder(settings.home)
    if not folder.is_dir():
        return []
    released: list[int] = []
    for note in sorted(folder.glob("*.json")):
        try:
            released += _release(settings, note)
        except Exception:  # the lease expiry still recovers these sends, only later
            log.exception("could not hand back the sends of %s", note.stem)
            continue
        note.unlink(missing_ok=True)
    return released


def _release(settings: Settings, note: Path) -> list[int]:
    import redis

    from content_calendar.database import get_database
    from publisher.outbox import release_leases, worker_identity
    from publisher.outbox.dispatch import HEARTBEAT_KEY
    from publisher.redis_client import redis_client
    from publisher.vocabulary import Lane

    reported = json.loads(note.read_text(encoding="utf-8"))
    child, pid = str(reported["child"]), int(reported["pid"])
    lane = child.removesuffix("-worker")
    if settings.redis_url and lane in tuple(Lane):
        with contextlib.suppress(redis.RedisError):
            redis_client(settings.redis_url, connect_timeout=0.5, timeout=1).delete(
                HEARTBEAT_KEY.format(lane=lane)
            )
    released = release_leases(get_database(settings), settings, worker_identity(pid))
    if released:
        log.warning("%s died while sending: %d deliveries handed back", child, len(released))
    return released
