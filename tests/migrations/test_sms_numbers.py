"""Migration 0900: every stored subscriber number ends up in E.164 (the SMS worker sends
them as stored), on SQLite and on PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from content_calendar.database import alembic_config
from publisher.db import make_engine
from tests.migrations.conftest import DatabaseFactory

BEFORE = "0800_channel_health"
ROWS = [
    ("+4915123456789", "active"),  # as sign-up stores it: untouched
    ("0151 23456789", "active"),  # the same person again, typed by hand: dropped
    ("0170 1234567", "active"),  # normalised
    ("+49 (176) 123-4567", "pending"),  # normalised, state kept
    ("12345", "active"),  # no phone number: receives nothing
]


def test_numbers_are_normalised_duplicates_dropped_and_invalid_ones_switched_off(
    new_database: DatabaseFactory,
) -> None:
    url = new_database()
    config = alembic_config(url)
    command.upgrade(config, BEFORE)
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            for phone, status in ROWS:
                connection.execute(
                    sa.text(
                        "INSERT INTO sms_subscribers "
                        "(phone, language, area, status, code_attempts, created_at) "
                        "VALUES (:phone, 'de', '', :status, 0, CURRENT_TIMESTAMP)"
                    ),
                    {"phone": phone, "status": status},
                )
        command.upgrade(config, "0900_sms_batches")
        with engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT phone, status FROM sms_subscribers ORDER BY id")).all()
            batches = connection.execute(sa.text("SELECT count(*) FROM sms_batches")).scalar()
    finally:
        engine.dispose()
    assert [tuple(r) for r in rows] == [
        ("+4915123456789", "active"),
        ("+491701234567", "active"),
        ("+491761234567", "pending"),
        ("12345", "invalid"),
    ]
    assert batches == 0
