"""Rumour watch (issue 14): posts found by the platform searches, and the jump state per word.

Revision ID: 1400_rumour_watch
Revises: 1300_drill_plans

``rumour_hits`` keeps what counting needs from a Mastodon hashtag timeline, a Mastodon search
or a Bluesky search (word, channel, post id, time, link), unique per word and post.
``rumour_jumps`` remembers per word whether it is in a jump and when the staff were told, so
they get one mail per jump and not one per fetch.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import publisher.db

revision = "1400_rumour_watch"
down_revision = "1300_drill_plans"

UTC = publisher.db.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "rumour_hits",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("keyword", sa.String(80), nullable=False),
        sa.Column("search", sa.String(120), nullable=False),
        sa.Column(
            "channel_id", sa.Integer(), sa.ForeignKey("channels.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("remote_id", sa.String(300), nullable=False),
        sa.Column("url", sa.String(1000), nullable=True),
        sa.Column("posted_at", UTC(), nullable=False),
        sa.Column("found_at", UTC(), nullable=False),
        sa.UniqueConstraint("keyword", "channel_id", "remote_id", name="uq_rumour_hits_keyword_post"),
    )
    op.create_index("ix_rumour_hits_posted", "rumour_hits", ["posted_at"])
    op.create_table(
        "rumour_jumps",
        sa.Column("keyword", sa.String(80), primary_key=True),
        sa.Column("jumping", sa.Boolean(), nullable=False),
        sa.Column("since", UTC(), nullable=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("notified_at", UTC(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("rumour_jumps")
    op.drop_index("ix_rumour_hits_posted", table_name="rumour_hits")
    op.drop_table("rumour_hits")
