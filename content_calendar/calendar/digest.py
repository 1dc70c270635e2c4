"""The weekly e-mail digest to editors: gaps in the plan and posts that did not go out.

Sent through ``publisher.smtp``; the mail server is ``Settings.smtp_*`` (``ERNSTFALL_SMTP_*``,
the password also as ``ERNSTFALL_SMTP_PASSWORD_FILE``). ``send_weekly_digest`` is the
one entry point: the CLI (``ernstfall digest``) and the scheduler call it.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from sqlalchemy import select
from sqlalchemy.orm import Session

from content_calendar.accounts.models import User
from content_calendar.accounts.policy import Permission, allows
from content_calendar.calendar.cadence import CadenceReport, cadence_report, failed_posts
from content_calendar.calendar.settings import friend_type
from content_calendar.calendar.timeutil import to_local
from publisher.db import Database, utcnow
from publisher.readiness import open_warnings, readiness
from publisher.settings import Settings, load_settings
from publisher.smtp import open_smtp, server_from_settings


class DigestError(RuntimeError):
    pass


@dataclass(frozen=True)
class Digest:
    recipients: list[str]
    subject: str
    body: str
    gaps: list[str]
    failed: list[str]


def editor_addresses(session: Session) -> list[str]:
    users = session.scalars(select(User).where(User.active.is_(True), User.email.is_not(None))).all()
    return sorted({u.email for u in users if u.email and allows(u.role_list(), Permission.PLAN_POSTS)})


def compose(session: Session, settings: Settings, now: datetime | None = None) -> Digest:
    now = now or utcnow()
    report: CadenceReport = cadence_report(session, friend_type(session), settings.timezone, now)
    failed = []
    for post, deliveries in failed_posts(session, now - timedelta(days=7)):
        when = to_local(post.publish_at, settings.timezone).strftime("%d.%m. %H:%M")
        title = post.title or post.text[:50]
        if deliveries:
            reasons = "; ".join(f"{d.channel.name}: {d.last_error or d.state}" for d in deliveries)
        else:
            reasons = "abgelaufen — nicht rechtzeitig freigegeben"
        failed.append(f"{when} „{title}“ — {reasons}")
    lines = [f"Wochenüberblick Ernstfall ({to_local(now, settings.timezone):%d.%m.%Y})", ""]
    lines.append(f"Ziel: {report.friend_type} — {report.target.label}")
    lines += ["", "Lücken im Plan:"] + ([f"- {g}" for g in report.gaps] or ["- keine"])
    lines += ["", "Nicht (vollständig) veröffentlicht in den letzten 7 Tagen:"]
    lines += [f"- {f}" for f in failed] or ["- keine"]
    lines += ["", "Kanäle mit offener Warnung oder Störung:"]
    warnings = open_warnings(readiness(session))
    lines += [f"- {r.channel}: {r.label} – {r.reason}" for r in warnings] or ["- keine"]
    lines += ["", "Diese Woche je Kanal (geplant / veröffentlicht):"]
    for channel in report.channels:
        week = channel.weeks[len(channel.weeks) - 3]
        lines.append(f"- {channel.channel}: {week.planned} / {week.published}")
    subject = "Ernstfall-Wochenüberblick"
    if report.gaps or failed:
        subject += f": {len(report.gaps)} Lücke(n), {len(failed)} Problem(e)"
    return Digest(editor_addresses(session), subject, "\n".join(lines) + "\n", report.gaps, failed)


def send_mail(settings: Settings, recipients: list[str], subject: str, body: str) -> None:
    server = server_from_settings(settings)
    if not server.host:
        raise DigestError("E-Mail nicht gesendet: kein Mailserver eingerichtet (ERNSTFALL_SMTP_HOST)")
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=settings.smtp_from.rpartition("@")[2] or None)
    message.set_content(body)
    try:
        with open_smtp(server) as client:
            client.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise DigestError(f"E-Mail an {server.host}:{server.port} nicht gesendet: {exc}") from exc


def send_weekly_digest(db: Database, settings: Settings, now: datetime | None = None) -> Digest:
    """Compose and send the digest to every editor with an e-mail address."""
    with db.session() as session:
        digest = compose(session, settings, now)
    if not digest.recipients:
        raise DigestError("Kein Empfänger: keine aktive Redaktion mit E-Mail-Adresse")
    # The mail server is read when sending (as the scheduler's weekly check does), not at start-up.
    send_mail(load_settings(), digest.recipients, digest.subject, digest.body)
    return digest
