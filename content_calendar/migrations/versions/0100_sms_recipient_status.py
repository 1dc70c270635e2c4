"""sms_recipient_status: per-recipient SMS state and delivery reports

Revision ID: 0100_sms_recipient_status
Revises: 0300_crisis_queue
"""

import sqlalchemy as sa
from alembic import op

import publisher.db

revision = "0100_sms_recipient_status"
down_revision = "0300_crisis_queue"


def upgrade() -> None:
    op.create_table(
        "sms_recipient_status",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_key", sa.String(length=100), nullable=False),
        sa.Column("channel", sa.String(length=80), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("msisdn", sa.String(length=20), nullable=False),
        sa.Column("message_id", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", publisher.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", publisher.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("delivery_key", "msisdn", name="uq_sms_recipient_delivery_msisdn"),
    )
    op.create_index("ix_sms_recipient_status_delivery_key", "sms_recipient_status", ["delivery_key"])
    op.create_index("ix_sms_recipient_message", "sms_recipient_status", ["provider", "message_id"])


def downgrade() -> None:
    op.drop_index("ix_sms_recipient_message", table_name="sms_recipient_status")
    op.drop_index("ix_sms_recipient_status_delivery_key", table_name="sms_recipient_status")
    op.drop_table("sms_recipient_status")
