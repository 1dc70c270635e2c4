"""Upgrade, downgrade to nothing and upgrade again, on SQLite and on PostgreSQL; and the
linear history builds exactly the schema the old three heads built."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command

from content_calendar.database import alembic_config, migrate, stamped_revisions
from publisher.settings import Settings
from tests.migrations.conftest import DatabaseFactory
from tests.migrations.legacy import legacy_config
from tests.migrations.schema import HEAD, schema_of, table_names

CORE_TABLES = {
    "users",
    "channels",
    "posts",
    "deliveries",
    "alerts",
    "alert_templates",
    "sms_recipient_status",
    "sms_subscribers",
    "post_comments",
    "queue_slots",
    "calendar_feeds",
}


def test_it_upgrades_downgrades_to_base_and_upgrades_again(
    new_database: DatabaseFactory, settings_for: Callable[[str], Settings]
) -> None:
    url = new_database()
    settings = settings_for(url)
    migrate(settings)
    assert table_names(url) >= CORE_TABLES
    assert stamped_revisions(url) == (HEAD,)
    built = schema_of(url)

    command.downgrade(alembic_config(url), "base")
    assert table_names(url) == set()
    assert stamped_revisions(url) == ()

    migrate(settings)
    assert schema_of(url) == built
    assert stamped_revisions(url) == (HEAD,)


def test_the_linear_history_builds_the_schema_the_three_heads_built(
    new_database: DatabaseFactory, settings_for: Callable[[str], Settings], tmp_path: Path
) -> None:
    old, new = new_database(), new_database()
    command.upgrade(legacy_config(old, tmp_path), "heads")
    # Later revisions append to the line; compare at the revision the three heads collapse to.
    command.upgrade(alembic_config(new), "0200_content_calendar")
    assert schema_of(new) == schema_of(old)
