"""Database engine, sessions and the declarative base shared by all models."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Engine, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from publisher import sqlite_writer
from publisher.sqlite_writer import WriterLockedConnection


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and always returns them aware (SQLite drops tzinfo)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    pass


def make_engine(database_url: str) -> Engine:
    if database_url.startswith("sqlite"):
        engine = create_engine(
            database_url,
            connect_args={
                "timeout": 30,
                "check_same_thread": False,
                "factory": WriterLockedConnection,  # writers queue instead of sleeping (issue 16)
            },
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # WAL lets the web app read while workers write; busy_timeout makes
            # concurrent writers from several processes wait instead of failing.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA secure_delete=ON")  # deleted numbers leave no bytes (GDPR)
            cur.close()

        @event.listens_for(engine, "checkout")
        def _checkpoint_rule(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
            # At checkout, not connect: a background process may declare itself after its
            # first connections were made (sqlite_writer.checkpoint_pages).
            pages = sqlite_writer.checkpoint_pages()
            if record.info.get("wal_autocheckpoint") != pages:
                cur = dbapi_conn.cursor()
                cur.execute(f"PRAGMA wal_autocheckpoint={pages:d}")
                cur.close()
                record.info["wal_autocheckpoint"] = pages

        return engine
    return create_engine(database_url, pool_pre_ping=True)


class Database:
    """An engine plus a session factory; one per process."""

    def __init__(self, database_url: str) -> None:
        self.url = database_url
        self.engine = make_engine(database_url)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        session = self.sessionmaker()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()


_databases: dict[str, Database] = {}
_databases_lock = threading.Lock()


def database_for(database_url: str) -> Database:
    """This process's one Database (engine and connection pool) for ``database_url``."""
    with _databases_lock:
        db = _databases.get(database_url)
        if db is None:
            db = _databases[database_url] = Database(database_url)
    return db


def close_databases() -> None:
    """Close the pooled connections of every Database built so far and forget them.

    A Database still held somewhere keeps working (it opens connections again when used);
    the next :func:`database_for` builds a new one. Tests call it after each test: every
    test's database would otherwise keep its files open for the rest of the run.
    """
    with _databases_lock:
        built = list(_databases.values())
        _databases.clear()
    for db in built:
        db.engine.dispose()
