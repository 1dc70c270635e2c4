"""The limits a platform states about itself, stored with the channel.

Revision ID: 1500_channel_platform_limits
Revises: 1400_rumour_watch

A Mastodon instance says in ``/api/v2/instance`` how long a status may be and what a link
counts. The readiness check (health lane) reads it and stores it here, so the editor's
counter, the API validation and the sending adapter count with the same numbers in every
process without a network call inside a request or a transaction.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "1500_channel_platform_limits"
down_revision = "1400_rumour_watch"


def upgrade() -> None:
    op.add_column("channels", sa.Column("platform_limits", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("channels") as batch:
        batch.drop_column("platform_limits")
