"""Crisis queue: template change notes and approval checks, console timing, SMS subscribers.

Revision ID: 0300_crisis_queue
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import publisher.db

revision = "0300_crisis_queue"
down_revision = "0001"


def upgrade() -> None:
    with op.batch_alter_table("alert_templates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("change_note", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("check_report", sa.JSON(), nullable=True))
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("console_opened_at", publisher.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("cleared_at", publisher.db.UTCDateTime(), nullable=True))
    op.create_table(
        "sms_subscribers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("area", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=True),
        sa.Column("code_expires_at", publisher.db.UTCDateTime(), nullable=True),
        sa.Column("code_attempts", sa.Integer(), nullable=False),
        sa.Column("code_purpose", sa.String(length=12), nullable=True),
        sa.Column("created_at", publisher.db.UTCDateTime(), nullable=False),
        sa.Column("consent_at", publisher.db.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("phone"),
    )
    with op.batch_alter_table("sms_subscribers", schema=None) as batch_op:
        batch_op.create_index("ix_sms_subscribers_status", ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sms_subscribers", schema=None) as batch_op:
        batch_op.drop_index("ix_sms_subscribers_status")
    op.drop_table("sms_subscribers")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_column("cleared_at")
        batch_op.drop_column("console_opened_at")
    with op.batch_alter_table("alert_templates", schema=None) as batch_op:
        batch_op.drop_column("check_report")
        batch_op.drop_column("change_note")
