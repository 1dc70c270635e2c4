"""Sending an SMS delivery's batches concurrently, each one recorded before its slot moves on.

``concurrency`` batches are on their way at once (the provider's documented limit,
see ``sms_providers``); the planner reads ahead by at most as many again, so memory
stays flat at 100,000 recipients. Each batch's outcome is written in one short
transaction right after the gateway answered (never while a request is open), so a
retry of the delivery knows exactly which batches the gateway accepted.

The first batch that fails stops the planning of new batches; batches already in
flight finish and are recorded; then the error of the lowest failed batch is raised,
with how many recipients already have the SMS.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

from publisher.channels.base import ChannelConfig
from publisher.channels.sms_batches import Batch
from publisher.channels.sms_providers import BatchInterrupted, SmsProvider
from publisher.db import Database
from publisher.errors import DeliveryError
from publisher.outbox import ratelimit, sms_status
from publisher.outbox.sms_status import (
    ACCEPTED,
    DONE,
    FAILED,
    UNKNOWN,
    BatchRange,
    BatchRecord,
    RecipientResult,
)

log = logging.getLogger(__name__)


class BatchSender:
    def __init__(
        self,
        config: ChannelConfig,
        provider: SmsProvider,
        db: Database,
        delivery_key: str,
        text: str,
        encoding: str,
    ) -> None:
        self.config, self.provider, self.db = config, provider, db
        self.key, self.text, self.encoding = delivery_key, text, encoding
        self.stop = threading.Event()
        self.errors: dict[int, DeliveryError] = {}
        self.lock = threading.Lock()

    def run(self, batches: Iterable[Batch], concurrency: int, total: int) -> None:
        """Send every batch; raise the first failure (by batch index) once all in flight ended."""
        ahead = threading.BoundedSemaphore(2 * concurrency)
        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="sms-batch") as pool:
            for batch in batches:
                ahead.acquire()
                if self.stop.is_set():
                    ahead.release()
                    break
                pool.submit(self._guarded, batch).add_done_callback(lambda _: ahead.release())
        if self.errors:
            raise self._with_progress(self.errors[min(self.errors)], total)

    def _guarded(self, batch: Batch) -> None:
        if self.stop.is_set():
            return  # not started: the retry plans it again
        try:
            self._send(batch)
        except Exception as exc:  # a bug or a database error must not hide the batch's fate
            log.exception("sms batch %s/%d: unexpected error", self.key, batch.index)
            error = DeliveryError(f"{self.config.name}: interner Fehler ({type(exc).__name__})")
            self._fail(batch.index, error)

    def _send(self, batch: Batch) -> None:
        numbers = batch.numbers
        if batch.resumed:  # a per-recipient provider may have taken some of them already
            done = sms_status.done_recipients(self.db, self.key, numbers)
            numbers = [n for n in numbers if n not in done]
        try:
            if numbers:
                ratelimit.acquire(self.config)
            results = (
                self.provider.send_batch(self.text, numbers, encoding=self.encoding, reference=self.key)
                if numbers
                else []
            )
        except BatchInterrupted as stopped:
            self._record_failure(batch, numbers, stopped.error, stopped.done)
            return
        except DeliveryError as exc:
            self._record_failure(batch, numbers, exc, [])
            return
        self._record_results(batch, numbers, results)

    def _record_results(self, batch: Batch, numbers: list[str], results: list[RecipientResult]) -> None:
        retry = [r for r in results if r.status not in DONE]
        status = ACCEPTED if not retry else (UNKNOWN if any(r.status == UNKNOWN for r in retry) else FAILED)
        self._record(batch, status, results, retry[0].error if retry else None)
        if retry:
            self._fail(
                batch.index,
                DeliveryError(
                    f"{self.config.name}: {len(retry)} von {len(numbers)} Empfängern noch nicht gesendet",
                    outcome_unknown=status == UNKNOWN,
                    platform_message=retry[0].error,
                ),
            )

    def _record_failure(
        self, batch: Batch, numbers: list[str], error: DeliveryError, done: list[RecipientResult]
    ) -> None:
        # The request failed as a whole: nobody left in it is "rejected", so a later
        # attempt (after a person fixed the key, topped up credit) sends them.
        state = UNKNOWN if error.outcome_unknown else FAILED
        answered = {r.msisdn for r in done}
        rest = [RecipientResult(n, state, None, error.message) for n in numbers if n not in answered]
        self._record(batch, state, [*done, *rest], error.message)
        if error.status == 429:
            ratelimit.pause(self.config, error.retry_after)
        self._fail(batch.index, error)

    def _record(self, batch: Batch, status: str, results: list[RecipientResult], error: str | None) -> None:
        rng = BatchRange(batch.index, batch.after_key, batch.last_key, status)
        record = BatchRecord(
            self.key, self.config.name, self.provider.name, rng, len(batch.numbers), results, error
        )
        sms_status.record_batch(self.db, record)

    def _fail(self, index: int, error: DeliveryError) -> None:
        with self.lock:
            self.errors[index] = error
        self.stop.set()

    def _with_progress(self, error: DeliveryError, total: int) -> DeliveryError:
        counts = sms_status.tally(self.db, self.key)
        sent = sum(n for state, n in counts.items() if state in DONE)
        if sent:
            of = f" von {total}" if total >= sent else ""
            error.message = f"{error.message} (bereits {sent}{of} Empfängern gesendet)"
        return error
