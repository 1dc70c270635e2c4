"""Indexes for the scheduler's roll-up and plan B escalation (issue 16).

Revision ID: 1100_delivery_scan_indexes
Revises: 1000_user_language

``ix_deliveries_changed`` (source_kind, updated_at): the roll-up reads only post
deliveries that changed since its last pass. ``ix_deliveries_kind_state`` (source_kind,
state, created_at): plan B reads only alert deliveries that are not confirmed. Neither
query grows with the community backlog any more.
"""

from __future__ import annotations

from alembic import op

revision = "1100_delivery_scan_indexes"
down_revision = "1000_user_language"


def upgrade() -> None:
    op.create_index("ix_deliveries_changed", "deliveries", ["source_kind", "updated_at"])
    op.create_index("ix_deliveries_kind_state", "deliveries", ["source_kind", "state", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_deliveries_kind_state", table_name="deliveries")
    op.drop_index("ix_deliveries_changed", table_name="deliveries")
