"""Tell the crisis staff when a channel changes state: once per change, by e-mail, and by SMS
when a crisis channel fails.

A row whose ``state`` differs from ``notified_state`` owes the staff one message. The
notification is claimed with a conditional UPDATE before anything is sent (so two
workers never send it twice), sent outside any transaction, and released again if the
mail server refused, so the next check tries once more.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from sqlalchemy import select, update

from publisher.channels.base import ChannelConfig
from publisher.channels.sms_providers import provider_for
from publisher.db import Database, utcnow
from publisher.errors import DeliveryError
from publisher.models import Channel
from publisher.outbox import channel_config
from publisher.readiness.models import ChannelHealth
from publisher.settings import Settings
from publisher.smtp import open_smtp, server_from_settings
from publisher.text import sms as sms_text
from publisher.vocabulary import Lane, ReadinessState

log = logging.getLogger(__name__)
R = ReadinessState


@dataclass(frozen=True)
class Change:
    channel_id: int
    channel: str
    type: str
    crisis: bool
    old: ReadinessState
    new: ReadinessState
    reason: str

    @property
    def line(self) -> str:
        return f"{self.channel} ({self.type}): {self.old.label} → {self.new.label} — {self.reason}"


def claim_changes(db: Database) -> list[Change]:
    """Every change the staff have not been told about yet, claimed for this caller."""
    now = utcnow()
    claimed = []
    with db.session() as session:
        rows = session.scalars(
            select(ChannelHealth).where(ChannelHealth.state != ChannelHealth.notified_state)
        )
        for row in list(rows):
            hit = session.execute(
                update(ChannelHealth)
                .where(
                    ChannelHealth.channel_id == row.channel_id,
                    ChannelHealth.state == row.state,
                    ChannelHealth.notified_state == row.notified_state,
                )
                .values(notified_state=row.state, notified_at=now)
                .execution_options(synchronize_session=False)
            )
            if hit.rowcount:  # type: ignore[attr-defined]
                channel = row.channel
                claimed.append(
                    Change(
                        row.channel_id,
                        channel.name,
                        channel.type,
                        channel.serves(Lane.CRISIS),
                        R(row.notified_state),
                        R(row.state),
                        row.reason,
                    )
                )
    return claimed


def release(db: Database, changes: list[Change]) -> None:
    """Undo a claim whose message did not go out, so the next round tries again."""
    with db.session() as session:
        for change in changes:
            session.execute(
                update(ChannelHealth)
                .where(
                    ChannelHealth.channel_id == change.channel_id, ChannelHealth.notified_state == change.new
                )
                .values(notified_state=change.old)
            )


def mail(changes: list[Change], settings: Settings) -> tuple[str, str]:
    """Subject and body: what changed, why, and where to look."""
    worst = max(changes, key=lambda c: list(R).index(c.new))
    if len(changes) == 1:
        subject = f"Ernstfall: Kanal {worst.channel} {worst.new.label}"
    else:
        subject = f"Ernstfall: {len(changes)} Kanäle haben ihren Zustand geändert"
    lines = ["Die regelmäßige Prüfung der Kanäle hat eine Änderung festgestellt:", ""]
    lines += [f"- {c.line}" for c in changes]
    lines += [
        "",
        f"Übersicht: {settings.public_base_url}/  (Krisenkonsole: {settings.public_base_url}/krise/)",
    ]
    if any(c.new == R.FAILING and c.crisis for c in changes):
        lines += ["", "Ein Krisenkanal ist gestört: Warnungen gehen dort nicht hinaus. Plan B prüfen."]
    return subject, "\n".join(lines) + "\n"


def send_mail(settings: Settings, recipients: list[str], subject: str, body: str) -> None:
    """Raises OSError or smtplib.SMTPException; nothing is retried here."""
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=settings.smtp_from.rpartition("@")[2] or None)
    message.set_content(body)
    with open_smtp(server_from_settings(settings)) as client:
        client.send_message(message)


def sms_gateway(db: Database, settings: Settings, avoid: set[int]) -> ChannelConfig | None:
    """An enabled SMS channel that is not itself failing, to reach the staff through."""
    with db.session() as session:
        for channel in session.scalars(
            select(Channel).where(Channel.enabled.is_(True)).order_by(Channel.name)
        ):
            health = session.get(ChannelHealth, channel.id)
            failing = health is not None and health.state == R.FAILING
            if channel.type == "sms" and channel.id not in avoid and not failing:
                return channel_config(channel, settings)
    return None


def send_staff_sms(db: Database, settings: Settings, failing: list[Change]) -> bool:
    if not settings.staff_sms or not failing:
        return False
    gateway = sms_gateway(db, settings, {c.channel_id for c in failing})
    if gateway is None:
        log.warning("staff SMS not sent: no working SMS channel")
        return False
    names = ", ".join(c.channel for c in failing)
    text = sms_text.analyse(f"Ernstfall: Krisenkanal gestört: {names}. Bitte Übersicht prüfen.")
    try:
        provider_for(gateway).send_batch(
            text.text, list(settings.staff_sms), encoding=text.encoding, reference="readiness"
        )
    except DeliveryError as exc:
        log.warning("staff SMS via %s not sent: %s", gateway.name, exc)
        return False
    return True


def notify_changes(db: Database, settings: Settings, recipients: list[str]) -> list[Change]:
    """Send what is owed; returns the changes the staff were told about."""
    changes = claim_changes(db)
    if not changes:
        return []
    addresses = sorted({*recipients, *settings.staff_emails})
    if settings.smtp_host and addresses:
        subject, body = mail(changes, settings)
        try:
            send_mail(settings, addresses, subject, body)
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("readiness mail not sent (next check tries again): %s", exc)
            release(db, changes)
            return []
    else:
        log.warning(
            "readiness change not mailed (no ERNSTFALL_SMTP_HOST or no recipient): %s",
            "; ".join(c.line for c in changes),
        )
    send_staff_sms(db, settings, [c for c in changes if c.new == R.FAILING and c.crisis])
    return changes
