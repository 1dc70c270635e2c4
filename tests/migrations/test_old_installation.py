"""An installation migrated with the old three-headed history upgrades with the new code:
its rows stay, its alembic_version collapses to one revision, odd stamps are refused."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from content_calendar.database import SchemaVersionError, migrate, stamped_revisions
from publisher.db import make_engine
from publisher.settings import Settings
from tests.migrations.conftest import DatabaseFactory
from tests.migrations.legacy import OLD_HEADS, insert_rows, legacy_config, old_rows, read_rows
from tests.migrations.schema import HEAD, schema_of

REPO = Path(__file__).resolve().parents[2]


def old_installation(url: str, folder: Path, *revisions: str) -> None:
    """Migrate the way an old checkout did: `upgrade heads`, or to the named heads one by one."""
    config = legacy_config(url, folder)
    for revision in revisions or ("heads",):
        command.upgrade(config, revision)


def test_an_old_three_headed_installation_upgrades_with_its_rows_intact(
    new_database: DatabaseFactory,
    settings_for: Callable[[str], Settings],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = new_database()
    old_installation(url, tmp_path)
    assert set(stamped_revisions(url)) == OLD_HEADS
    rows = old_rows()
    insert_rows(url, rows)

    with caplog.at_level(logging.INFO, logger="content_calendar.database"):
        migrate(settings_for(url))

    assert stamped_revisions(url) == (HEAD,)
    assert read_rows(url) == rows
    assert "into 0200_content_calendar" in caplog.text
    fresh = new_database()
    migrate(settings_for(fresh))
    assert schema_of(url) == schema_of(fresh)


@pytest.mark.parametrize(
    "revisions",
    [("0300_crisis_queue",), ("0300_crisis_queue", "0100_sms_recipient_status")],
    ids=["crisis-queue-only", "crisis-queue-and-sms-status"],
)
def test_an_installation_from_an_earlier_checkout_gets_the_revisions_it_missed(
    revisions: tuple[str, ...], settings_for: Callable[[str], Settings], tmp_path: Path
) -> None:
    url, fresh = f"sqlite:///{tmp_path / 'old.db'}", f"sqlite:///{tmp_path / 'fresh.db'}"
    old_installation(url, tmp_path, *revisions)
    assert set(stamped_revisions(url)) == set(revisions)
    rows = old_rows()
    insert_rows(url, rows)

    migrate(settings_for(url))

    assert stamped_revisions(url) == (HEAD,)
    assert read_rows(url) == rows
    migrate(settings_for(fresh))
    assert schema_of(url) == schema_of(fresh)


def test_it_refuses_a_stamp_with_a_gap_with_a_german_message_and_changes_nothing(
    settings_for: Callable[[str], Settings], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'odd.db'}"
    old_installation(url, tmp_path, "0100_sms_recipient_status", "0200_content_calendar")

    with pytest.raises(SchemaVersionError, match="ohne 0300_crisis_queue.*Nichts wurde geändert"):
        migrate(settings_for(url))

    assert set(stamped_revisions(url)) == {"0100_sms_recipient_status", "0200_content_calendar"}
    assert "sms_subscribers" not in schema_of(url)


def test_it_refuses_a_revision_it_does_not_know_with_a_german_message(
    settings_for: Callable[[str], Settings], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'newer.db'}"
    settings = settings_for(url)
    migrate(settings)
    set_stamp(url, "0900_from_a_newer_version")

    with pytest.raises(SchemaVersionError, match="unbekannten Schema-Stand 0900_from_a_newer_version"):
        migrate(settings)

    assert stamped_revisions(url) == ("0900_from_a_newer_version",)


def test_it_refuses_several_rows_that_no_old_version_wrote(
    settings_for: Callable[[str], Settings], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'mixed.db'}"
    migrate(settings_for(url))
    set_stamp(url, "0001", "0300_crisis_queue")

    refusal = r"mehrere Schema-Stände zugleich \(0001, 0300_crisis_queue\)"
    with pytest.raises(SchemaVersionError, match=refusal):
        migrate(settings_for(url))

    assert set(stamped_revisions(url)) == {"0001", "0300_crisis_queue"}


def set_stamp(url: str, *revisions: str) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text("DELETE FROM alembic_version"))
            for revision in revisions:
                connection.execute(sa.text("INSERT INTO alembic_version VALUES (:r)"), {"r": revision})
    finally:
        engine.dispose()


def test_ernstfall_init_upgrades_an_old_database(tmp_path: Path) -> None:
    home = tmp_path / "instance"
    home.mkdir()
    url = f"sqlite:///{home / 'ernstfall.db'}"
    old_installation(url, tmp_path)
    rows = old_rows()
    insert_rows(url, rows)

    result = subprocess.run(
        [sys.executable, "-m", "workers.cli", "init"],
        cwd=REPO,
        env=cli_environment(home),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert "Datenbank bereit" in result.stdout
    assert "collapsed legacy alembic_version rows" in result.stderr
    assert stamped_revisions(url) == (HEAD,)
    assert read_rows(url) == rows
    assert (home / "channels.toml").exists()


def cli_environment(home: Path) -> dict[str, str]:
    unset = {"DATABASE_URL", "REDIS_URL", "ERNSTFALL_CHANNELS", "ERNSTFALL_PUBLIC_DIR", "ERNSTFALL_MEDIA_DIR"}
    env = {name: value for name, value in os.environ.items() if name not in unset}
    env["ERNSTFALL_HOME"] = str(home)
    return env
