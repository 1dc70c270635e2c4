"""Schema migrations (Alembic only) and the per-process database handle."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from publisher.db import Database, database_for, make_engine
from publisher.settings import Settings

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"

# Until December 2026 the history had three heads, each revising 0001 directly.
# Installations migrated then keep one alembic_version row per head they applied.
# The history is now the line 0001 -> 0300 -> 0100 -> 0200: the order the revisions
# were written in, so every stamp an older checkout could leave (0300 alone, or
# 0300 + 0100, or all three) is a prefix of the line and maps to its last revision.
LEGACY_BRANCH_POINT = "0001"
LEGACY_HEADS = frozenset({"0100_sms_recipient_status", "0200_content_calendar", "0300_crisis_queue"})


class SchemaVersionError(RuntimeError):
    """The database is stamped with schema revisions this code cannot upgrade from."""


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def migrate(settings: Settings) -> None:
    """Bring the schema to the head of the (linear) history."""
    settings.home.mkdir(parents=True, exist_ok=True)
    config = alembic_config(settings.database_url)
    collapse_legacy_heads(config, settings.database_url)
    command.upgrade(config, "head")


def collapse_legacy_heads(config: Config, database_url: str) -> None:
    """Replace the several rows of an old three-headed stamp by the one equivalent revision.

    Refuses (SchemaVersionError) a stamp it does not recognise instead of guessing.
    """
    stamped = stamped_revisions(database_url)
    target = equivalent_revision(linear_history(config), stamped)
    if target is None:
        return
    command.stamp(config, target, purge=True)
    log.info("collapsed legacy alembic_version rows %s into %s", ", ".join(sorted(stamped)), target)


def stamped_revisions(database_url: str) -> tuple[str, ...]:
    """The rows of alembic_version (none for a new database); read in its own short connection."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return tuple(MigrationContext.configure(connection).get_current_heads())
    finally:
        engine.dispose()


def linear_history(config: Config) -> list[str]:
    """Revision ids from the first to the head."""
    script = ScriptDirectory.from_config(config)
    return [revision.revision for revision in reversed(list(script.walk_revisions()))]


def equivalent_revision(history: Sequence[str], stamped: Sequence[str]) -> str | None:
    """The single revision a multi-row legacy stamp stands for; None when nothing is to collapse."""
    unknown = sorted(set(stamped) - set(history))
    if unknown:
        raise SchemaVersionError(
            f"Die Datenbank trägt den unbekannten Schema-Stand {', '.join(unknown)}. "
            "Diese Ernstfall-Version kennt ihn nicht (war eine neuere Version installiert?). "
            "Bitte die passende Ernstfall-Version verwenden oder die Datenbank aus der Sicherung holen."
        )
    if len(stamped) <= 1:
        return None
    if not set(stamped) <= LEGACY_HEADS:
        raise SchemaVersionError(
            f"Die Datenbank trägt mehrere Schema-Stände zugleich ({', '.join(sorted(stamped))}); "
            "diese Kombination stammt aus keiner früheren Ernstfall-Version. Nichts wurde geändert."
        )
    applied = set(stamped) | {LEGACY_BRANCH_POINT}
    prefix = list(history[: len(applied)])
    if set(prefix) != applied:
        missing = [revision for revision in prefix if revision not in applied]
        raise SchemaVersionError(
            f"Die Datenbank trägt die Schema-Stände {', '.join(sorted(stamped))} "
            f"ohne {', '.join(missing)}; so einen Stand hat keine frühere Ernstfall-Version angelegt. "
            "Nichts wurde geändert: bitte die Datenbank aus der Sicherung holen."
        )
    return prefix[-1]


def get_database(settings: Settings) -> Database:
    """One engine per URL per process (:func:`publisher.db.database_for`)."""
    return database_for(settings.database_url)
