"""The alert lifecycle in the API: update, all-clear, quiet close, the list of active alerts, crisis mode.

Each route calls content_calendar.crisis.lifecycle and nothing else; the bodies are typed models,
so they are validated and appear in /api/v1/openapi.json like every other operation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from flask import Response
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, Field
from sqlalchemy import select

from content_calendar.accounts.policy import Permission
from content_calendar.calendar.limits import IDEMPOTENCY_KEY_MAX, TEXT_MAX, VARIABLES_MAX
from content_calendar.crisis import lifecycle
from content_calendar.crisis.alerts import AlertError, AlertResult, alert_deliveries
from content_calendar.crisis.mode import crisis_mode
from content_calendar.crisis.models import Alert
from content_calendar.web.api import bp
from content_calendar.web.api.problems import problem
from content_calendar.web.api.schemas import AlertHeaders, AlertOut, ApiModel, StrictText
from content_calendar.web.api.spec import api_user, operation, validated
from content_calendar.web.helpers import database, db_session, dispatcher, settings

Key = Annotated[
    StrictText | None,
    Field(
        title="Idempotenzschlüssel",
        description="oder Header Idempotency-Key; gleicher Schlüssel = eine Meldung",
        max_length=IDEMPOTENCY_KEY_MAX,
    ),
]
Variables = Annotated[
    dict[str, Annotated[StrictText, Field(max_length=TEXT_MAX)]] | None,
    Field(title="Variablen", max_length=VARIABLES_MAX),
]


class UpdateIn(ApiModel):
    """An update: the alert's own values, changed where given."""

    variables: Variables = None
    idempotency_key: Key = None


class AllClearIn(ApiModel):
    """The public all-clear of an alert's thread."""

    note: Annotated[StrictText | None, Field(title="Hinweis", max_length=TEXT_MAX)] = None
    template: Annotated[
        StrictText | None,
        Field(title="Entwarnungs-Vorlage", description="Standard: entwarnung", max_length=80),
    ] = None
    variables: Variables = None
    idempotency_key: Key = None


class CloseIn(ApiModel):
    """End quietly: no public message; the reason goes into the audit log."""

    reason: Annotated[StrictText, Field(title="Grund", min_length=1, max_length=lifecycle.MAX_REASON)]


class ActiveQuery(ApiModel):
    active: Annotated[bool | None, Field(title="nur aktive")] = None


class AlertList(BaseModel):
    alerts: list[AlertOut]


class CrisisOut(BaseModel):
    active: bool
    since: str | None
    alerts: list[AlertOut]


def _key(body_key: str | None) -> str | None:
    return validated(AlertHeaders).idempotency_key or body_key


def _answer(result: AlertResult) -> ResponseReturnValue:
    with database().session() as session:
        alert = session.get(Alert, result.alert_id)
        assert alert is not None
        body = AlertOut.of(alert, alert_deliveries(session, alert.id)).model_dump(mode="json")
    return body, 201 if result.created else 200


def alert_refusal(exc: AlertError) -> Response:
    """The problem document for a refused alert request; a busy database adds Retry-After."""
    response = problem(exc.status, exc.message, exc.problems)
    if isinstance(exc, lifecycle.DatabaseBusy):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def _missing_key() -> ResponseReturnValue:
    return problem(
        422, "Eingaben unvollständig oder ungültig", {"idempotency_key": "Idempotenzschlüssel fehlt"}
    )


def _follow_up(send: Callable[..., AlertResult], body_key: str | None, **details: Any) -> ResponseReturnValue:
    """An update or all-clear: the same key rules, nothing held open, the same answers."""
    key = _key(body_key)
    if not key:
        return _missing_key()
    db_session().close()  # the lifecycle commits before it dispatches; hold nothing open
    try:
        result = send(
            database(),
            settings(),
            dispatcher(),
            idempotency_key=key,
            user_id=api_user().id,
            via="api",
            **details,
        )
    except AlertError as exc:
        return alert_refusal(exc)
    return _answer(result)


@bp.post("/alerts/<int(min=1):alert_id>/update")
@operation(
    body=UpdateIn,
    headers=AlertHeaders,
    ok={201: AlertOut, 200: AlertOut},
    permissions=(Permission.SEND_ALERTS,),
)
def alert_update(alert_id: int) -> ResponseReturnValue:
    """Aktualisierung einer aktiven Warnung (200: mit diesem Schlüssel schon gesendet)"""
    body = validated(UpdateIn)
    return _follow_up(
        lifecycle.update, body.idempotency_key, alert_id=alert_id, variables=body.variables or {}
    )


@bp.post("/alerts/<int(min=1):alert_id>/all-clear")
@operation(
    body=AllClearIn,
    headers=AlertHeaders,
    ok={201: AlertOut, 200: AlertOut},
    permissions=(Permission.SEND_ALERTS,),
)
def alert_all_clear(alert_id: int) -> ResponseReturnValue:
    """Entwarnung (CAP Cancel) für eine aktive Warnung"""
    body = validated(AllClearIn)
    return _follow_up(
        lifecycle.all_clear,
        body.idempotency_key,
        alert_id=alert_id,
        note=body.note,
        template_key=body.template,
        variables=body.variables,
    )


@bp.post("/alerts/<int(min=1):alert_id>/close")
@operation(body=CloseIn, ok={200: AlertOut}, permissions=(Permission.SEND_ALERTS,))
def alert_close(alert_id: int) -> ResponseReturnValue:
    """Warnung still beenden: keine öffentliche Meldung, Grund im Protokoll"""
    body = validated(CloseIn)
    db_session().close()
    try:
        lifecycle.close(
            database(), settings(), alert_id=alert_id, reason=body.reason, user_id=api_user().id, via="api"
        )
    except AlertError as exc:
        return alert_refusal(exc)
    return _answer(AlertResult(alert_id, created=False))


@bp.get("/alerts")
@operation(query=ActiveQuery, ok={200: AlertList}, permissions=(Permission.VIEW_ALERTS,))
def alert_list() -> ResponseReturnValue:
    """Warnungen, neueste zuerst (active=true: nur aktive)"""
    query = validated(ActiveQuery)
    statement = select(Alert).order_by(Alert.id.desc()).limit(200)
    if query.active is not None:
        statement = statement.where(Alert.active.is_(query.active))
    session = db_session()
    rows = [AlertOut.of(a, alert_deliveries(session, a.id)) for a in session.scalars(statement)]
    return AlertList(alerts=rows).model_dump(mode="json")


@bp.get("/crisis")
@operation(ok={200: CrisisOut}, permissions=(Permission.VIEW_ALERTS,))
def crisis() -> ResponseReturnValue:
    """Krisenmodus: ruht der Kalender, seit wann, wegen welcher Warnungen"""
    session = db_session()
    mode = crisis_mode(session, settings())
    rows = [
        AlertOut.of(a, alert_deliveries(session, a.id))
        for a in session.scalars(select(Alert).where(Alert.id.in_(mode.alert_ids)).order_by(Alert.id))
    ]
    since = mode.since.isoformat() if mode.since else None
    return CrisisOut(active=mode.active, since=since, alerts=rows).model_dump(mode="json")
