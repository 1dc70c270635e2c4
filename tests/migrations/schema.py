"""What a database's schema is, as plain comparable data (tables, columns, keys, indexes)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from content_calendar.database import alembic_config, linear_history
from publisher.db import make_engine

HEAD = linear_history(alembic_config("sqlite://"))[-1]


def schema_of(database_url: str) -> dict[str, dict[str, Any]]:
    engine = make_engine(database_url)
    try:
        inspector = sa.inspect(engine)
        return {
            table: _describe(inspector, table)
            for table in sorted(inspector.get_table_names())
            if table != "alembic_version"
        }
    finally:
        engine.dispose()


def table_names(database_url: str) -> set[str]:
    return set(schema_of(database_url))


def _describe(inspector: sa.Inspector, table: str) -> dict[str, Any]:
    return {
        "columns": [
            (column["name"], str(column["type"]), column["nullable"], column.get("default"))
            for column in inspector.get_columns(table)
        ],
        "primary_key": inspector.get_pk_constraint(table)["constrained_columns"],
        "foreign_keys": sorted(
            (tuple(fk["constrained_columns"]), fk["referred_table"], tuple(fk["referred_columns"]))
            for fk in inspector.get_foreign_keys(table)
        ),
        "indexes": sorted(
            (index["name"], tuple(index["column_names"]), bool(index["unique"]))
            for index in inspector.get_indexes(table)
        ),
        "unique": sorted(
            (constraint["name"] or "", tuple(constraint["column_names"]))
            for constraint in inspector.get_unique_constraints(table)
        ),
    }
