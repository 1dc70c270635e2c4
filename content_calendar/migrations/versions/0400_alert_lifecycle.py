"""Alert lifecycle: each alert's state (active, replaced, all-clear, closed, expired) and why it ended.

Revision ID: 0400_alert_lifecycle
Revises: 0200_content_calendar
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0400_alert_lifecycle"
down_revision = "0200_content_calendar"


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("state", sa.String(20), nullable=False, server_default="active"))
        batch.add_column(sa.Column("end_reason", sa.Text(), nullable=True))
    # Existing rows: an inactive Cancel is the all-clear itself; other inactive alerts were
    # replaced by an update or ended by an all-clear (cleared_at set).
    op.execute("UPDATE alerts SET state = 'all_clear' WHERE active = false AND msg_type = 'Cancel'")
    op.execute(
        "UPDATE alerts SET state = 'all_clear' WHERE active = false AND msg_type != 'Cancel' "
        "AND cleared_at IS NOT NULL"
    )
    op.execute("UPDATE alerts SET state = 'replaced' WHERE active = false AND cleared_at IS NULL")


def downgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("end_reason")
        batch.drop_column("state")
