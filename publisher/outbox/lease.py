"""The heartbeat that keeps a running send's lease alive.

A claimed delivery is ``sending`` until ``lease_until``; the sweep treats a lease
that ran out as "worker lost" and hands the delivery to another worker. A send can
rightly take longer than any fixed lease (an SMS alert to 100,000 people), so while
it runs ``lease_until`` is extended every ``lease / 3`` seconds, each time in its own
short transaction. One beater thread per process does that for every running send; it
starts with the first send and only writes for sends that outlive ``lease / 3``, so a
send that is answered at once costs no thread start and no write (issue 16: a thread per
send took 3 to 6 ms of the alert's hot path). Only a worker that really stopped (killed,
frozen, cut off from the database) lets its lease run out — then the sweep is right.

The renewal is conditional on the claim (same delivery, still ``sending``, same
attempt), so a heartbeat can never revive a delivery someone else took over.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta
from types import TracebackType

from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError

from publisher.db import Database, utcnow
from publisher.models import Delivery
from publisher.vocabulary import DeliveryState

log = logging.getLogger(__name__)


class LeaseHeartbeat:
    """``with LeaseHeartbeat(db, id, attempt, lease_seconds): send()``."""

    def __init__(self, db: Database, delivery_id: int, attempt: int, lease_seconds: float) -> None:
        self.db = db
        self.delivery_id = delivery_id
        self.attempt = attempt
        self.lease_seconds = lease_seconds
        self.stopped = threading.Event()
        self.lost = threading.Event()  # someone else owns the delivery now
        self.due = 0.0  # time.monotonic() of the next renewal
        self.busy = threading.Lock()  # held while a renewal runs; exit waits for it

    def __enter__(self) -> LeaseHeartbeat:
        self.due = time.monotonic() + self.lease_seconds / 3
        BEATER.add(self)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stopped.set()
        BEATER.discard(self)
        with self.busy:  # a renewal under way finishes before the caller records the outcome
            pass

    def beat(self) -> bool:
        """Renew now unless stopped; False when this heartbeat is done (stopped or lost)."""
        with self.busy:
            if self.stopped.is_set():
                return False
            if not self.renew():
                return False
        self.due = time.monotonic() + self.lease_seconds / 3
        return True

    def renew(self) -> bool:
        """Extend the lease; False when the delivery is no longer ours (stop beating)."""
        until = utcnow() + timedelta(seconds=self.lease_seconds)
        try:
            with self.db.session() as session:
                result = session.execute(
                    update(Delivery)
                    .where(
                        Delivery.id == self.delivery_id,
                        Delivery.state == DeliveryState.SENDING,
                        Delivery.attempts == self.attempt,
                    )
                    .values(lease_until=until)
                    .execution_options(synchronize_session=False)
                )
        except SQLAlchemyError as exc:  # try again next beat; the lease still runs
            log.warning("delivery %s: lease not renewed: %s", self.delivery_id, exc)
            return True
        if getattr(result, "rowcount", 1) == 0:
            log.warning("delivery %s: lease lost while sending (taken over or finished)", self.delivery_id)
            self.lost.set()
            return False
        return True


class Beater:
    """The one thread of a process that renews the leases of its running sends when due."""

    def __init__(self) -> None:
        self.beats: set[LeaseHeartbeat] = set()
        self.changed = threading.Condition()
        self.thread: threading.Thread | None = None

    def add(self, beat: LeaseHeartbeat) -> None:
        with self.changed:
            self.beats.add(beat)
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="lease-heartbeat", daemon=True)
                self.thread.start()
            self.changed.notify()

    def discard(self, beat: LeaseHeartbeat) -> None:
        with self.changed:
            self.beats.discard(beat)

    def _run(self) -> None:
        while True:
            with self.changed:
                now = time.monotonic()
                due = [beat for beat in self.beats if beat.due <= now]
                if not due:
                    wait = min((beat.due for beat in self.beats), default=now + 60.0) - now
                    self.changed.wait(max(wait, 0.01))
                    continue
            for beat in due:  # renewals run outside the lock: a send may end meanwhile
                try:
                    alive = beat.beat()
                except Exception:  # one broken renewal must not stop the others' heartbeats
                    log.exception("delivery %s: lease renewal failed", beat.delivery_id)
                    beat.due = time.monotonic() + beat.lease_seconds / 3
                    alive = True
                if not alive:
                    self.discard(beat)


BEATER = Beater()
