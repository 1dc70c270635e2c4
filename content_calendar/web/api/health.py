"""GET /api/v1/channels/health: every channel's readiness, as the scheduled checks found it.

Read from the database only (the checks run on the ``health`` queue), so a monitoring
system may ask as often as it likes without a single request reaching a platform.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Self

from flask.typing import ResponseReturnValue
from pydantic import BaseModel, BeforeValidator

from content_calendar.accounts.policy import Permission
from content_calendar.web.api import bp
from content_calendar.web.api.schemas import RowOut
from content_calendar.web.api.spec import operation
from content_calendar.web.helpers import db_session
from publisher.readiness import ChannelReadiness, down_now, plan_b, readiness
from publisher.vocabulary import ChannelCategory, ReadinessState


class ChannelHealthOut(RowOut):
    channel: str
    type: str
    category: ChannelCategory
    crisis: bool
    state: ReadinessState
    label: str
    reason: str
    checked_at: datetime | None
    last_success_at: datetime | None
    last_post_at: datetime | None
    token_expires_at: datetime | None
    changed_at: datetime | None
    balance: float | None
    currency: Annotated[str | None, BeforeValidator(lambda currency: currency or None)]

    @classmethod
    def of(cls, row: object) -> Self:
        assert isinstance(row, ChannelReadiness)
        named = {"last_success_at": row.last_ok_at, "token_expires_at": row.expires_at}
        fields = {name: getattr(row, name) for name in cls.model_fields if name not in named}
        return cls.model_validate(fields | named)


class HealthOut(BaseModel):
    state: ReadinessState
    failing: list[str]
    plan_b: list[str]
    channels: list[ChannelHealthOut]


def worst(rows: list[ChannelReadiness]) -> ReadinessState:
    order = list(ReadinessState)
    return max((r.state for r in rows), key=order.index, default=ReadinessState.OK)


@bp.get("/channels/health")
@operation(
    ok={200: HealthOut},
    permissions=(Permission.VIEW_OVERVIEW, Permission.SEND_ALERTS, Permission.CHECK_CHANNELS),
)
def channels_health() -> ResponseReturnValue:
    """Bereitschaft aller Kanäle: ok, Warnung oder gestört, mit Grund, letzter Prüfung und letztem Beitrag"""
    rows = readiness(db_session())
    body = HealthOut(
        state=worst(rows),
        failing=[r.channel for r in down_now(rows)]
        + [r.channel for r in rows if not r.crisis and r.state == ReadinessState.FAILING],
        plan_b=[r.channel for r in plan_b(rows)],
        channels=[ChannelHealthOut.of(r) for r in rows],
    )
    return body.model_dump(mode="json")
