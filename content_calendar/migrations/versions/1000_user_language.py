"""Each user's interface language (German or English), chosen in the page header.

Revision ID: 1000_user_language
Revises: 0900_sms_batches

NULL means "not chosen": German, unless ``?lang=`` asks for another language.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "1000_user_language"
down_revision = "0900_sms_batches"


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("language", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("language")
