"""Dialog: inbox entries, replies, reply blocks, fetch cursors, automatic out-of-hours answers.

Revision ID: 0600_dialog_inbox
Revises: 0500_access_and_sessions
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import publisher.db

revision = "0600_dialog_inbox"
down_revision = "0500_access_and_sessions"

UTC = publisher.db.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "inbox_items",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("channel_id", sa.Integer(), sa.ForeignKey("channels.id"), nullable=False),
        sa.Column("platform", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("remote_id", sa.String(300), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("url", sa.String(1000), nullable=True),
        sa.Column("author_id", sa.String(200), nullable=False),
        sa.Column("author_handle", sa.String(200), nullable=False),
        sa.Column("author_name", sa.String(200), nullable=False),
        sa.Column("thread_remote_id", sa.String(300), nullable=True),
        sa.Column("thread_text", sa.Text(), nullable=True),
        sa.Column("reply_ref", sa.JSON(), nullable=False),
        sa.Column("received_at", UTC(), nullable=False),
        sa.Column("fetched_at", UTC(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("assigned_to_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("about_alert_id", sa.Integer(), sa.ForeignKey("alerts.id"), nullable=True),
        sa.Column("answered_at", UTC(), nullable=True),
        sa.Column("closed_at", UTC(), nullable=True),
        sa.UniqueConstraint("channel_id", "remote_id", name="uq_inbox_items_channel_remote"),
    )
    op.create_index("ix_inbox_items_state_received", "inbox_items", ["state", "received_at"])
    op.create_index("ix_inbox_items_author", "inbox_items", ["channel_id", "author_id"])
    op.create_index("ix_inbox_items_thread_remote_id", "inbox_items", ["thread_remote_id"])
    op.create_table(
        "reply_blocks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(80), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("placeholders", sa.JSON(), nullable=False),
        sa.Column("alert_template_key", sa.String(80), nullable=True),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("approved_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("approved_at", UTC(), nullable=True),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("change_note", sa.Text(), nullable=True),
        sa.UniqueConstraint("key", "version", name="uq_reply_blocks_key_version"),
    )
    op.create_index("ix_reply_blocks_key", "reply_blocks", ["key"])
    op.create_table(
        "inbox_replies",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "item_id", sa.Integer(), sa.ForeignKey("inbox_items.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("block_id", sa.Integer(), sa.ForeignKey("reply_blocks.id"), nullable=True),
        sa.Column("variables", sa.JSON(), nullable=False),
        sa.Column("automatic", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("idempotency_key", sa.String(100), nullable=False, unique=True),
        sa.Column("written_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("approved_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("delivery_id", sa.Integer(), sa.ForeignKey("deliveries.id"), nullable=True),
        sa.Column("created_at", UTC(), nullable=False),
    )
    op.create_index("ix_inbox_replies_item_id", "inbox_replies", ["item_id"])
    op.create_table(
        "inbox_cursors",
        sa.Column("channel_id", sa.Integer(), sa.ForeignKey("channels.id"), primary_key=True),
        sa.Column("cursor", sa.String(300), nullable=True),
        sa.Column("fetched_at", UTC(), nullable=True),
        sa.Column("not_before", UTC(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
    )
    op.create_table(
        "inbox_auto_replies",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("channel_id", sa.Integer(), sa.ForeignKey("channels.id"), nullable=False),
        sa.Column("author_id", sa.String(200), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column(
            "item_id", sa.Integer(), sa.ForeignKey("inbox_items.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("created_at", UTC(), nullable=False),
        sa.UniqueConstraint("channel_id", "author_id", "day", name="uq_inbox_auto_replies_day"),
    )


def downgrade() -> None:
    op.drop_table("inbox_auto_replies")
    op.drop_table("inbox_cursors")
    op.drop_index("ix_inbox_replies_item_id", table_name="inbox_replies")
    op.drop_table("inbox_replies")
    op.drop_index("ix_reply_blocks_key", table_name="reply_blocks")
    op.drop_table("reply_blocks")
    op.drop_index("ix_inbox_items_thread_remote_id", table_name="inbox_items")
    op.drop_index("ix_inbox_items_author", table_name="inbox_items")
    op.drop_index("ix_inbox_items_state_received", table_name="inbox_items")
    op.drop_table("inbox_items")
