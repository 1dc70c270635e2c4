"""DATABASE_URL selects PostgreSQL: migrations, the outbox claim and alert idempotency there."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from content_calendar.database import get_database, migrate
from publisher.channels.base import Message
from publisher.models import Channel
from publisher.outbox import claim, create_delivery, process_delivery
from publisher.settings import Settings, load_settings
from publisher.vocabulary import DeliveryState
from tests.postgres import postgres_url  # noqa: F401  (fixture)


@pytest.fixture
def pg_settings(postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:  # noqa: F811
    monkeypatch.setenv("ERNSTFALL_HOME", str(tmp_path / "instance"))
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    monkeypatch.delenv("REDIS_URL", raising=False)
    settings = load_settings()
    migrate(settings)
    with get_database(settings).session() as session:
        session.execute(text("TRUNCATE deliveries, delivery_log, channels RESTART IDENTITY CASCADE"))
    return settings


def test_migrations_build_the_schema_on_postgres(pg_settings: Settings) -> None:
    with get_database(pg_settings).session() as session:
        tables = set(session.scalars(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")))
    assert {"deliveries", "channels", "posts", "alerts", "alert_templates", "users"} <= tables


def test_claim_and_send_on_postgres(pg_settings: Settings) -> None:
    db = get_database(pg_settings)
    with db.session() as session:
        channel = Channel(name="vorschau", type="preview")
        session.add(channel)
        delivery = create_delivery(
            session,
            channel=channel,
            lane="crisis",
            message=Message(text="Test"),
            settings=pg_settings,
            source_kind="manual",
            source_id=None,
        )
        session.flush()
        delivery_id = delivery.id
    with db.session() as session:
        assert claim(session, delivery_id, pg_settings) is not None
    with db.session() as session:
        assert claim(session, delivery_id, pg_settings) is None  # exclusive
        session.execute(text("UPDATE deliveries SET state = 'pending'"))
    assert process_delivery(db, delivery_id, pg_settings) == DeliveryState.PREVIEWED  # a preview channel
