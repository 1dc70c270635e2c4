"""JSON REST API under /api/v1 with token authentication.

Every bad input is a 4xx with a specific message; never a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, g, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from content_calendar.accounts.auth import user_for_token
from content_calendar.accounts.models import User
from content_calendar.accounts.policy import Permission
from content_calendar.calendar.post_model import Post
from content_calendar.calendar.posts import PostError, PostInput, create_post, transition
from content_calendar.crisis.alerts import AlertError, alert_deliveries, create_alert
from content_calendar.crisis.models import Alert
from content_calendar.web.api.openapi import OPENAPI
from content_calendar.web.helpers import database, db_session, dispatcher, permission_required, settings
from publisher.models import Delivery
from publisher.vocabulary import DeliveryState

bp = Blueprint("api", __name__, url_prefix="/api/v1")
F = TypeVar("F", bound=Callable[..., ResponseReturnValue])


def problem(status: int, error: str, **fields: Any) -> ResponseReturnValue:
    body: dict[str, Any] = {"error": error}
    if fields:
        body["problems"] = fields
    return jsonify(body), status


def token_required(view: F) -> F:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return problem(401, "API-Token fehlt (Authorization: Bearer <token>)")
        user = user_for_token(db_session(), token.strip())
        if user is None:
            return problem(401, "API-Token ungültig oder Benutzer deaktiviert")
        db_session().commit()
        g.api_user = user
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def api_user() -> User:
    user: User = g.api_user
    return user


def json_object() -> dict[str, Any] | ResponseReturnValue:
    data = request.get_json(silent=True)
    if data is None:
        return problem(400, "Kein gültiges JSON im Anfragekörper (Content-Type: application/json)")
    if not isinstance(data, dict):
        return problem(400, "JSON-Objekt erwartet")
    return data


def _field(
    data: dict[str, Any],
    name: str,
    kind: type | tuple[type, ...],
    required: bool,
    errors: dict[str, str],
    label: str,
) -> Any:
    value = data.get(name)
    if value is None:
        if required:
            errors[name] = f"{label} fehlt"
        return None
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        errors[name] = f"{label}: falscher Typ"
        return None
    return value


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    return jsonify(OPENAPI)


@bp.post("/posts")
@token_required
@permission_required(Permission.SUBMIT_POSTS)
def post_create() -> ResponseReturnValue:
    data = json_object()
    if not isinstance(data, dict):
        return data
    errors: dict[str, str] = {}
    text = _field(data, "text", str, True, errors, "Text")
    channels = _field(data, "channels", list, True, errors, "Kanäle")
    when_raw = _field(data, "publish_at", str, True, errors, "Veröffentlichungszeit")
    title = _field(data, "title", str, False, errors, "Titel") or ""
    theme = _field(data, "theme", str, False, errors, "Thema")
    link = _field(data, "link", str, False, errors, "Link")
    variants = _field(data, "variants", dict, False, errors, "Varianten") or {}
    if channels is not None and not all(isinstance(c, str) for c in channels):
        errors["channels"] = "Kanäle: Liste von Namen erwartet"
    if variants and not all(isinstance(v, str) for v in variants.values()):
        errors["variants"] = "Varianten: Texte erwartet"
    when = None
    if when_raw is not None:
        try:
            when = datetime.fromisoformat(when_raw)
        except ValueError:
            errors["publish_at"] = "Zeit im Format ISO 8601 mit Zeitzone, z. B. 2026-12-01T10:00:00+01:00"
        else:
            if when.tzinfo is None:
                errors["publish_at"] = "Zeit ohne Zeitzone: bitte mit Versatz angeben (+01:00)"
    if errors:
        return problem(422, "Eingaben unvollständig oder ungültig", **errors)
    assert when is not None
    session = db_session()
    try:
        post = create_post(
            session,
            PostInput(
                text=text,
                channel_names=channels,
                publish_at=when,
                title=title,
                theme=theme,
                link=link,
                variants=variants,
            ),
            settings(),
            api_user().id,
            submit=bool(data.get("submit", True)),
        )
        session.commit()
    except PostError as exc:
        session.rollback()
        return problem(exc.status, exc.message, **exc.problems)
    return jsonify(post_json(post)), 201


@bp.post("/posts/<int:post_id>/<any(approve, return, cancel):action>")
@token_required
def post_transition(post_id: int, action: str) -> ResponseReturnValue:
    session = db_session()
    post = session.get(Post, post_id)
    if post is None:
        return problem(404, f"Beitrag {post_id} nicht gefunden")
    target = {"approve": "approved", "return": "draft", "cancel": "cancelled"}[action]
    user = api_user()
    try:
        transition(session, post, target, user.id, user.role_list())
        session.commit()
    except PostError as exc:
        session.rollback()
        return problem(exc.status, exc.message)
    return jsonify(post_json(post))


@bp.get("/posts/<int:post_id>")
@token_required
@permission_required(Permission.VIEW_CALENDAR, Permission.SUBMIT_POSTS)
def post_read(post_id: int) -> ResponseReturnValue:
    post = db_session().get(Post, post_id)
    if post is None:
        return problem(404, f"Beitrag {post_id} nicht gefunden")
    return jsonify(post_json(post))


@bp.post("/alerts")
@token_required
@permission_required(Permission.SEND_ALERTS)
def alert_create() -> ResponseReturnValue:
    data = json_object()
    if not isinstance(data, dict):
        return data
    errors: dict[str, str] = {}
    template = _field(data, "template", str, True, errors, "Vorlage")
    variables = _field(data, "variables", dict, False, errors, "Variablen") or {}
    drill = _field(data, "drill", bool, False, errors, "Übung") or False
    key = request.headers.get("Idempotency-Key") or _field(
        data, "idempotency_key", str, True, errors, "Idempotenzschlüssel"
    )
    if errors:
        return problem(422, "Eingaben unvollständig oder ungültig", **errors)
    db_session().close()
    try:
        result = create_alert(
            database(),
            settings(),
            dispatcher(),
            template_key=template,
            variables=variables,
            idempotency_key=key,
            user_id=api_user().id,
            drill=drill,
        )
    except AlertError as exc:
        return problem(exc.status, exc.message, **exc.problems)
    with database().session() as session:
        alert = session.get(Alert, result.alert_id)
        assert alert is not None
        body = alert_json(alert, alert_deliveries(session, alert.id))
    return jsonify(body), 201 if result.created else 200


@bp.get("/alerts/<int:alert_id>")
@token_required
@permission_required(Permission.VIEW_ALERTS)
def alert_read(alert_id: int) -> ResponseReturnValue:
    session = db_session()
    alert = session.get(Alert, alert_id)
    if alert is None:
        return problem(404, f"Warnung {alert_id} nicht gefunden")
    return jsonify(alert_json(alert, alert_deliveries(session, alert.id)))


@bp.get("/deliveries")
@token_required
@permission_required(Permission.VIEW_OVERVIEW)
def deliveries_list() -> ResponseReturnValue:
    state = request.args.get("state")
    query = select(Delivery).order_by(Delivery.id.desc())
    if state:
        if state not in tuple(DeliveryState):
            return problem(422, f"Unbekannter Zustand {state!r}", state=", ".join(DeliveryState))
        query = query.where(Delivery.state == state)
    try:
        limit = min(1000, max(1, int(request.args.get("limit", 100))))
    except ValueError:
        return problem(422, "limit muss eine Zahl sein")
    rows = db_session().scalars(query.limit(limit)).all()
    return jsonify(deliveries=[delivery_json(d) for d in rows])


def delivery_json(d: Delivery) -> dict[str, Any]:
    return {
        "id": d.id,
        "channel": d.channel.name,
        "channel_type": d.channel.type,
        "category": d.channel.category.value,  # "preview" deliveries end "previewed", never "sent"
        "lane": d.lane,
        "source": {"kind": d.source_kind, "id": d.source_id},
        "state": d.state,
        "attempts": d.attempts,
        "next_attempt_at": d.next_attempt_at.isoformat(),
        "last_error": d.last_error,
        "platform_message": d.platform_message,
        "remote_id": d.remote_id,
        "remote_url": d.remote_url,
        "dispatched_inline": d.dispatched_inline,
        "rendered": d.rendered,
        "sent_at": d.sent_at.isoformat() if d.sent_at else None,
    }


def post_json(post: Post) -> dict[str, Any]:
    return {
        "id": post.id,
        "title": post.title,
        "text": post.text,
        "theme": post.theme,
        "state": post.state,
        "publish_at": post.publish_at.isoformat(),
        "channel_ids": post.channel_ids,
        "held_reason": post.held_reason,
    }


def alert_json(alert: Alert, deliveries: list[Delivery]) -> dict[str, Any]:
    return {
        "id": alert.id,
        "identifier": alert.identifier,
        "msg_type": alert.msg_type,
        "status": alert.status,
        "level": alert.level,
        "headline": alert.headline,
        "texts": alert.texts,
        "active": alert.active,
        "created_at": alert.created_at.isoformat(),
        "deliveries": [delivery_json(d) for d in deliveries],
    }
