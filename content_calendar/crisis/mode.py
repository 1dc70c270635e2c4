"""Crisis mode: the one question the calendar asks the crisis side.

Crisis mode holds community posts (held, never dropped). It is a policy per alert level: by
default an active *info* alert does not pause the calendar, *severe* and *extreme* do
(``ERNSTFALL_CRISIS_PAUSE_LEVELS``). Drills never pause it. It ends when the last pausing alert
ends, whichever way it ends (all-clear, quiet close, expiry).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from content_calendar.crisis.models import Alert
from publisher.settings import Settings, load_settings
from publisher.vocabulary import CapStatus


@dataclass(frozen=True)
class CrisisMode:
    active: bool
    since: datetime | None
    alert_ids: tuple[int, ...]


def pausing_levels(settings: Settings | None = None) -> tuple[str, ...]:
    return tuple((settings or load_settings()).crisis_pause_levels)


def crisis_mode(session: Session, settings: Settings | None = None) -> CrisisMode:
    """Is the calendar paused, since when, and by which alerts?"""
    session.flush()
    rows = session.execute(
        select(Alert.id, Alert.created_at)
        .where(
            Alert.active.is_(True),
            Alert.status == CapStatus.ACTUAL,
            Alert.level.in_(pausing_levels(settings)),
        )
        .order_by(Alert.created_at)
    ).all()
    return CrisisMode(
        active=bool(rows),
        since=rows[0].created_at if rows else None,
        alert_ids=tuple(row.id for row in rows),
    )


def crisis_active(session: Session, settings: Settings | None = None) -> bool:
    return crisis_mode(session, settings).active
