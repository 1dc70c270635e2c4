"""Audit log you can trust: hash chain, append-only triggers; remembered SMS report signatures.

Revision ID: 0700_audit_chain
Revises: 0600_dialog_inbox

Existing audit entries are chained in the order of their ids. Then triggers make the
database refuse UPDATE and DELETE on ``audit_events`` (and TRUNCATE on PostgreSQL). The
only update that passes is the GDPR redaction of a phone number: it may change
``detail`` and must set ``redacted``; everything else, hashes included, stays. On
PostgreSQL it must also carry the transaction flag ``ernstfall.audit_redaction = on``
(set by ``audit_chain.redact``).

Note for later migrations: on SQLite, ``batch_alter_table("audit_events")`` copies the
table and loses these triggers; create them again in the same migration.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import publisher.db
from content_calendar.accounts import audit_chain

revision = "0700_audit_chain"
down_revision = "0600_dialog_inbox"

REFUSAL = "Audit-Protokoll: Einträge werden nie geändert oder gelöscht"
KEPT_COLUMNS: tuple[str, ...] = ("id", "seq", "at", "user_id", "action", "object_kind", "object_id")
KEPT_COLUMNS += ("prev_hash", "content_hash", "hash")

SQLITE_TRIGGERS = (
    f"""
    CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
    WHEN NOT (NEW.redacted = 1 AND {" AND ".join(f"NEW.{c} IS OLD.{c}" for c in KEPT_COLUMNS)})
    BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END
    """,
    f"""
    CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
    BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END
    """,
    """
    CREATE TRIGGER audit_chain_no_delete BEFORE DELETE ON audit_chain
    BEGIN SELECT RAISE(ABORT, 'audit_chain: der Kopf der Kette wird nie gelöscht'); END
    """,
)
_same = " AND ".join(f"NEW.{c} IS NOT DISTINCT FROM OLD.{c}" for c in KEPT_COLUMNS)
POSTGRES_TRIGGERS = (
    f"""
    CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'UPDATE'
           AND coalesce(current_setting('{audit_chain.REDACTION_FLAG}', true), '') = 'on'
           AND NEW.redacted AND {_same} THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION '{REFUSAL} (%)', TG_OP USING ERRCODE = 'integrity_constraint_violation';
    END
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()
    """,
    """
    CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()
    """,
    """
    CREATE OR REPLACE FUNCTION audit_chain_keep_head() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'audit_chain: der Kopf der Kette wird nie gelöscht (%)', TG_OP
            USING ERRCODE = 'integrity_constraint_violation';
    END
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER audit_chain_no_delete BEFORE DELETE OR TRUNCATE ON audit_chain
    FOR EACH STATEMENT EXECUTE FUNCTION audit_chain_keep_head()
    """,
)
POSTGRES_DROPS = (
    "DROP TRIGGER IF EXISTS audit_chain_no_delete ON audit_chain",
    "DROP FUNCTION IF EXISTS audit_chain_keep_head()",
    "DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events",
    "DROP TRIGGER IF EXISTS audit_events_no_change ON audit_events",
    "DROP FUNCTION IF EXISTS audit_events_append_only()",
)
SQLITE_DROPS = (
    "DROP TRIGGER IF EXISTS audit_chain_no_delete",
    "DROP TRIGGER IF EXISTS audit_events_no_delete",
    "DROP TRIGGER IF EXISTS audit_events_no_update",
)

events = sa.table(
    "audit_events",
    sa.column("id", sa.Integer()),
    sa.column("seq", sa.Integer()),
    sa.column("at", publisher.db.UTCDateTime()),
    sa.column("user_id", sa.Integer()),
    sa.column("action", sa.String()),
    sa.column("object_kind", sa.String()),
    sa.column("object_id", sa.Integer()),
    sa.column("detail", sa.JSON()),
    sa.column("prev_hash", sa.String()),
    sa.column("content_hash", sa.String()),
    sa.column("hash", sa.String()),
)


def _chain_existing_entries(connection: sa.Connection) -> tuple[int, str]:
    """Number and hash every entry already written, oldest first; returns the head."""
    prev_hash, seq = audit_chain.GENESIS, 0
    for row in connection.execute(sa.select(events).order_by(events.c.id)).mappings().all():
        seq += 1
        content = audit_chain.sha256_hex(
            audit_chain.canonical_content(
                seq=seq,
                at=row["at"],
                user_id=row["user_id"],
                action=row["action"],
                object_kind=row["object_kind"],
                object_id=row["object_id"],
                detail=row["detail"],
            )
        )
        link = audit_chain.link_hash(prev_hash, content)
        connection.execute(
            events.update()
            .where(events.c.id == row["id"])
            .values(seq=seq, prev_hash=prev_hash, content_hash=content, hash=link)
        )
        prev_hash = link
    return seq, prev_hash


def _add_chain_columns() -> None:
    with op.batch_alter_table("audit_events") as batch:
        batch.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("prev_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("content_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("redacted", sa.Boolean(), nullable=False, server_default=sa.false()))


def _require_chain_columns() -> None:
    with op.batch_alter_table("audit_events") as batch:
        for name in ("seq", "prev_hash", "content_hash", "hash"):
            batch.alter_column(name, nullable=False)
    op.create_index("ix_audit_events_seq", "audit_events", ["seq"], unique=True)


def _create_chain_head(entries: int, last_hash: str) -> None:
    head = op.create_table(
        "audit_chain",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
    )
    op.bulk_insert(head, [{"id": 1, "entries": entries, "last_hash": last_hash}])


def _create_report_replays() -> None:
    op.create_table(
        "sms_report_replays",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("channel", sa.String(80), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("keep_until", publisher.db.UTCDateTime(), nullable=False),
        sa.UniqueConstraint("channel", "fingerprint", name="uq_sms_report_replays_channel_fingerprint"),
    )
    op.create_index("ix_sms_report_replays_keep_until", "sms_report_replays", ["keep_until"])


def upgrade() -> None:
    _add_chain_columns()
    entries, last_hash = _chain_existing_entries(op.get_bind())
    _require_chain_columns()
    _create_chain_head(entries, last_hash)
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRES_TRIGGERS if postgres else SQLITE_TRIGGERS:
        op.execute(statement)
    _create_report_replays()


def downgrade() -> None:
    op.drop_index("ix_sms_report_replays_keep_until", "sms_report_replays")
    op.drop_table("sms_report_replays")
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRES_DROPS if postgres else SQLITE_DROPS:
        op.execute(statement)
    op.drop_table("audit_chain")
    op.drop_index("ix_audit_events_seq", "audit_events")
    with op.batch_alter_table("audit_events") as batch:
        for name in ("redacted", "hash", "content_hash", "prev_hash", "seq"):
            batch.drop_column(name)
