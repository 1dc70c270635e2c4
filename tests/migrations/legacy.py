"""The migration history as installations ran it until it became linear, and rows in the
shape of that schema.

Until December 2026 revisions 0100, 0200 and 0300 each revised 0001 directly (three heads;
0300 carried the branch label "crisis"). `legacy_config` rebuilds that graph from today's
revision files, changing only the graph lines, so a test can migrate a database exactly
the way an old installation was migrated.
"""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.config import Config

from content_calendar.calendar.post_model import PostState
from content_calendar.database import MIGRATIONS
from publisher.db import UTCDateTime, make_engine
from publisher.vocabulary import AlertLevel, CapMsgType, CapStatus

# file -> (down_revision, branch_labels) in the old three-headed graph
OLD_GRAPH: dict[str, tuple[str | None, tuple[str, ...] | None]] = {
    "0001_initial_schema.py": (None, None),
    "0100_sms_recipient_status.py": ("0001", None),
    "0200_content_calendar.py": ("0001", None),
    "0300_crisis_queue.py": ("0001", ("crisis",)),
}
OLD_HEADS = {"0100_sms_recipient_status", "0200_content_calendar", "0300_crisis_queue"}


def legacy_config(database_url: str, folder: Path) -> Config:
    """An Alembic config whose script location holds the old three-headed graph."""
    location = folder / "legacy_migrations"
    if not location.exists():
        _write_legacy_scripts(location)
    config = Config()
    config.set_main_option("script_location", str(location))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def _write_legacy_scripts(location: Path) -> None:
    (location / "versions").mkdir(parents=True)
    for name in ("env.py", "script.py.mako"):
        shutil.copy(MIGRATIONS / name, location / name)
    for name, (down_revision, branch_labels) in OLD_GRAPH.items():
        source = (MIGRATIONS / "versions" / name).read_text(encoding="utf-8")
        source = _replace_line(source, "down_revision", down_revision)
        source += f"branch_labels = {branch_labels!r}\n"  # revision files leave it out (None)
        (location / "versions" / name).write_text(source, encoding="utf-8")


def _replace_line(source: str, name: str, value: object) -> str:
    patched, count = re.subn(rf"^{name} = .*$", f"{name} = {value!r}", source, flags=re.MULTILINE)
    assert count == 1, f"{name} not found exactly once in a revision file"
    return patched


_metadata = sa.MetaData()
# Only columns that existed when 0100, 0200 and 0300 were the three heads.
USERS = sa.Table(
    "users",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(80)),
    sa.Column("display_name", sa.String(200)),
    sa.Column("email", sa.String(200)),
    sa.Column("password_hash", sa.String(300)),
    sa.Column("roles", sa.String(200)),
    sa.Column("active", sa.Boolean),
    sa.Column("created_at", UTCDateTime),
)
POSTS = sa.Table(
    "posts",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("title", sa.String(200)),
    sa.Column("text", sa.Text),
    sa.Column("variants", sa.JSON),
    sa.Column("link", sa.String(1000)),
    sa.Column("media", sa.JSON),
    sa.Column("theme", sa.String(100)),
    sa.Column("channel_ids", sa.JSON),
    sa.Column("publish_at", UTCDateTime),
    sa.Column("state", sa.String(20)),
    sa.Column("author_id", sa.Integer),
    sa.Column("approver_id", sa.Integer),
    sa.Column("approved_at", UTCDateTime),
    sa.Column("created_at", UTCDateTime),
    sa.Column("updated_at", UTCDateTime),
)
ALERT_TEMPLATES = sa.Table(
    "alert_templates",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("key", sa.String(80)),
    sa.Column("version", sa.Integer),
    sa.Column("name", sa.String(200)),
    sa.Column("event", sa.String(200)),
    sa.Column("level", sa.String(20)),
    sa.Column("cap", sa.JSON),
    sa.Column("channel_names", sa.JSON),
    sa.Column("texts", sa.JSON),
    sa.Column("placeholders", sa.JSON),
    sa.Column("current", sa.Boolean),
    sa.Column("created_by_id", sa.Integer),
    sa.Column("approved_by_id", sa.Integer),
    sa.Column("approved_at", UTCDateTime),
    sa.Column("created_at", UTCDateTime),
    sa.Column("change_note", sa.Text),
    sa.Column("check_report", sa.JSON),
)
ALERTS = sa.Table(
    "alerts",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("identifier", sa.String(200)),
    sa.Column("idempotency_key", sa.String(200)),
    sa.Column("template_id", sa.Integer),
    sa.Column("msg_type", sa.String(20)),
    sa.Column("status", sa.String(20)),
    sa.Column("level", sa.String(20)),
    sa.Column("headline", sa.String(300)),
    sa.Column("texts", sa.JSON),
    sa.Column("variables", sa.JSON),
    sa.Column("active", sa.Boolean),
    sa.Column("created_by_id", sa.Integer),
    sa.Column("created_at", UTCDateTime),
    sa.Column("console_opened_at", UTCDateTime),
)
TABLES = (USERS, POSTS, ALERT_TEMPLATES, ALERTS)

Rows = dict[str, list[dict[str, Any]]]


def old_rows() -> Rows:
    """A user who wrote a post, approved an alert template and sent an alert from it."""
    at = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)
    return {
        "users": [
            {
                "id": 1,
                "username": "krisenstab",
                "display_name": "Krisenstab Bad Neuenahr",
                "email": "krisenstab@example.org",
                "password_hash": "scrypt:not-a-real-hash",
                "roles": "crisis,editor,approver",
                "active": True,
                "created_at": at,
            }
        ],
        "posts": [
            {
                "id": 1,
                "title": "Hundefoto der Woche",
                "text": "Bello grüßt vom Marktplatz 🐶",
                "variants": {"x": "Bello grüßt!"},
                "link": "https://example.org/bello",
                "media": [],
                "theme": "Alltag",
                "channel_ids": [1, 2],
                "publish_at": datetime(2026, 12, 5, 10, 0, tzinfo=UTC),
                "state": PostState.APPROVED,
                "author_id": 1,
                "approver_id": 1,
                "approved_at": at,
                "created_at": at,
                "updated_at": at,
            }
        ],
        "alert_templates": [
            {
                "id": 1,
                "key": "hochwasser",
                "version": 2,
                "name": "Hochwasser",
                "event": "Hochwasser",
                "level": AlertLevel.SEVERE,
                "cap": {"category": "Met", "urgency": "Immediate"},
                "channel_names": ["sms", "banner"],
                "texts": {"de": "Pegel {pegel} m – Keller räumen."},
                "placeholders": ["pegel"],
                "current": True,
                "created_by_id": 1,
                "approved_by_id": 1,
                "approved_at": at,
                "created_at": at,
                "change_note": "Pegelangabe ergänzt",
                "check_report": {"sms": []},
            }
        ],
        "alerts": [
            {
                "id": 1,
                "identifier": "urn:ernstfall:alert:1",
                "idempotency_key": "hochwasser-2026-11-28",
                "template_id": 1,
                "msg_type": CapMsgType.ALERT,
                "status": CapStatus.ACTUAL,
                "level": AlertLevel.SEVERE,
                "headline": "Hochwasser an der Ahr",
                "texts": {"de": "Pegel 4,20 m – Keller räumen."},
                "variables": {"pegel": "4,20"},
                "active": True,
                "created_by_id": 1,
                "created_at": at,
                "console_opened_at": at,
            }
        ],
    }


def insert_rows(database_url: str, rows: Rows) -> None:
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            for table in TABLES:
                connection.execute(table.insert(), rows[table.name])
    finally:
        engine.dispose()


def _all(connection: sa.Connection, table: sa.Table) -> list[dict[str, Any]]:
    return [dict(row._mapping) for row in connection.execute(table.select().order_by(table.c.id))]


def read_rows(database_url: str) -> Rows:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return {table.name: _all(connection, table) for table in TABLES}
    finally:
        engine.dispose()
