"""Alerts: which template, which channels, which thread; the errors a request can meet.

An alert (CAP msgType ``Alert``) may be followed by updates (``Update``) and ends with an
all-clear (``Cancel``); each follow-up refers to the messages before it, so CAP consumers and
our own board see one thread. The transitions live in ``content_calendar.crisis.lifecycle``,
the texts in ``content_calendar.crisis.compose``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from content_calendar.catalogues import Msg
from content_calendar.crisis.compose import PRIMARY_LANGUAGE, alert_message
from content_calendar.crisis.models import Alert, AlertTemplate
from content_calendar.refusal import Refused
from publisher.channels.base import Message
from publisher.models import Channel, Delivery
from publisher.outputs.cap import CapReference, reference_to
from publisher.settings import load_settings
from publisher.vocabulary import Lane

# Our own public outputs always carry an active alert, whatever the template lists.
ALWAYS_TYPES = {"banner", "atom", "cap"}
# SMS goes to subscribers by the plan-B rules (content_calendar.crisis.plan_b), not by the list.
PLAN_B_TYPES = {"sms"}


class AlertError(Refused):
    """A request to send an alert that cannot be honoured; ``problems`` name each field."""


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
            raise AlertError(
                Msg("Vorlage %(key)r ist noch nicht freigegeben (Vier-Augen-Prinzip)", key=key), status=409
            )
        raise AlertError(Msg("Unbekannte Vorlage %(key)r", key=key), status=404)
    if not template.usable:
        raise AlertError(
            Msg(
                "Vorlage %(key)r (Version %(version)s) ist noch nicht freigegeben",
                key=key,
                version=template.version,
            ),
            status=409,
        )
    return template


def alert_channels(session: Session, template: AlertTemplate, drill: bool) -> list[Channel]:
    channels = session.scalars(select(Channel).where(Channel.enabled.is_(True))).all()
    wanted = set(template.channel_names)
    chosen = [
        c
        for c in channels
        if c.serves(Lane.CRISIS)
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


def cap_sender() -> str:
    """CAP ``sender``: ``ERNSTFALL_CAP_SENDER``, by default ernstfall@ + the public URL's host."""
    return load_settings().cap_sender


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


def cap_reference(alert: Alert) -> CapReference:
    """One entry of CAP ``references``: sender, identifier and the message's own ``<sent>``."""
    return reference_to(cap_sender(), alert.identifier, alert.created_at, load_settings().timezone)


def message_for_alert(session: Session, alert: Alert, language: str = PRIMARY_LANGUAGE) -> Message:
    """What every channel gets for ``alert`` (built by the composer), with its CAP thread."""
    refs = [cap_reference(a) for a in earlier_in_thread(session, alert)]
    return alert_message(alert, language=language, references=refs, sender=cap_sender())


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
