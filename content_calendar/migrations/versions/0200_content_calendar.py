"""content calendar: comments, series, queue slots, contributions, calendar feeds

Revision ID: 0200_content_calendar
Revises: 0100_sms_recipient_status
"""

import sqlalchemy as sa
from alembic import op

import publisher.db

revision = "0200_content_calendar"
down_revision = "0100_sms_recipient_status"


def upgrade() -> None:
    op.create_table(
        "post_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), sa.ForeignKey("posts.id"), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", publisher.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_post_comments_post_id", "post_comments", ["post_id"])
    op.create_table(
        "post_series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rrule", sa.Text(), nullable=False),
        sa.Column("timezone", sa.String(length=60), nullable=False),
        sa.Column("post_ids", sa.JSON(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", publisher.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "queue_slots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), sa.ForeignKey("channels.id"), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("time", sa.String(length=5), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel_id", "weekday", "time"),
    )
    op.create_index("ix_queue_slots_channel_id", "queue_slots", ["channel_id"])
    op.create_table(
        "contributions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("department", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("theme", sa.String(length=100), nullable=True),
        sa.Column("wanted_date", sa.String(length=10), nullable=True),
        sa.Column("link", sa.String(length=1000), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("post_id", sa.Integer(), sa.ForeignKey("posts.id"), nullable=True),
        sa.Column("created_at", publisher.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_contributions_state", "contributions", ["state"])
    op.create_table(
        "calendar_feeds",
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("created_at", publisher.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
    )


def downgrade() -> None:
    op.drop_table("calendar_feeds")
    op.drop_index("ix_contributions_state", "contributions")
    op.drop_table("contributions")
    op.drop_index("ix_queue_slots_channel_id", "queue_slots")
    op.drop_table("queue_slots")
    op.drop_table("post_series")
    op.drop_index("ix_post_comments_post_id", "post_comments")
    op.drop_table("post_comments")
