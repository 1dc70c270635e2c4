"""GET /api/v1/channels/drills: the drill plans and the last drills' results per channel.

The sibling of ``/channels/health``: a monitoring system sees whether the planned test
alerts went out and which channel did not deliver, and why. Read from the database only.
"""

from __future__ import annotations

from datetime import datetime

from flask.typing import ResponseReturnValue
from pydantic import BaseModel

from content_calendar.accounts.policy import Permission
from content_calendar.crisis.drills import Outcome, PlanView, RunState, plans, recent
from content_calendar.web.api import bp
from content_calendar.web.api.schemas import RowOut
from content_calendar.web.api.spec import operation
from content_calendar.web.helpers import db_session, settings


class DrillPlanOut(BaseModel):
    name: str
    template: str
    rule: str
    enabled: bool
    next_at: datetime | None
    problem: str | None

    @classmethod
    def of(cls, plan: PlanView) -> DrillPlanOut:
        return cls(
            name=plan.name,
            template=plan.template_key,
            rule=str(plan.description),
            enabled=plan.enabled,
            next_at=plan.next_at,
            problem=plan.problem,
        )


class DrillChannelOut(RowOut):
    channel: str
    type: str
    outcome: Outcome
    reason: str
    seconds: float | None


class DrillRunOut(RowOut):
    plan: str
    due_at: datetime
    state: RunState
    reason: str
    manual: bool
    alert_id: int | None
    channels: list[DrillChannelOut]


class DrillsOut(BaseModel):
    plans: list[DrillPlanOut]
    runs: list[DrillRunOut]


@bp.get("/channels/drills")
@operation(
    ok={200: DrillsOut},
    permissions=(Permission.VIEW_OVERVIEW, Permission.SEND_ALERTS, Permission.CHECK_CHANNELS),
)
def channels_drills() -> ResponseReturnValue:
    """Probewarnungen: Pläne mit nächstem Termin und die letzten Läufe mit dem Ergebnis je Kanal"""
    session = db_session()
    body = DrillsOut(
        plans=[DrillPlanOut.of(p) for p in plans(session, settings())],
        runs=[DrillRunOut.of(r) for r in recent(session)],
    )
    return body.model_dump(mode="json")
