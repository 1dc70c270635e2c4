"""Demo data: preview channels, one user per role, a week of posts, approved templates."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from content_calendar.accounts.auth import create_user, generate_password
from content_calendar.accounts.models import User
from content_calendar.calendar.post_model import Post, PostState
from content_calendar.crisis.models import AlertTemplate
from content_calendar.crisis.template_library import TEMPLATES
from publisher.channel_config import load_channels_file, sync_channels
from publisher.db import Database, utcnow
from publisher.models import Channel
from publisher.settings import Settings

DEMO_CHANNELS = """\
# Ernstfall channel configuration (demo). See README, section "Kanäle konfigurieren".
# Credentials are never written here: use <key>_env (environment variable) or
# <key>_file (a file, e.g. a container secret).

[channels.banner]
type = "banner"
lanes = ["crisis"]
drill = true

[channels.mastodon]
type = "mastodon"
preview = true                      # no credentials yet: records what would be posted
base_url = "https://social.example.de"
token_env = "ERNSTFALL_MASTODON_TOKEN"
drill = true

[channels.facebook]
type = "facebook"
preview = true

[channels.instagram]
type = "instagram"
preview = true

[channels.x]
type = "x"
preview = true
"""

DEMO_ROLES = {
    "admin": ["admin"],
    "redaktion": ["editor"],
    "freigabe": ["approver"],
    "krisenstab": ["crisis"],
    "fallback": ["fallback"],
}

DEMO_POSTS = [
    (
        "Tierheim-Liebling der Woche",
        "Darf ich vorstellen: Bruno, 4 Jahre, liebt Bälle und "
        "Spaziergänge am Fluss. Das Tierheim freut sich auf Ihren Besuch!",
        "Alltag und Lustiges / Tiere",
    ),
    (
        "Wochenmarkt",
        "Frischer Spargel, regionaler Käse und gute Gespräche: Der Wochenmarkt "
        "auf dem Rathausplatz hat heute bis 13 Uhr geöffnet.",
        "Lokale Wirtschaft",
    ),
    (
        "Stadtfest",
        "Noch drei Wochen bis zum Stadtfest! Welche Band wünschen Sie sich auf der Hauptbühne?",
        "Aktuelles und Feste",
    ),
    (
        "Glasfaser",
        "Der Glasfaserausbau in der Nordstadt ist abgeschlossen. Über 1.200 "
        "Haushalte können jetzt schnelles Internet buchen.",
        "Digitalisierung und Breitband",
    ),
    (
        "Ehrenamt",
        "Die Freiwillige Feuerwehr sucht Verstärkung. Infoabend am Donnerstag, 19 Uhr, im Gerätehaus.",
        "Soziales — Integration und Ehrenamt",
    ),
    (
        "Stellenangebot",
        "Wir suchen eine Gärtnerin oder einen Gärtner für unsere Parks. Bewerbung bis Monatsende.",
        "Stellenangebote",
    ),
    (
        "Stadtradeln",
        "Stadtradeln startet: Jeder Kilometer zählt für unser Klima.",
        "Nachhaltigkeit und Umwelt",
    ),
]


def write_demo_channels(path: Path) -> bool:
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(DEMO_CHANNELS, encoding="utf-8")
    return True


def load_demo(db: Database, settings: Settings) -> dict[str, str]:
    """Load demo data once; returns new logins (empty if users already existed)."""
    write_demo_channels(settings.channels_file)
    logins: dict[str, str] = {}
    with db.session() as session:
        sync_channels(session, load_channels_file(settings.channels_file))
        if session.scalar(select(User).limit(1)) is None:
            for username, roles in DEMO_ROLES.items():
                password = settings.demo_password or generate_password()
                create_user(session, username, roles, password)
                logins[username] = password
        editor = session.scalar(select(User).where(User.username == "redaktion"))
        approver = session.scalar(select(User).where(User.username == "freigabe"))
        if session.scalar(select(AlertTemplate).limit(1)) is None:
            for spec in TEMPLATES:
                session.add(
                    AlertTemplate(
                        **spec,
                        created_by_id=editor.id if editor else None,
                        approved_by_id=approver.id if approver else None,
                        approved_at=utcnow(),
                    )
                )
        if session.scalar(select(Post).limit(1)) is None:
            _demo_week(session, settings, editor, approver)
    return logins


def _demo_week(session, settings: Settings, editor: User | None, approver: User | None) -> None:  # type: ignore[no-untyped-def]
    zone = ZoneInfo(settings.timezone)
    channels = session.scalars(select(Channel).where(Channel.lanes.contains("community"))).all()
    ids = [c.id for c in channels][:3]
    today = datetime.now(zone).date()
    for offset, (title, text, theme) in enumerate(DEMO_POSTS, start=1):
        when = datetime.combine(today + timedelta(days=offset), time(10, 0), tzinfo=zone)
        session.add(
            Post(
                title=title,
                text=text,
                theme=theme,
                channel_ids=ids,
                publish_at=when,
                state=PostState.APPROVED,
                author_id=editor.id if editor else None,
                approver_id=approver.id if approver else None,
                approved_at=utcnow(),
            )
        )


def save_logins(settings: Settings, logins: dict[str, str]) -> Path:
    """Keep the demo logins in the instance folder (mode 0600), never in the repo."""
    path = settings.home / "demo-logins.txt"
    lines = [f"{user}\t{password}\t{','.join(DEMO_ROLES[user])}" for user, password in logins.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path.chmod(0o600)
    return path
