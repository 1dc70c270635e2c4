"""The audit log is append-only in the database and chained by hashes (issue 15).

Each test runs on SQLite and on PostgreSQL. Where a test edits the log, it first drops
the triggers, as someone with direct database access could: the chain must still tell.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import select, text

from content_calendar.accounts.audit_chain import redact
from content_calendar.accounts.models import AuditEvent, audit, verify_audit_chain
from content_calendar.database import alembic_config, get_database, linear_history, migrate
from publisher.db import Database
from publisher.settings import Settings
from tests.migrations.conftest import DatabaseFactory, backend, new_database, settings_for  # noqa: F401
from tests.postgres import postgres_url  # noqa: F401  (fixture)
from workers.cli import main

DROP_TRIGGERS = {
    "sqlite": [
        "DROP TRIGGER audit_events_no_update",
        "DROP TRIGGER audit_events_no_delete",
    ],
    "postgresql": [
        "DROP TRIGGER audit_events_no_change ON audit_events",
        "DROP TRIGGER audit_events_no_truncate ON audit_events",
    ],
}


@pytest.fixture
def audit_db(
    new_database: DatabaseFactory,  # noqa: F811
    settings_for: Callable[[str], Settings],  # noqa: F811
) -> Iterator[Database]:
    settings = settings_for(new_database())
    migrate(settings)
    db = get_database(settings)
    yield db
    db.engine.dispose()


def write_entries(db: Database, count: int, **detail: object) -> None:
    with db.session() as session:
        for number in range(count):
            audit(session, "test.entry", None, None, number=number, **detail)


def entry_ids(db: Database) -> list[int]:
    with db.session() as session:
        return list(session.scalars(select(AuditEvent.id).order_by(AuditEvent.seq)))


def tamper(db: Database, statement: str, **params: object) -> None:
    """What an attacker with database access does: drop the triggers, then edit."""
    with db.engine.begin() as connection:
        for drop in DROP_TRIGGERS[connection.dialect.name]:
            connection.execute(text(drop))
        connection.execute(text(statement), params)


def verify_cli(capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["audit", "verify"])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_audit_verify_says_how_many_entries_it_checked(
    audit_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    write_entries(audit_db, 5)
    write_entries(audit_db, 2, who="zweiter Schreibvorgang")
    code, output = verify_cli(capsys)
    assert code == 0, output
    assert "Audit-Protokoll in Ordnung: 7 Einträge geprüft." in output
    with audit_db.session() as session:
        events = session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
        assert f"Letzte Prüfsumme: {events[-1].hash}" in output
        assert [e.seq for e in events] == list(range(1, 8))
        assert all(
            later.prev_hash == earlier.hash for earlier, later in zip(events, events[1:], strict=False)
        )


@pytest.mark.parametrize("statement", ["UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events"])
def test_the_database_refuses_to_change_or_delete_an_audit_entry(audit_db: Database, statement: str) -> None:
    write_entries(audit_db, 3)
    with pytest.raises(sa.exc.DatabaseError) as refused, audit_db.engine.begin() as connection:
        connection.execute(text(statement))
    assert "Einträge werden nie geändert oder gelöscht" in str(refused.value)
    assert len(entry_ids(audit_db)) == 3


def test_the_database_refuses_to_empty_the_audit_log_or_its_chain_head(audit_db: Database) -> None:
    write_entries(audit_db, 1)
    truncate = "DELETE FROM audit_events" if audit_db.url.startswith("sqlite") else "TRUNCATE audit_events"
    for statement in (truncate, "DELETE FROM audit_chain"):
        with pytest.raises(sa.exc.DatabaseError), audit_db.engine.begin() as connection:
            connection.execute(text(statement))
    with audit_db.session() as session:
        verdict = verify_audit_chain(session)
    assert verdict.ok and verdict.checked == 1


def test_audit_verify_names_the_first_edited_entry(
    audit_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    write_entries(audit_db, 4)
    third = entry_ids(audit_db)[2]
    tamper(audit_db, "UPDATE audit_events SET user_id = NULL, action = 'harmlos' WHERE id = :id", id=third)
    code, output = verify_cli(capsys)
    assert code == 1
    assert f"Eintrag {third} (Nr. 3, harmlos" in output and "Inhalt wurde nachträglich verändert" in output
    assert "Davor 2 Einträge in Ordnung" in output


def test_audit_verify_finds_an_entry_removed_from_the_middle(
    audit_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    write_entries(audit_db, 4)
    ids = entry_ids(audit_db)
    tamper(audit_db, "DELETE FROM audit_events WHERE id = :id", id=ids[1])
    code, output = verify_cli(capsys)
    assert code == 1
    assert f"vor Eintrag {ids[2]} (Nr. 3" in output and "fehlen die Einträge Nr. 2 bis 2" in output


def test_audit_verify_finds_entries_removed_from_the_end(
    audit_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    write_entries(audit_db, 4)
    tamper(audit_db, "DELETE FROM audit_events WHERE seq > 2")
    code, output = verify_cli(capsys)
    assert code == 1
    assert "nach Nr. 2 fehlen die Einträge bis Nr. 4" in output


def test_audit_verify_finds_a_rewritten_chain_that_does_not_match_the_entry_before(
    audit_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    write_entries(audit_db, 3)
    second = entry_ids(audit_db)[1]
    tamper(audit_db, "UPDATE audit_events SET hash = :h WHERE id = :id", h="f" * 64, id=second)
    code, output = verify_cli(capsys)
    assert code == 1
    assert f"Eintrag {second} (Nr. 2" in output and "Prüfsumme stimmt nicht" in output


def test_erasing_a_phone_number_is_the_one_edit_allowed_and_the_chain_still_holds(
    audit_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    write_entries(audit_db, 1)
    write_entries(audit_db, 1, text="Rückruf an +49 151 23456789")
    with audit_db.session() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.seq == 2)).one()
        redact(session, event, {"number": 0, "text": "Rückruf an [Nummer gelöscht]"})
    code, output = verify_cli(capsys)
    assert code == 0, output
    assert "2 Einträge geprüft, davon 1 mit gelöschter Telefonnummer (DSGVO)" in output
    with audit_db.session() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.seq == 2)).one()
        assert event.redacted and event.detail["text"] == "Rückruf an [Nummer gelöscht]"


def test_a_redaction_may_not_touch_anything_but_the_detail(audit_db: Database) -> None:
    write_entries(audit_db, 1, text="+49 151 23456789")
    with pytest.raises(sa.exc.DatabaseError), audit_db.session() as session:
        event = session.scalars(select(AuditEvent)).one()
        event.action = "verschleiert"
        redact(session, event, {"text": "[Nummer gelöscht]"})
    with audit_db.session() as session:
        assert session.scalars(select(AuditEvent.action)).one() == "test.entry"


def test_setting_the_redacted_mark_alone_does_not_open_the_log_on_postgresql(audit_db: Database) -> None:
    if audit_db.url.startswith("sqlite"):
        pytest.skip("SQLite has no session flags; there the mark and the unchanged hashes are the gate")
    write_entries(audit_db, 1, text="+49 151 23456789")
    with pytest.raises(sa.exc.DatabaseError) as refused, audit_db.engine.begin() as connection:
        connection.execute(text("UPDATE audit_events SET detail = '{}', redacted = true"))
    assert "nie geändert" in str(refused.value)


def test_concurrent_writers_take_turns_and_the_chain_never_forks(audit_db: Database) -> None:
    errors: list[BaseException] = []

    def writer(name: str) -> None:
        try:
            for number in range(10):
                with audit_db.session() as session:
                    audit(session, "test.concurrent", None, None, writer=name, number=number)
        except BaseException as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    with audit_db.session() as session:
        verdict = verify_audit_chain(session)
    assert verdict.ok, verdict.broken
    assert verdict.checked == 40


def test_the_migration_chains_the_entries_an_installation_already_has(
    new_database: DatabaseFactory,  # noqa: F811
    settings_for: Callable[[str], Settings],  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = new_database()
    settings = settings_for(url)
    history = linear_history(alembic_config(url))
    command.upgrade(alembic_config(url), history[history.index("0700_audit_chain") - 1])
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        for number in range(3):
            connection.execute(
                text("INSERT INTO audit_events (at, action, detail) VALUES (:at, 'alt.eintrag', :detail)"),
                {"at": f"2026-11-0{number + 1} 10:00:00.000000", "detail": f'{{"n": {number}}}'},
            )
    engine.dispose()
    migrate(settings)
    write_entries(get_database(settings), 1)
    code, output = verify_cli(capsys)
    assert code == 0, output
    assert "4 Einträge geprüft" in output
