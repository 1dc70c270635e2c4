"""Emergency stop: an approver suspends all scheduled community content, with a reason.

While the stop is active the scheduler tick holds every due post instead of
releasing it (like crisis mode). Deliveries already handed to a worker are not
recalled: they were due seconds ago and are on their way. Resuming does not
publish held posts by itself — a person decides per post, as after a crisis.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from content_calendar.accounts.models import audit
from content_calendar.calendar.settings import get_value, set_value
from content_calendar.catalogues import Msg
from content_calendar.refusal import Refused
from publisher.db import utcnow

KEY = "community_stop"


class StopError(Refused):
    """A refused request (see content_calendar.refusal)."""


@dataclass(frozen=True)
class StopState:
    reason: str
    by: str
    at: datetime


def active_stop(session: Session) -> StopState | None:
    raw = get_value(session, KEY, None)
    if not isinstance(raw, dict) or not raw.get("active"):
        return None
    return StopState(
        reason=str(raw.get("reason", "")),
        by=str(raw.get("by", "")),
        at=datetime.fromisoformat(str(raw.get("at"))),
    )


def suspend(session: Session, reason: str, user_id: int, user_name: str) -> StopState:
    reason = reason.strip()
    if len(reason) < 5:
        raise StopError(Msg("Bitte einen Grund für den Stopp angeben (mindestens 5 Zeichen)"))
    if active_stop(session):
        raise StopError(Msg("Der Stopp ist bereits aktiv"), status=409)
    now = utcnow()
    set_value(session, KEY, {"active": True, "reason": reason, "by": user_name, "at": now.isoformat()})
    audit(session, "community.suspended", user_id, None, reason=reason)
    return StopState(reason, user_name, now)


def resume(session: Session, user_id: int) -> None:
    state = active_stop(session)
    if state is None:
        raise StopError(Msg("Es ist kein Stopp aktiv"), status=409)
    set_value(session, KEY, {"active": False})
    audit(session, "community.resumed", user_id, None, reason=state.reason)
