"""JSON REST API under /api/v1 with token authentication.

Request and response bodies are the typed models in schemas.py; spec.py validates requests
against them and generates /api/v1/openapi.json from them. Every bad input is a 4xx problem
document with a specific German message; never a 500.
"""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from content_calendar.accounts.policy import Permission
from content_calendar.calendar.post_model import Post
from content_calendar.calendar.posts import PostError, PostInput, create_post, transition
from content_calendar.crisis.alerts import AlertError, alert_deliveries
from content_calendar.crisis.lifecycle import issue
from content_calendar.crisis.models import Alert
from content_calendar.web.api.problems import problem
from content_calendar.web.api.schemas import (
    AlertHeaders,
    AlertIn,
    AlertOut,
    DeliveryList,
    DeliveryOut,
    DeliveryQuery,
    PostIn,
    PostOut,
)
from content_calendar.web.api.spec import api_user, openapi_document, operation, validated
from content_calendar.web.helpers import database, db_session, dispatcher, settings
from publisher.models import Delivery

bp = Blueprint("api", __name__, url_prefix="/api/v1")
POST_ACTIONS = {"approve": "approved", "return": "draft", "cancel": "cancelled"}


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    return jsonify(openapi_document())


@bp.post("/posts")
@operation(
    body=PostIn,
    ok={201: PostOut},
    permissions=(Permission.SUBMIT_POSTS,),
)
def post_create() -> ResponseReturnValue:
    """Beitrag anlegen (geht zur Freigabe)"""
    json = validated(PostIn)
    session = db_session()
    data = PostInput(
        text=json.text,
        channel_names=json.channels,
        publish_at=json.publish_at,
        title=json.title or "",
        theme=json.theme,
        link=json.link,
        variants=json.variants or {},
    )
    try:
        post = create_post(session, data, settings(), api_user().id, submit=json.submit is not False)
        session.commit()
    except PostError as exc:
        session.rollback()
        return problem(exc.status, exc.message, exc.problems)
    return PostOut.of(post).model_dump(mode="json"), 201


@bp.post("/posts/<int(min=1):post_id>/<any(approve, return, cancel):action>")
@operation(ok={200: PostOut})
def post_transition(post_id: int, action: str) -> ResponseReturnValue:
    """Freigeben, zurückgeben oder abbrechen"""
    session = db_session()
    post = session.get(Post, post_id)
    if post is None:
        return problem(404, f"Beitrag {post_id} nicht gefunden")
    user = api_user()
    try:
        transition(session, post, POST_ACTIONS[action], user.id, user.role_list())
        session.commit()
    except PostError as exc:
        session.rollback()
        return problem(exc.status, exc.message)
    return PostOut.of(post).model_dump(mode="json")


@bp.get("/posts/<int(min=1):post_id>")
@operation(ok={200: PostOut}, permissions=(Permission.VIEW_CALENDAR, Permission.SUBMIT_POSTS))
def post_read(post_id: int) -> ResponseReturnValue:
    """Beitrag lesen"""
    post = db_session().get(Post, post_id)
    if post is None:
        return problem(404, f"Beitrag {post_id} nicht gefunden")
    return PostOut.of(post).model_dump(mode="json")


@bp.post("/alerts")
@operation(
    body=AlertIn,
    headers=AlertHeaders,
    ok={201: AlertOut, 200: AlertOut},
    permissions=(Permission.SEND_ALERTS,),
)
def alert_create() -> ResponseReturnValue:
    """Warnung aus freigegebener Vorlage auslösen (200: mit diesem Schlüssel schon ausgelöst)"""
    json, headers = validated(AlertIn), validated(AlertHeaders)
    key = headers.idempotency_key or json.idempotency_key
    if not key:
        return problem(
            422, "Eingaben unvollständig oder ungültig", {"idempotency_key": "Idempotenzschlüssel fehlt"}
        )
    db_session().close()  # issue() commits before it dispatches; hold nothing open
    try:
        result = issue(
            database(),
            settings(),
            dispatcher(),
            template_key=json.template,
            variables=json.variables or {},
            idempotency_key=key,
            user_id=api_user().id,
            drill=bool(json.drill),
            via="api",
            confirm_parallel=bool(json.confirm_parallel),
        )
    except AlertError as exc:
        return _lifecycle.alert_refusal(exc)  # a busy database: 503 with Retry-After
    with database().session() as session:
        alert = session.get(Alert, result.alert_id)
        assert alert is not None
        body = AlertOut.of(alert, alert_deliveries(session, alert.id)).model_dump(mode="json")
    return body, 201 if result.created else 200


@bp.get("/alerts/<int(min=1):alert_id>")
@operation(ok={200: AlertOut}, permissions=(Permission.VIEW_ALERTS,))
def alert_read(alert_id: int) -> ResponseReturnValue:
    """Warnung mit Zustellstatus je Kanal"""
    session = db_session()
    alert = session.get(Alert, alert_id)
    if alert is None:
        return problem(404, f"Warnung {alert_id} nicht gefunden")
    return AlertOut.of(alert, alert_deliveries(session, alert.id)).model_dump(mode="json")


@bp.get("/deliveries")
@operation(query=DeliveryQuery, ok={200: DeliveryList}, permissions=(Permission.VIEW_OVERVIEW,))
def deliveries_list() -> ResponseReturnValue:
    """Zustellungen, neueste zuerst, optional nach Zustand"""
    query = validated(DeliveryQuery)
    statement = select(Delivery).order_by(Delivery.id.desc()).limit(query.limit)
    if query.state is not None:
        statement = statement.where(Delivery.state == query.state)
    rows = db_session().scalars(statement).all()
    return DeliveryList(deliveries=[DeliveryOut.of(d) for d in rows]).model_dump(mode="json")


from content_calendar.web.api import drills as _drills  # noqa: E402, F401  (registers GET /channels/drills on bp)
from content_calendar.web.api import health as _health  # noqa: E402, F401  (registers GET /channels/health on bp)
from content_calendar.web.api import lifecycle as _lifecycle  # noqa: E402, F401  (registers the lifecycle routes on bp)
from content_calendar.web.dialog import api as _dialog_api  # noqa: E402, F401  (registers /inbox routes on bp)
