"""Tell the crisis staff about a rumour jump: one e-mail per jump, to the readiness notifier's people.

The recipients are those of the readiness notices (``publisher.readiness.notify``): the crisis
staff users with an e-mail address (the caller passes them, ``workers.health.staff_addresses``)
and ``ERNSTFALL_STAFF_EMAILS``; the mail goes through the same ``send_mail`` and so through the
one SMTP factory (``publisher.smtp``). The jump is claimed (committed) before the mail server is
asked; if it refuses, the claim is released and the next fetch round tries again.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from datetime import datetime

from content_calendar.dialog import rumours
from content_calendar.dialog.rumours import RumourCount
from publisher.db import Database
from publisher.readiness.notify import send_mail
from publisher.settings import Settings

log = logging.getLogger(__name__)
RUMOURS_PATH = "/dialog/geruechte/"

StaffAddresses = Callable[[Database], list[str]]


def decimal(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


def mail(jump: RumourCount, settings: Settings) -> tuple[str, str]:
    """Subject and body (German, for the crisis staff): word, count, usual level, where to act."""
    subject = f"Ernstfall: Gerücht „{jump.keyword}“ — {jump.current} Treffer in 10 Minuten"
    body = "\n".join(
        [
            "Die Gerüchtebeobachtung meldet einen Sprung:",
            "",
            f"Suchwort: {jump.keyword}",
            f"Treffer in den letzten 10 Minuten: {jump.current}",
            f"Üblich je 10 Minuten: {decimal(jump.usual)} (Mittel der 24 Stunden davor)",
            "",
            f"Gerüchte und Richtigstellung: {settings.public_base_url.rstrip('/')}{RUMOURS_PATH}",
            "",
            "Diese Nachricht kommt einmal je Sprung; ein neuer Sprung wird erst gemeldet,",
            "wenn die Zahl wieder auf das Übliche gefallen ist.",
        ]
    )
    return subject, body + "\n"


def notify_staff(
    db: Database, settings: Settings, jumps: list[RumourCount], staff: StaffAddresses, now: datetime
) -> list[str]:
    """Mail each new jump (claimed and committed by ``rumours.notify_jumps``); returns the words mailed."""
    if not jumps:
        return []
    addresses = sorted({*staff(db), *settings.staff_emails})
    if not settings.smtp_host or not addresses:
        log.warning(
            "rumour jump not mailed (no ERNSTFALL_SMTP_HOST or no recipient): %s",
            ", ".join(j.keyword for j in jumps),
        )
        return []
    mailed = []
    for jump in jumps:
        subject, body = mail(jump, settings)
        try:
            send_mail(settings, addresses, subject, body)  # no transaction is open here
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("rumour jump mail not sent (the next round tries again): %s", exc)
            rumours.release(db, jump.keyword)
            continue
        rumours.mark_notified(db, jump.keyword, now)
        mailed.append(jump.keyword)
    return mailed
