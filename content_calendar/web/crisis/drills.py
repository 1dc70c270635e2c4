"""Probewarnungen in the readiness view: the plans and the last drills' results per channel.

The readiness partial (``_readiness.html``, on the crisis console and the dashboard) calls
``drill_overview()`` when it is drawn, so no page pays for it unless it shows readiness.
Plans are made with ``ernstfall drills plan`` (README, "Probewarnungen").
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint

from content_calendar.crisis.drills import PlanView, RunView, plans, recent
from content_calendar.web.helpers import db_session, settings

bp = Blueprint("drills", __name__)


@dataclass(frozen=True)
class DrillOverview:
    plans: list[PlanView]
    runs: list[RunView]


def drill_overview() -> DrillOverview:
    session = db_session()
    return DrillOverview(plans(session, settings()), recent(session))


@bp.app_context_processor
def _drills() -> dict[str, object]:
    return {"drill_overview": drill_overview}
