"""Cutting an SMS delivery's recipients into stable, resumable batches.

Every recipient has an increasing *key*: the fixed numbers of the channel and the
message (e.g. the crisis staff) get -n … -1 in their order, subscribers their row
id. A batch covers the keys in ``(after_key, last_key]``. Once an attempt recorded a
batch (``publisher.outbox.sms_status``), a later attempt of the same delivery plans
exactly the same range again, so:

* a batch the gateway accepted is skipped, never resent;
* a batch that failed is resent with the numbers it has now (minus anybody a
  per-recipient provider already took, minus anybody who unsubscribed since);
* a batch that was in flight when the worker died (no record, but a later batch has
  one) is re-planned inside the gap it left, so it cannot spill into a neighbour.

New subscribers have higher ids and join at the end, so a retry also reaches them.
"""

from __future__ import annotations

import sys
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

from publisher.channels.sms_audience import Audience, AudienceSource
from publisher.db import Database
from publisher.outbox.sms_status import ACCEPTED, BatchRange

START_KEY = -1_000_000_000  # below every fixed number's key
PAGE_ROWS = 5_000  # subscribers read per query (a few batches' worth)


@dataclass(frozen=True)
class Batch:
    index: int
    after_key: int
    last_key: int
    numbers: list[str]
    resumed: bool = False  # an earlier attempt recorded it without success


class RecipientReader:
    """Recipients in key order: the fixed numbers, then the audience, page by page."""

    def __init__(
        self,
        fixed: list[str],
        audience: Audience | None = None,
        source: AudienceSource | None = None,
        db: Database | None = None,
        page_rows: int = PAGE_ROWS,
    ) -> None:
        self.fixed = [(index - len(fixed), number) for index, number in enumerate(fixed)]
        self.skip = set(fixed)  # a staff number that also subscribed gets one SMS
        self.audience, self.source, self.db = audience, source, db
        self.page_rows = page_rows
        self.buffer: deque[tuple[int, str]] = deque()
        self.read_after = START_KEY  # the highest key fetched so far
        self.exhausted = False

    def take(self, after: int, upto: int | None, limit: int) -> list[tuple[int, str]]:
        """Up to ``limit`` recipients with after < key (<= upto), in key order."""
        while self.buffer and self.buffer[0][0] <= after:
            self.buffer.popleft()
        taken: list[tuple[int, str]] = []
        while len(taken) < limit:
            if not self.buffer and not self._fill(after):
                break
            if not self.buffer:
                continue
            if upto is not None and self.buffer[0][0] > upto:
                break
            taken.append(self.buffer.popleft())
        return taken

    def _fill(self, after: int) -> bool:
        """Fetch more; False when there is nothing more to fetch."""
        start = max(after, self.read_after)
        if start < -1:
            rows = [row for row in self.fixed if row[0] > start]
            self.read_after = -1
            self.buffer.extend(rows)
            return True
        if self.exhausted or self.audience is None or self.source is None or self.db is None:
            return False
        page = list(self.source.page(self.db, self.audience, max(start, 0), self.page_rows))
        self.exhausted = len(page) < self.page_rows
        if page:
            self.read_after = page[-1][0]
            self.buffer.extend(row for row in page if row[1] not in self.skip)
        return bool(page) or not self.exhausted


def plan(reader: RecipientReader, ledger: dict[int, BatchRange], size: int) -> Iterator[Batch]:
    """The batches still to send, in order; see the module docstring for the rules."""
    index, cursor = 0, START_KEY
    while True:
        known = ledger.get(index)
        if known is not None:
            if known.status != ACCEPTED:
                rows = reader.take(known.after_key, known.last_key, sys.maxsize)
                if rows:
                    yield Batch(index, known.after_key, known.last_key, [n for _, n in rows], resumed=True)
            index, cursor = index + 1, known.last_key
            continue
        following = _next_recorded(ledger, index)
        rows = reader.take(cursor, following.after_key if following else None, size)
        if rows:
            yield Batch(index, cursor, rows[-1][0], [n for _, n in rows])
            index, cursor = index + 1, rows[-1][0]
        elif following is None:
            return
        else:  # the gap an in-flight batch left is empty now (its people unsubscribed)
            index, cursor = following.index, following.after_key


def _next_recorded(ledger: dict[int, BatchRange], index: int) -> BatchRange | None:
    later = [i for i in ledger if i > index]
    return ledger[min(later)] if later else None
