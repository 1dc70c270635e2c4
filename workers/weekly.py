"""Weekly jobs of the scheduler: the editors' digest, Mondays from 07:00 local time.

Sent at most once per ISO week (remembered in the settings table), and only when an
SMTP server is configured (ERNSTFALL_SMTP_HOST), so a fresh install sends nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from content_calendar.calendar.digest import DigestError, send_weekly_digest
from content_calendar.calendar.post_model import Setting
from publisher.db import Database, utcnow
from publisher.settings import Settings, load_settings

log = logging.getLogger(__name__)
DIGEST_KEY = "digest_last_week"
DIGEST_WEEKDAY = 0  # Monday
DIGEST_HOUR = 7


def digest_due(last_week: str | None, now_local: datetime) -> str | None:
    """The ISO week to send for, or None if it is not time yet or it went out already."""
    if now_local.weekday() < DIGEST_WEEKDAY or (
        now_local.weekday() == DIGEST_WEEKDAY and now_local.hour < DIGEST_HOUR
    ):
        return None
    year, week, _ = now_local.isocalendar()
    current = f"{year}-W{week:02d}"
    return None if last_week == current else current


def maybe_send_digest(db: Database, settings: Settings, now: datetime | None = None) -> bool:
    if not load_settings().smtp_host:  # read now, like the digest's mail server itself
        return False
    now = now or utcnow()
    with db.session() as session:
        row = session.get(Setting, DIGEST_KEY)
        week = digest_due(row.value if row else None, now.astimezone(ZoneInfo(settings.timezone)))
        if week is None:
            return False
        # Remember first: a failing mail server must not mean a mail every second.
        session.merge(Setting(key=DIGEST_KEY, value=week))
    try:
        send_weekly_digest(db, settings, now)
    except (DigestError, OSError) as exc:
        log.warning("weekly digest for %s not sent: %s", week, exc)
        return False
    log.info("weekly digest for %s sent", week)
    return True
