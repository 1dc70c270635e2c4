"""SQLite writers queue on one lock and are handed it when the last one commits (issue 16).

The tests turn SQLite's own busy handler off (``busy_timeout=0``): two writers that met
would then fail at once with "database is locked". That they both succeed shows the
writer lock orders them; nothing here measures time.
"""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from publisher import sqlite_writer
from publisher.db import Database
from publisher.sqlite_writer import GiveWay, WriterLockedConnection

TIMEOUT = 20  # only so that a broken lock fails the test instead of hanging it


def connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, factory=WriterLockedConnection, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA busy_timeout=0")  # SQLite alone would refuse a second writer at once
    return connection


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "writer.sqlite"
    with connect(path) as connection:
        connection.execute("CREATE TABLE log (who TEXT NOT NULL)")
    yield path
    sqlite_writer.give_way(None)


def rows(path: Path) -> list[str]:
    with sqlite3.connect(path) as connection:
        return [who for (who,) in connection.execute("SELECT who FROM log ORDER BY rowid")]


def write_after(path: Path, who: str, started: threading.Event, errors: list[BaseException]) -> None:
    started.wait(TIMEOUT)
    try:
        connection = connect(path)
        connection.execute("INSERT INTO log VALUES (?)", (who,))
        connection.commit()
        connection.close()
    except BaseException as exc:  # reported by the test
        errors.append(exc)


def next_writer_gets_through(path: Path, who: str) -> bool:
    """Another writer (a thread with its own connection) writes and commits in time."""
    started, errors = threading.Event(), []
    writer = threading.Thread(target=write_after, args=(path, who, started, errors))
    writer.start()
    started.set()
    writer.join(TIMEOUT)
    return not writer.is_alive() and errors == []


def test_without_the_writer_lock_sqlite_refuses_the_second_writer_at_once(database: Path) -> None:
    first = connect(database)
    first.execute("INSERT INTO log VALUES ('first')")
    plain = sqlite3.connect(database)
    plain.execute("PRAGMA busy_timeout=0")
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        plain.execute("INSERT INTO log VALUES ('plain')")
    first.commit()


def test_a_second_writer_waits_for_the_first_to_commit_instead_of_failing(database: Path) -> None:
    first = connect(database)
    first.execute("INSERT INTO log VALUES ('first')")  # a write transaction is open
    started, errors = threading.Event(), []
    second = threading.Thread(target=write_after, args=(database, "second", started, errors))
    second.start()
    started.set()
    second.join(0.3)
    assert second.is_alive()  # queued on the lock, not failed
    first.execute("INSERT INTO log VALUES ('first again')")
    first.commit()
    second.join(TIMEOUT)
    assert not second.is_alive() and errors == []
    assert rows(database) == ["first", "first again", "second"]


def _hold_and_commit(path: str, holding: Any, go: Any) -> None:
    connection = connect(Path(path))
    connection.execute("INSERT INTO log VALUES ('other process')")
    holding.set()
    go.wait(TIMEOUT)
    connection.commit()


def test_writers_of_different_processes_queue_too(database: Path) -> None:
    context = multiprocessing.get_context("spawn")
    holding, go = context.Event(), context.Event()
    child = context.Process(target=_hold_and_commit, args=(str(database), holding, go))
    child.start()
    try:
        assert holding.wait(TIMEOUT)
        started, errors = threading.Event(), []
        writer = threading.Thread(target=write_after, args=(database, "this process", started, errors))
        writer.start()
        started.set()
        writer.join(0.3)
        assert writer.is_alive()
        go.set()
        writer.join(TIMEOUT)
        assert errors == []
    finally:
        go.set()
        child.join(TIMEOUT)
    assert rows(database) == ["other process", "this process"]


def test_readers_do_not_wait_for_a_writer(database: Path) -> None:
    writer = connect(database)
    writer.execute("INSERT INTO log VALUES ('uncommitted')")
    seen: list[list[str]] = []
    reader = threading.Thread(target=lambda: seen.append(rows(database)))
    reader.start()
    reader.join(TIMEOUT)
    assert seen == [[]]  # read at once, without the uncommitted row
    writer.commit()


def test_a_failed_statement_gives_the_lock_back(database: Path) -> None:
    first = connect(database)
    with pytest.raises(sqlite3.OperationalError):
        first.execute("INSERT INTO no_such_table VALUES (1)")
    assert next_writer_gets_through(database, "after failure")
    assert rows(database) == ["after failure"]


def test_a_rollback_gives_the_lock_back(database: Path) -> None:
    first = connect(database)
    first.execute("INSERT INTO log VALUES ('rolled back')")
    first.rollback()
    assert next_writer_gets_through(database, "after rollback")
    assert rows(database) == ["after rollback"]


def test_one_thread_writing_through_two_connections_does_not_wait_for_itself(database: Path) -> None:
    first = connect(database)
    first.execute("INSERT INTO log VALUES ('first')")
    second = connect(database)  # same thread: it skips the lock and meets SQLite's own refusal
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        second.execute("INSERT INTO log VALUES ('second')")
    first.commit()


@pytest.mark.parametrize(
    "answers",
    [
        pytest.param([True], id="under way before the background writer asked"),
        pytest.param([False, True], id="begun while the background writer queued"),
    ],
)
def test_a_background_writer_gives_way_while_an_alert_is_under_way(
    database: Path, answers: list[bool]
) -> None:
    asked = iter(answers)
    order: list[str] = []

    def wait_for_alert() -> None:
        order.append("background waits")
        alert = sqlite3.connect(database)  # the alert's writer: another process, without the rule
        alert.execute("INSERT INTO log VALUES ('alert')")  # possible only if the lock is not held
        alert.commit()

    sqlite_writer.give_way(GiveWay(pending=lambda: next(asked, False), wait=wait_for_alert))
    background = connect(database)
    background.execute("INSERT INTO log VALUES ('background')")
    background.commit()
    assert order == ["background waits"]
    assert rows(database) == ["alert", "background"]


def test_the_database_layer_uses_the_writer_lock_for_sqlite_files(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'app.sqlite'}")
    with db.engine.connect() as connection:
        raw = connection.connection.dbapi_connection
        assert isinstance(raw, WriterLockedConnection)
    assert (
        sqlite_writer.lock_path_for(str(tmp_path / "app.sqlite")) == f"{tmp_path / 'app.sqlite'}-writer.lock"
    )
    assert sqlite_writer.lock_path_for(":memory:") is None


def test_only_background_writers_checkpoint_the_log_at_sqlites_default(tmp_path: Path) -> None:
    """An alert's commit never pays for copying a release's log pages into the database file."""
    db = Database(f"sqlite:///{tmp_path / 'app.sqlite'}")

    def pages() -> int:
        with db.engine.connect() as connection:
            return int(connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one())

    assert pages() == sqlite_writer.ALERT_PATH_CHECKPOINT_PAGES  # web, crisis worker: a safety net only
    sqlite_writer.give_way(GiveWay(pending=lambda: False, wait=lambda: None))  # a background process
    try:
        assert pages() == sqlite_writer.BACKGROUND_CHECKPOINT_PAGES == 1000  # the same pooled connection
    finally:
        sqlite_writer.give_way(None)
    assert pages() == sqlite_writer.ALERT_PATH_CHECKPOINT_PAGES


def test_an_idle_connection_keeps_no_lock_descriptor_open(database: Path) -> None:
    """Processes keep many idle connections; select()-based libraries fail above fd 1023."""
    lock_file = sqlite_writer.lock_path_for(str(database))

    def lock_descriptors() -> int:
        found = 0
        for entry in Path("/proc/self/fd").iterdir():
            try:
                found += os.readlink(entry) == lock_file
            except OSError:  # closed meanwhile
                continue
        return found

    connection = connect(database)
    connection.execute("INSERT INTO log VALUES ('writing')")
    assert lock_descriptors() == 1  # held while the transaction is open
    connection.commit()
    assert lock_descriptors() == 0
    connection.close()


def test_background_writers_queue_one_at_a_time_through_the_gate_and_all_write(database: Path) -> None:
    sqlite_writer.give_way(GiveWay(pending=lambda: False, wait=lambda: None))
    holder = connect(database)
    holder.execute("INSERT INTO log VALUES ('holder')")  # every other writer has to queue
    started, errors = threading.Event(), []
    writers = [
        threading.Thread(target=write_after, args=(database, f"background {n}", started, errors))
        for n in range(4)
    ]
    for writer in writers:
        writer.start()
    started.set()
    holder.commit()
    for writer in writers:
        writer.join(TIMEOUT)
    assert errors == [] and not any(writer.is_alive() for writer in writers)
    assert sorted(rows(database)) == [*(f"background {n}" for n in range(4)), "holder"]


def test_a_writer_that_must_not_wait_fails_at_once_while_another_holds_the_lock(database: Path) -> None:
    first = connect(database)
    first.execute("INSERT INTO log VALUES ('first')")  # holds the lock until it commits
    errors: list[BaseException] = []

    def skippable_write() -> None:
        connection = connect(database)
        try:
            with sqlite_writer.without_waiting():
                connection.execute("INSERT INTO log VALUES ('skippable')")
        except sqlite3.OperationalError as exc:
            errors.append(exc)
        finally:
            connection.close()

    other = threading.Thread(target=skippable_write)
    other.start()
    other.join(TIMEOUT)
    assert not other.is_alive() and len(errors) == 1 and "locked" in str(errors[0])
    first.commit()
    assert next_writer_gets_through(database, "after")  # the failed attempt left no lock behind
    assert rows(database) == ["first", "after"]


def _background_write_after(path: str, queued: Any, go: Any) -> None:
    """A background process (one that gives way): queue for the lock, then write."""
    sqlite_writer.give_way(GiveWay(pending=lambda: False, wait=lambda: None))
    go.wait(TIMEOUT)
    connection = connect(Path(path))
    queued.set()
    connection.execute("INSERT INTO log VALUES ('background')")
    connection.commit()
    connection.close()


@pytest.mark.parametrize("run", range(5))
def test_an_alert_path_writer_goes_before_a_background_writer_that_queued_earlier(
    database: Path, run: int
) -> None:
    """The holder commits while both wait: the kernel may wake either; the alert path writes first."""
    context = multiprocessing.get_context("spawn")
    queued, go = context.Event(), context.Event()
    holder = connect(database)
    holder.execute("INSERT INTO log VALUES ('holder')")
    background = context.Process(target=_background_write_after, args=(str(database), queued, go))
    background.start()
    try:
        go.set()
        assert queued.wait(TIMEOUT)
        time.sleep(0.2)  # the background writer now waits for the writer lock
        started, errors = threading.Event(), []
        alert_path = threading.Thread(target=write_after, args=(database, "alert path", started, errors))
        alert_path.start()
        started.set()
        time.sleep(0.2)  # and so does the alert path's writer, behind it
        holder.commit()
        alert_path.join(TIMEOUT)
        assert errors == [] and not alert_path.is_alive()
    finally:
        go.set()
        background.join(TIMEOUT)
    assert background.exitcode == 0
    assert rows(database) == ["holder", "alert path", "background"]
