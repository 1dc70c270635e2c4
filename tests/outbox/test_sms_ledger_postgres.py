"""The batch ledger and the bulk recipient upsert speak PostgreSQL too (production)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from content_calendar.database import alembic_config
from publisher.db import Database
from publisher.outbox import sms_status
from publisher.outbox.sms_status import ACCEPTED, FAILED, BatchRange, BatchRecord, RecipientResult
from tests.postgres import postgres_url  # noqa: F401  (fixture)

A, B = "+4915100000001", "+4915100000002"


@pytest.fixture
def pg_database(postgres_url: str) -> Iterator[Database]:  # noqa: F811
    from alembic import command

    name = f"ledger_{uuid.uuid4().hex[:10]}"
    admin = create_engine(f"{postgres_url.rsplit('/', 1)[0]}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = f"{postgres_url.rsplit('/', 1)[0]}/{name}"
    command.upgrade(alembic_config(url), "head")
    db = Database(url)
    yield db
    db.engine.dispose()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def record(db: Database, status: str, results: list[RecipientResult]) -> None:
    batch = BatchRange(0, -10, -8, status)
    sms_status.record_batch(db, BatchRecord("key", "sms", "gatewayapi", batch, 2, results, None))


def test_a_failed_batch_then_its_retry_end_accepted_and_accepted_never_goes_back(
    pg_database: Database,
) -> None:
    record(pg_database, FAILED, [RecipientResult(A, FAILED, None, "503"), RecipientResult(B, FAILED)])
    record(pg_database, ACCEPTED, [RecipientResult(A, ACCEPTED, "m1"), RecipientResult(B, ACCEPTED, "m1")])
    record(pg_database, FAILED, [RecipientResult(A, FAILED, None, "late")])  # must not undo
    assert sms_status.statuses_for(pg_database, "key") == {A: ACCEPTED, B: ACCEPTED}
    assert sms_status.tally(pg_database, "key") == {ACCEPTED: 2}
    assert sms_status.batch_ledger(pg_database, "key")[0].status == ACCEPTED  # stays accepted
