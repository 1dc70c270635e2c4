"""SMS at city scale: the batch ledger, and every stored subscriber number in E.164.

Revision ID: 0900_sms_batches
Revises: 0800_channel_health

``sms_batches`` records each batch of an SMS delivery (stable key: delivery key +
batch index, the recipient-key range it covers, the gateway's answer), so a retry
skips what the gateway accepted. An index (status, language, area) answers the alert's
audience questions (DISTINCT areas, count per language) without reading the rows.

The worker now sends subscriber numbers exactly as stored, so every stored number
must be E.164. Sign-up has always stored E.164; rows written another way (by hand,
an old import) are normalised here. A row whose normalised number already has its
own row is dropped (that person would otherwise get every alert twice); a row that
is no valid number at all is set to ``invalid`` and receives nothing.
"""

from __future__ import annotations

import re

import phonenumbers
import sqlalchemy as sa
from alembic import op

import publisher.db

revision = "0900_sms_batches"
down_revision = "0800_channel_health"

E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
subscribers = sa.table(
    "sms_subscribers", sa.column("id", sa.Integer), sa.column("phone", sa.String), sa.column("status", sa.String)
)


def upgrade() -> None:
    op.create_table(
        "sms_batches",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("delivery_key", sa.String(100), nullable=False),
        sa.Column("batch_index", sa.Integer(), nullable=False),
        sa.Column("after_key", sa.Integer(), nullable=False),
        sa.Column("last_key", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("updated_at", publisher.db.UTCDateTime(), nullable=False),
        sa.UniqueConstraint("delivery_key", "batch_index", name="uq_sms_batch_delivery_index"),
    )
    # The alert's DISTINCT and count(*) questions read only this index, not the rows.
    op.create_index("ix_sms_subscribers_audience", "sms_subscribers", ["status", "language", "area"])
    normalise_numbers(op.get_bind())


def e164(raw: str) -> str | None:
    try:
        number = phonenumbers.parse(raw.strip(), "DE")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_numbers(connection: sa.Connection) -> None:
    rows = connection.execute(sa.select(subscribers.c.id, subscribers.c.phone)).all()
    taken = {phone for _, phone in rows if E164.match(phone)}
    for row_id, phone in rows:
        if E164.match(phone):
            continue  # the usual case: one regex, no parsing
        number = e164(phone)
        where = subscribers.c.id == row_id
        if number is None:
            connection.execute(sa.update(subscribers).where(where).values(status="invalid"))
        elif number in taken:
            connection.execute(sa.delete(subscribers).where(where))
        else:
            connection.execute(sa.update(subscribers).where(where).values(phone=number))
            taken.add(number)


def downgrade() -> None:
    op.drop_index("ix_sms_subscribers_audience", table_name="sms_subscribers")
    op.drop_table("sms_batches")
