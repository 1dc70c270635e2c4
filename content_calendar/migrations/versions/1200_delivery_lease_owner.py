"""Who holds a delivery's lease (issue 15: recovery in seconds after a worker is killed).

Revision ID: 1200_delivery_lease_owner
Revises: 1100_delivery_scan_indexes

``lease_owner`` names the process that claimed a delivery (``host:pid`` of the worker).
When a worker dies, the supervisor that saw it die hands that worker's sends back at
once instead of waiting for their leases to run out. The index serves exactly that
question (sending rows of one owner).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "1200_delivery_lease_owner"
down_revision = "1100_delivery_scan_indexes"


def upgrade() -> None:
    op.add_column("deliveries", sa.Column("lease_owner", sa.String(length=120), nullable=True))
    op.create_index("ix_deliveries_lease_owner", "deliveries", ["lease_owner", "state"])


def downgrade() -> None:
    op.drop_index("ix_deliveries_lease_owner", table_name="deliveries")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("lease_owner")
