"""Channel readiness: the outcome of each channel's last credential check (issue 13).

Revision ID: 0800_channel_health
Revises: 0700_audit_chain
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import publisher.db

revision = "0800_channel_health"
down_revision = "0700_audit_chain"

UTC = publisher.db.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "channel_health",
        sa.Column(
            "channel_id",
            sa.Integer(),
            sa.ForeignKey("channels.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("checked_at", UTC(), nullable=True),
        sa.Column("last_ok_at", UTC(), nullable=True),
        sa.Column("changed_at", UTC(), nullable=False),
        sa.Column("expires_at", UTC(), nullable=True),
        sa.Column("balance", sa.Float(), nullable=True),
        sa.Column("currency", sa.String(8), nullable=False),
        sa.Column("next_check_at", UTC(), nullable=False),
        sa.Column("notified_state", sa.String(20), nullable=False),
        sa.Column("notified_at", UTC(), nullable=True),
    )
    op.create_index("ix_channel_health_next_check_at", "channel_health", ["next_check_at"])


def downgrade() -> None:
    op.drop_index("ix_channel_health_next_check_at", "channel_health")
    op.drop_table("channel_health")
