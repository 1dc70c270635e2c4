"""The heartbeat that keeps a running send's lease alive.

A claimed delivery is ``sending`` until ``lease_until``; the sweep treats a lease
that ran out as "worker lost" and hands the delivery to another worker. A send can
rightly take longer than any fixed lease (an SMS alert to 100,000 people), so while
it runs a background thread extends ``lease_until`` every ``lease / 3`` seconds, each
time in its own short transaction. Only a worker that really stopped (killed,
frozen, cut off from the database) lets its lease run out — then the sweep is right.

The renewal is conditional on the claim (same delivery, still ``sending``, same
attempt), so a heartbeat can never revive a delivery someone else took over.
"""

from __future__ import annotations

import logging
import threading
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
        self.thread = threading.Thread(
            target=self._beat, name=f"lease-{delivery_id}", daemon=True
        )

    def __enter__(self) -> LeaseHeartbeat:
        self.thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stopped.set()
        self.thread.join()

    def _beat(self) -> None:
        while not self.stopped.wait(self.lease_seconds / 3):
            if not self.renew():
                return

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
