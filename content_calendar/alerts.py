"""Creating alerts from pre-approved templates and fanning them out on the crisis lane."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from content_calendar.models import Alert, AlertTemplate, audit
from content_calendar.placeholders import PlaceholderError, fill, validate_values
from publisher.channels.base import Message
from publisher.db import Database, utcnow
from publisher.dispatch import Dispatcher
from publisher.models import LANE_CRISIS, Channel, Delivery
from publisher.outbox import create_delivery, validate_for
from publisher.settings import Settings

# Our own public outputs always carry an active alert, whatever the template lists.
ALWAYS_TYPES = {"banner", "atom", "cap"}
PRIMARY_LANGUAGE = "de"


class AlertError(ValueError):
    """A request to send an alert that cannot be honoured; ``problems`` name each field."""

    def __init__(self, message: str, problems: dict[str, str] | None = None, status: int = 422):
        super().__init__(message)
        self.message = message
        self.problems = problems or {}
        self.status = status


@dataclass(frozen=True)
class AlertResult:
    alert_id: int
    created: bool  # False when the idempotency key was seen before


def find_template(session: Session, key: str) -> AlertTemplate:
    template = session.scalar(
        select(AlertTemplate).where(AlertTemplate.key == key, AlertTemplate.current.is_(True))
    )
    if template is None:
        raise AlertError(f"Unbekannte Vorlage {key!r}", status=404)
    if not template.usable:
        raise AlertError(
            f"Vorlage {key!r} (Version {template.version}) ist noch nicht freigegeben", status=409
        )
    return template


def alert_channels(session: Session, template: AlertTemplate, drill: bool) -> list[Channel]:
    channels = session.scalars(select(Channel).where(Channel.enabled.is_(True))).all()
    chosen = [
        c
        for c in channels
        if c.serves(LANE_CRISIS) and (c.name in template.channel_names or c.type in ALWAYS_TYPES)
    ]
    if drill:
        chosen = [c for c in chosen if c.drill]
    return sorted(chosen, key=lambda c: c.name)


def build_texts(template: AlertTemplate, values: dict[str, str]) -> dict[str, dict[str, str]]:
    return {
        lang: {part: fill(text, values) for part, text in parts.items()}
        for lang, parts in template.texts.items()
    }


def message_for(alert: Alert, cap: dict[str, Any]) -> Message:
    primary = alert.texts.get(PRIMARY_LANGUAGE) or next(iter(alert.texts.values()))
    return Message(
        text=primary["text"],
        title=primary.get("headline", alert.headline),
        link=alert.link,
        language=PRIMARY_LANGUAGE,
        kind="alert",
        level=alert.level,
        drill=alert.status == "Exercise",
        expires_at=alert.expires_at.isoformat() if alert.expires_at else None,
        variants={k[len("channel:") :]: v for k, v in primary.items() if k.startswith("channel:")},
        extras={
            "alert_id": alert.id,
            "identifier": alert.identifier,
            "msg_type": alert.msg_type,
            "status": alert.status,
            "texts": alert.texts,
            "cap": cap,
            "sent": alert.created_at.isoformat(),
        },
    )


def create_alert(
    db: Database,
    settings: Settings,
    dispatcher: Dispatcher,
    *,
    template_key: str,
    variables: dict[str, Any],
    idempotency_key: str,
    user_id: int | None,
    drill: bool = False,
) -> AlertResult:
    """Create an alert and its deliveries, commit, then enqueue. The same key yields one alert."""
    if not idempotency_key or len(idempotency_key) > 200:
        raise AlertError("Idempotenzschlüssel fehlt oder ist länger als 200 Zeichen", status=400)
    with db.session() as session:
        existing = session.scalar(select(Alert).where(Alert.idempotency_key == idempotency_key))
        if existing is not None:
            return AlertResult(existing.id, created=False)
        template = find_template(session, template_key)
        try:
            values = validate_values(template.placeholders, variables)
        except PlaceholderError as exc:
            raise AlertError("Angaben unvollständig oder ungültig", exc.problems) from exc
        texts = build_texts(template, values)
        alert = Alert(
            identifier=f"ernstfall-{uuid.uuid4().hex}",
            idempotency_key=idempotency_key,
            template=template,
            msg_type="Alert",
            status="Exercise" if drill else "Actual",
            level=template.level,
            headline=texts.get(PRIMARY_LANGUAGE, {}).get("headline", template.name),
            texts=texts,
            variables=values,
            link=template.link,
            created_by_id=user_id,
            created_at=utcnow(),
        )
        session.add(alert)
        try:
            session.flush()
        except IntegrityError:  # the same key, sent at the same moment by a double click
            session.rollback()
            again = session.scalar(select(Alert).where(Alert.idempotency_key == idempotency_key))
            if again is None:
                raise
            return AlertResult(again.id, created=False)
        channels = alert_channels(session, template, drill)
        if not channels:
            raise AlertError("Kein aktiver Kanal für diese Vorlage konfiguriert", status=409)
        message = message_for(alert, template.cap)
        problems = {
            c.name: "; ".join(p.text for p in found)
            for c in channels
            if (found := validate_for(c, message, settings))
        }
        if problems:
            raise AlertError("Text passt nicht in alle Kanäle", problems)
        deliveries = [
            create_delivery(
                session,
                channel=c,
                lane=LANE_CRISIS,
                message=message,
                settings=settings,
                source_kind="alert",
                source_id=alert.id,
                idempotency_key=f"alert-{alert.id}-{c.id}",
            )
            for c in channels
        ]
        audit(
            session,
            "alert.sent",
            user_id,
            alert,
            template=template.key,
            version=template.version,
            channels=[c.name for c in channels],
            drill=drill,
        )
        session.flush()
        alert_id = alert.id
        ids = [(d.id, d.lane) for d in deliveries]
    dispatcher.enqueue(ids)  # after commit, never before
    return AlertResult(alert_id, created=True)


def alert_deliveries(session: Session, alert_id: int) -> list[Delivery]:
    return list(
        session.scalars(
            select(Delivery)
            .where(Delivery.source_kind == "alert", Delivery.source_id == alert_id)
            .order_by(Delivery.id)
        )
    )
