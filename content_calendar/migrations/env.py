"""Alembic environment: the URL comes from Ernstfall's settings, never from alembic.ini."""

from __future__ import annotations

from alembic import context

import content_calendar.accounts.models  # noqa: F401  (registers every table)
import content_calendar.calendar.models  # noqa: F401
import content_calendar.calendar.post_model  # noqa: F401
import content_calendar.crisis.models  # noqa: F401
import content_calendar.dialog.models  # noqa: F401
import content_calendar.subscribers.models  # noqa: F401
import publisher.outbox.sms_status  # noqa: F401
import publisher.readiness.models  # noqa: F401
from publisher.db import Base, make_engine

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url must be set by content_calendar.database.migrate"
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
