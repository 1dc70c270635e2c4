"""Planned test alerts (issue 13): drill plans, each planned occurrence, each channel's last drill.

Revision ID: 1300_drill_plans
Revises: 1200_delivery_lease_owner

``drill_plans`` says which template goes to the internal test audience on which rule
(monthly on a weekday or a day, or the national warning day) at what local time.
``drill_runs`` holds one row per planned occurrence; its unique ``idempotency_key`` (plan
and date) makes the occurrence happen once, however many schedulers tick. ``drill_outcomes``
is the last drill result per channel, which readiness folds into the channel's state.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import publisher.db

revision = "1300_drill_plans"
down_revision = "1200_delivery_lease_owner"

UTC = publisher.db.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "drill_plans",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(80), nullable=False, unique=True),
        sa.Column("template_key", sa.String(80), nullable=False),
        sa.Column("variables", sa.JSON(), nullable=False),
        sa.Column("rule", sa.String(20), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=True),
        sa.Column("weekday", sa.Integer(), nullable=True),
        sa.Column("day", sa.Integer(), nullable=True),
        sa.Column("at_time", sa.String(5), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("active_from", UTC(), nullable=False),
        sa.Column("updated_by", sa.String(80), nullable=True),
        sa.Column("updated_at", UTC(), nullable=False),
    )
    op.create_table(
        "drill_runs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "plan_id", sa.Integer(), sa.ForeignKey("drill_plans.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("plan_name", sa.String(80), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False, unique=True),
        sa.Column("due_at", UTC(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("alert_id", sa.Integer(), sa.ForeignKey("alerts.id"), nullable=True),
        sa.Column("manual", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("settled_at", UTC(), nullable=True),
    )
    op.create_index("ix_drill_runs_open", "drill_runs", ["state", "settled_at"])
    op.create_table(
        "drill_outcomes",
        sa.Column(
            "channel_id", sa.Integer(), sa.ForeignKey("channels.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("run_key", sa.String(200), nullable=False),
        sa.Column("at", UTC(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("drill_outcomes")
    op.drop_index("ix_drill_runs_open", table_name="drill_runs")
    op.drop_table("drill_runs")
    op.drop_table("drill_plans")
