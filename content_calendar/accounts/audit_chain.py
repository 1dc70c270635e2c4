"""The audit log as a hash chain: an edited, removed or inserted entry is detectable.

Every entry stores a running number (``seq``), the hash of its own canonical content
(``content_hash``) and ``hash = sha256(prev_hash + content_hash)``, where ``prev_hash``
is the hash of the entry before it. One row in ``audit_chain`` holds the last number and
hash; writing an entry locks that row (an UPDATE, so on PostgreSQL a row lock and on
SQLite the write lock), which makes concurrent writers take their turns, so the chain
never forks. The database refuses UPDATE and DELETE on ``audit_events`` (triggers, see
migration 0600), with one exception: the GDPR redaction of a phone number
(:func:`redact`), which replaces ``detail`` and marks the entry ``redacted``. A redacted
entry keeps its hashes, so the chain stays verifiable; its content is then taken on trust.

Entries are sealed in a mapper event, so every way of adding an ``AuditEvent`` is chained.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select, text, update
from sqlalchemy.orm import Session

GENESIS = "0" * 64
REDACTION_FLAG = "ernstfall.audit_redaction"


class ChainMissing(RuntimeError):
    """The database has no chain head: it was not built by the migrations."""


def canonical_content(
    *,
    seq: int,
    at: datetime,
    user_id: int | None,
    action: str,
    object_kind: str | None,
    object_id: int | None,
    detail: Any,
) -> bytes:
    """The bytes an entry's ``content_hash`` covers; this format must never change."""
    # A JSON round trip first: the column stores JSON, so the value read back is this one.
    stored_detail = json.loads(json.dumps(detail if detail is not None else {}))
    document = {
        "seq": seq,
        "at": at.astimezone(UTC).isoformat(),
        "user_id": user_id,
        "action": action,
        "object_kind": object_kind,
        "object_id": object_id,
        "detail": stored_detail,
    }
    return json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def link_hash(prev_hash: str, content_hash: str) -> str:
    return sha256_hex(f"{prev_hash}{content_hash}".encode())


def content_hash_of(event: Any) -> str:
    return sha256_hex(
        canonical_content(
            seq=event.seq,
            at=event.at,
            user_id=event.user_id,
            action=event.action,
            object_kind=event.object_kind,
            object_id=event.object_id,
            detail=event.detail,
        )
    )


def seal(connection: Connection, event: Any, chain_table: Any, now: datetime) -> None:
    """Give ``event`` its number and hashes, and move the chain head on (same transaction)."""
    if event.at is None:
        event.at = now
    if event.detail is None:
        event.detail = {}
    head = connection.execute(
        update(chain_table)
        .where(chain_table.c.id == 1)
        .values(entries=chain_table.c.entries + 1)
        .returning(chain_table.c.entries, chain_table.c.last_hash)
    ).one_or_none()
    if head is None:
        raise ChainMissing("audit_chain has no head row: run 'ernstfall migrate'")
    event.seq, event.prev_hash = head.entries, head.last_hash
    event.content_hash = content_hash_of(event)
    event.hash = link_hash(event.prev_hash, event.content_hash)
    event.redacted = False
    connection.execute(update(chain_table).where(chain_table.c.id == 1).values(last_hash=event.hash))


def redact(session: Session, event: Any, detail: Any) -> None:
    """Replace an entry's ``detail`` (GDPR erasure of a phone number): the one allowed edit.

    On PostgreSQL the trigger lets it pass only while this transaction carries the
    redaction flag, which is switched off again right after the update.
    """
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        session.execute(text("SELECT set_config(:name, 'on', true)"), {"name": REDACTION_FLAG})
    event.detail = detail
    event.redacted = True
    session.flush()
    if postgres:
        session.execute(text("SELECT set_config(:name, 'off', true)"), {"name": REDACTION_FLAG})


@dataclass(frozen=True)
class Verdict:
    checked: int
    redacted: int
    broken: str | None  # what is wrong with the first bad entry, None when the chain holds
    last_hash: str = GENESIS  # the newest entry's hash: note it elsewhere as an anchor

    @property
    def ok(self) -> bool:
        return self.broken is None


def _describe(event: Any) -> str:
    return f"Eintrag {event.id} (Nr. {event.seq}, {event.action}, {event.at:%Y-%m-%d %H:%M:%S} UTC)"


def _problem(event: Any, expected_seq: int, prev_hash: str) -> str | None:
    if event.seq != expected_seq:
        return f"vor {_describe(event)} fehlen die Einträge Nr. {expected_seq} bis {event.seq - 1}"
    if event.prev_hash != prev_hash:
        return f"{_describe(event)}: Verweis auf den Vorgänger stimmt nicht (Eintrag davor verändert?)"
    if not event.redacted and event.content_hash != content_hash_of(event):
        return f"{_describe(event)}: Inhalt wurde nachträglich verändert"
    if event.hash != link_hash(event.prev_hash, event.content_hash):
        return f"{_describe(event)}: Prüfsumme stimmt nicht"
    return None


def _entries(session: Session, event_model: Any) -> Iterator[Any]:
    query = select(event_model).order_by(event_model.seq).execution_options(yield_per=1000)
    yield from session.scalars(query)


def verify(session: Session, event_model: Any, chain_model: Any) -> Verdict:
    """Walk the chain from the first entry; stop at the first entry that does not fit."""
    expected_seq, prev_hash, checked, redacted = 1, GENESIS, 0, 0
    for event in _entries(session, event_model):
        problem = _problem(event, expected_seq, prev_hash)
        if problem is not None:
            return Verdict(checked, redacted, problem)
        checked += 1
        redacted += bool(event.redacted)
        expected_seq, prev_hash = event.seq + 1, event.hash
    head = session.get(chain_model, 1)
    if head is None:
        return Verdict(checked, redacted, "Kopf der Kette (audit_chain) fehlt")
    if head.entries > checked:
        missing = f"nach Nr. {checked} fehlen die Einträge bis Nr. {head.entries} (Ende der Kette entfernt)"
        return Verdict(checked, redacted, missing)
    if head.entries != checked or head.last_hash != prev_hash:
        return Verdict(checked, redacted, f"Kopf der Kette passt nicht zum letzten Eintrag Nr. {checked}")
    return Verdict(checked, redacted, None, prev_hash)
