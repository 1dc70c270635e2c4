"""Creating alerts from pre-approved templates and fanning them out on the crisis lane.

An alert (CAP msgType ``Alert``) may be followed by updates (``Update``) and ends
with an all-clear (``Cancel``); each follow-up refers to the message it replaces,
so CAP consumers and our own board see one thread. Crisis mode (community posts
held) lasts while any real (not drill) alert is active.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlparse

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from content_calendar.accounts.models import audit
from content_calendar.crisis.models import Alert, AlertTemplate
from content_calendar.crisis.placeholders import PlaceholderError, fill, validate_values
from publisher.channels.base import Message
from publisher.db import Database, utcnow
from publisher.models import LANE_CRISIS, Channel, Delivery
from publisher.outbox import create_delivery, validate_for
from publisher.outbox.dispatch import Dispatcher
from publisher.settings import Settings

# Our own public outputs always carry an active alert, whatever the template lists.
ALWAYS_TYPES = {"banner", "atom", "cap"}
# SMS goes to subscribers by the plan-B rules (content_calendar.crisis.plan_b), not by the list.
PLAN_B_TYPES = {"sms"}
PRIMARY_LANGUAGE = "de"
DRILL_MARK = "ÜBUNG"
MSG_TYPES = ("Alert", "Update", "Cancel")
ALLCLEAR_HOURS = 6


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


def effective_type(channel: Channel) -> str:
    """The platform a channel stands for (a preview channel imitates one)."""
    if channel.type == "preview":
        return str((channel.options or {}).get("imitates") or "preview")
    return channel.type


def find_template(session: Session, key: str) -> AlertTemplate:
    template = session.scalar(
        select(AlertTemplate).where(AlertTemplate.key == key, AlertTemplate.current.is_(True))
    )
    if template is None:
        draft = session.scalar(select(AlertTemplate).where(AlertTemplate.key == key).limit(1))
        if draft is not None:
            raise AlertError(f"Vorlage {key!r} ist noch nicht freigegeben (Vier-Augen-Prinzip)", status=409)
        raise AlertError(f"Unbekannte Vorlage {key!r}", status=404)
    if not template.usable:
        raise AlertError(
            f"Vorlage {key!r} (Version {template.version}) ist noch nicht freigegeben", status=409
        )
    return template


def alert_channels(session: Session, template: AlertTemplate, drill: bool) -> list[Channel]:
    channels = session.scalars(select(Channel).where(Channel.enabled.is_(True))).all()
    wanted = set(template.channel_names)
    chosen = [
        c
        for c in channels
        if c.serves(LANE_CRISIS)
        and effective_type(c) not in PLAN_B_TYPES
        and (
            c.name in wanted
            or effective_type(c) in wanted
            or effective_type(c) in ALWAYS_TYPES
            or bool((c.options or {}).get("every_alert"))  # e.g. the press list, the city app
        )
    ]
    if drill:
        chosen = [c for c in chosen if c.drill]
    return sorted(chosen, key=lambda c: c.name)


def build_texts(template: AlertTemplate, values: dict[str, str]) -> dict[str, dict[str, str]]:
    return {
        lang: {part: " ".join(fill(text, values).split()) for part, text in parts.items()}
        for lang, parts in template.texts.items()
    }


def cap_sender() -> str:
    """CAP ``sender``: configurable; by default derived from the public URL's host."""
    configured = os.environ.get("ERNSTFALL_CAP_SENDER", "").strip()
    if configured:
        return configured
    host = urlparse(os.environ.get("ERNSTFALL_PUBLIC_URL", "http://ernstfall.local")).hostname
    return f"ernstfall@{host or 'ernstfall.local'}"


def earlier_in_thread(session: Session, alert: Alert) -> list[Alert]:
    """The messages this one refers to, oldest first."""
    chain: list[Alert] = []
    current = alert.references_id
    while current is not None and len(chain) < 100:
        earlier = session.get(Alert, current)
        if earlier is None:
            break
        chain.append(earlier)
        current = earlier.references_id
    return list(reversed(chain))


def cap_reference(alert: Alert) -> str:
    """One entry of CAP ``references``: sender,identifier,sent."""
    return f"{cap_sender()},{alert.identifier},{alert.created_at.isoformat(timespec='seconds')}"


def marked(text: str, drill: bool) -> str:
    return f"{DRILL_MARK}: {text}" if drill and DRILL_MARK not in text else text


def message_for(
    alert: Alert,
    cap: dict[str, Any],
    *,
    language: str = PRIMARY_LANGUAGE,
    references: list[str] | None = None,
    extras: dict[str, Any] | None = None,
) -> Message:
    """The message for every channel; ``extras`` carry what CAP, Atom and e-mail need."""
    texts = alert.texts.get(language) or alert.texts.get(PRIMARY_LANGUAGE) or next(iter(alert.texts.values()))
    drill = alert.status == "Exercise"
    return Message(
        text=texts["text"],
        title=marked(texts.get("headline", alert.headline), drill),
        link=alert.link,
        language=language,
        kind="alert",
        level=alert.level,
        drill=drill,
        expires_at=alert.expires_at.isoformat() if alert.expires_at else None,
        variants={k[len("channel:") :]: v for k, v in texts.items() if k.startswith("channel:")},
        extras={
            "alert_id": alert.id,
            "identifier": alert.identifier,
            "sender": cap_sender(),
            "msg_type": alert.msg_type,
            "status": alert.status,
            "references": list(references or []),
            "texts": alert.texts,
            "cap": cap,
            "event": alert.template.event if alert.template else alert.headline,
            "sent": alert.created_at.isoformat(timespec="seconds"),
            # Full precision: orders an update sent within the same second as its alert.
            "issued_at": alert.created_at.isoformat(),
            **(extras or {}),
        },
    )


def message_for_alert(session: Session, alert: Alert, language: str = PRIMARY_LANGUAGE) -> Message:
    cap = alert.template.cap if alert.template else {}
    refs = [cap_reference(a) for a in earlier_in_thread(session, alert)]
    return message_for(alert, cap, language=language, references=refs)


def _referenced(session: Session, msg_type: str, references_id: int | None) -> Alert | None:
    if msg_type == "Alert":
        return None
    if references_id is None:
        raise AlertError("Bezug fehlt: Aktualisierung und Entwarnung gehören zu einer Warnung", status=400)
    earlier = session.get(Alert, references_id)
    if earlier is None:
        raise AlertError(f"Warnung {references_id} nicht gefunden", status=404)
    if not earlier.active:
        raise AlertError(f"Warnung {references_id} ist nicht mehr aktiv (ersetzt oder entwarnt)", status=409)
    return earlier


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
    msg_type: str = "Alert",
    references_id: int | None = None,
    console_opened_at: datetime | None = None,
    via: str = "web",
) -> AlertResult:
    """Create an alert (or update / all-clear) and its deliveries, commit, then enqueue.

    The same idempotency key yields one alert, however often the form is submitted.
    """
    if not idempotency_key or len(idempotency_key) > 200:
        raise AlertError("Idempotenzschlüssel fehlt oder ist länger als 200 Zeichen", status=400)
    if msg_type not in MSG_TYPES:
        raise AlertError(f"Unbekannte Meldungsart {msg_type!r}", status=400)
    with db.session() as session:
        existing = session.scalar(select(Alert).where(Alert.idempotency_key == idempotency_key))
        if existing is not None:
            return AlertResult(existing.id, created=False)
        template = find_template(session, template_key)
        earlier = _referenced(session, msg_type, references_id)
        if earlier is not None:
            drill = earlier.status == "Exercise"  # a drill's follow-ups are drills too
        if msg_type == "Cancel" and template.level != "allclear":
            raise AlertError("Für die Entwarnung bitte eine Entwarnungs-Vorlage wählen", status=422)
        try:
            values = validate_values(template.placeholders, variables)
        except PlaceholderError as exc:
            raise AlertError("Angaben unvollständig oder ungültig", exc.problems) from exc
        texts = build_texts(template, values)
        now = utcnow()
        alert = Alert(
            identifier=f"ernstfall-{uuid.uuid4().hex}",
            idempotency_key=idempotency_key,
            template=template,
            msg_type=msg_type,
            status="Exercise" if drill else "Actual",
            references_id=earlier.id if earlier else None,
            level=template.level,
            headline=texts.get(PRIMARY_LANGUAGE, {}).get("headline", template.name)[:300],
            texts=texts,
            variables=values,
            link=template.link,
            active=msg_type != "Cancel",
            created_by_id=user_id,
            created_at=now,
            expires_at=now + timedelta(hours=ALLCLEAR_HOURS) if template.level == "allclear" else None,
            console_opened_at=console_opened_at,
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
        message = message_for_alert(session, alert)
        problems = {
            c.name: "; ".join(p.text for p in found)
            for c in channels
            if (found := validate_for(c, message, settings))
        }
        if len(problems) == len(channels):
            raise AlertError("Text passt in keinen Kanal", problems)
        # One misconfigured or too-short channel must not stop the alert everywhere else:
        # it is recorded as not sent, with its reason, and plan B takes over for it.
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
                refused=problems.get(c.name),
            )
            for c in channels
        ]
        from content_calendar.crisis.plan_b import sms_on_issue

        deliveries += sms_on_issue(session, alert, settings)
        if earlier is not None:
            _close_thread(session, earlier, alert, user_id)
        audit(
            session,
            f"alert.{msg_type.lower()}",
            user_id,
            alert,
            template=template.key,
            version=template.version,
            channels=[d.channel.name for d in deliveries],
            drill=drill,
            via=via,
            references=earlier.id if earlier else None,
        )
        session.flush()
        alert_id = alert.id
        ids = [(d.id, d.lane) for d in deliveries]
    dispatcher.enqueue(ids)  # after commit, never before
    return AlertResult(alert_id, created=True)


def _close_thread(session: Session, earlier: Alert, new: Alert, user_id: int | None) -> None:
    """An update replaces its alert; an all-clear ends the whole thread."""
    earlier.active = False
    if new.msg_type == "Cancel":
        now = utcnow()
        for alert in [*earlier_in_thread(session, earlier), earlier]:
            alert.active = False
            alert.cleared_at = alert.cleared_at or now
        if new.status == "Actual" and not crisis_active(session):
            audit(session, "crisis.ended", user_id, new)


def crisis_active(session: Session) -> bool:
    session.flush()
    return (
        session.scalar(select(Alert.id).where(Alert.active.is_(True), Alert.status == "Actual").limit(1))
        is not None
    )


def thread_head(session: Session, alert: Alert) -> Alert:
    """The newest message that refers (directly or not) to ``alert``."""
    head = alert
    for _ in range(100):
        newer = session.scalar(
            select(Alert).where(Alert.references_id == head.id).order_by(Alert.id).limit(1)
        )
        if newer is None:
            return head
        head = newer
    return head


def alert_deliveries(session: Session, alert_id: int) -> list[Delivery]:
    return list(
        session.scalars(
            select(Delivery)
            .where(Delivery.source_kind == "alert", Delivery.source_id == alert_id)
            .order_by(Delivery.id)
        )
    )
