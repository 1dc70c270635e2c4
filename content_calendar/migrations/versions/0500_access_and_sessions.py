"""Access and sessions: a session nonce per user, revocable API tokens, login failures.

Revision ID: 0500_access_and_sessions
Revises: 0400_alert_lifecycle

Existing users get an empty nonce: their next login sets one, and a cookie from before
this revision (plain user id) is no longer accepted, so everyone logs in once more.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import publisher.db

revision = "0500_access_and_sessions"
down_revision = "0400_alert_lifecycle"


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("session_nonce", sa.String(64), nullable=False, server_default=""))
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("revoked_at", publisher.db.UTCDateTime(), nullable=True))
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", publisher.db.UTCDateTime(), nullable=False),
        sa.Column("username", sa.String(80), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
    )
    op.create_index("ix_login_failures_at", "login_failures", ["at"])
    op.create_index("ix_login_failures_username", "login_failures", ["username"])
    op.create_index("ix_login_failures_address", "login_failures", ["address"])


def downgrade() -> None:
    op.drop_index("ix_login_failures_address", "login_failures")
    op.drop_index("ix_login_failures_username", "login_failures")
    op.drop_index("ix_login_failures_at", "login_failures")
    op.drop_table("login_failures")
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("revoked_at")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_nonce")
