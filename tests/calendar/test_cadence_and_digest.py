"""Cadence figures per channel and week, gaps, the SVG chart, and the weekly e-mail digest."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from email import message_from_bytes
from email.policy import default

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import update

from content_calendar.accounts.models import User
from content_calendar.calendar.cadence import TARGETS, cadence_report
from content_calendar.calendar.cadence_chart import cadence_svg
from content_calendar.calendar.digest import DigestError, send_weekly_digest
from content_calendar.calendar.post_model import PostState
from content_calendar.calendar.timeutil import local_to_utc
from publisher.channels.base import Message
from publisher.db import Database
from publisher.models import Channel, Delivery
from publisher.outbox import create_delivery
from publisher.settings import Settings
from publisher.vocabulary import DeliveryState, Lane
from tests.calendar.calendar_helpers import CHANNELS_TOML, add_post, channel_ids
from tests.conftest import configure_channels

TZ = "Europe/Berlin"
NOW = local_to_utc(datetime(2026, 6, 10, 12, 0), TZ)  # Wednesday


def _at(*parts: int) -> datetime:
    return local_to_utc(datetime(*parts), TZ)


def _sent(
    db: Database, settings: Settings, channel_id: int, post_id: int, when: datetime, state: str = "sent"
) -> None:
    with db.session() as session:
        channel = session.get(Channel, channel_id)
        delivery = create_delivery(
            session,
            channel=channel,
            lane=Lane.COMMUNITY,
            message=Message(text="x"),
            settings=settings,
            source_kind="post",
            source_id=post_id,
        )
        session.flush()
        session.execute(
            update(Delivery)
            .where(Delivery.id == delivery.id)
            .values(
                state=state,
                sent_at=when if state == "sent" else None,
                updated_at=when,
                last_error="HTTP 500: kaputt",
            )
        )


def test_planned_and_published_per_week_and_theme_mix(db: Database, instance: Settings) -> None:
    configure_channels(db, CHANNELS_TOML)
    mastodon, facebook = channel_ids(db, "mastodon", "facebook")
    last_week = add_post(
        db, _at(2026, 6, 2, 10, 0), [mastodon, facebook], PostState.PUBLISHED, "Kultur und Tourismus"
    )
    _sent(db, instance, mastodon, last_week, _at(2026, 6, 2, 10, 0, 1))
    add_post(db, _at(2026, 6, 9, 10, 0), [mastodon], PostState.PUBLISHED, "Stellenangebote")
    add_post(db, _at(2026, 6, 11, 10, 0), [mastodon], PostState.APPROVED, "Stellenangebote")
    add_post(db, _at(2026, 6, 12, 10, 0), [mastodon], PostState.CANCELLED, "Stellenangebote")
    with db.session() as session:
        report = cadence_report(session, "verlaesslich", TZ, NOW)
    figures = {c.channel: c for c in report.channels}
    weeks = {w.monday.isoformat(): (w.planned, w.published) for w in figures["mastodon"].weeks}
    assert weeks["2026-06-01"] == (1, 1)
    assert weeks["2026-06-08"] == (2, 0)  # the cancelled post does not count
    assert weeks["2026-06-15"] == (0, 0)
    assert figures["mastodon"].themes == {"Stellenangebote": 2, "Kultur und Tourismus": 1}
    assert figures["facebook"].weeks[3].planned == 1 and figures["facebook"].weeks[3].published == 0


def test_gap_message_names_the_days_without_a_plan(db: Database, instance: Settings) -> None:
    configure_channels(db, CHANNELS_TOML)
    mastodon, facebook = channel_ids(db, "mastodon", "facebook")
    add_post(db, NOW + timedelta(days=1), [mastodon])
    add_post(db, NOW + timedelta(days=8, hours=1), [facebook])
    with db.session() as session:
        report = cadence_report(session, "verlaesslich", TZ, NOW)
    assert report.gaps == ["facebook: für die nächsten 8 Tage ist nichts geplant"]
    with db.session() as session:
        empty = cadence_report(session, "verlaesslich", TZ, NOW + timedelta(days=30))
    assert "mastodon: für die nächsten 5 Tage ist nichts geplant" in empty.gaps


def test_verdicts_against_friend_type(db: Database, instance: Settings) -> None:
    configure_channels(db, CHANNELS_TOML)
    (mastodon,) = channel_ids(db, "mastodon")
    for day in (8, 9, 10):
        add_post(db, _at(2026, 6, day, 10, 0), [mastodon])
    with db.session() as session:
        chatty = cadence_report(session, "gespraechig", TZ, NOW)
        quiet = cadence_report(session, "ruhig", TZ, NOW)
    chatty_m = next(c for c in chatty.channels if c.channel == "mastodon")
    quiet_m = next(c for c in quiet.channels if c.channel == "mastodon")
    assert chatty_m.verdicts == ["diese Woche 3 geplant, Ziel mindestens 7 (täglich oder öfter)"]
    assert quiet_m.verdicts == ["diese Woche 3 geplant, Ziel höchstens 1 (höchstens wöchentlich)"]
    assert chatty.notes == ["Gesprächige Freunde sind auf mindestens 3 Kanälen aktiv (jetzt 2)."]


def test_svg_chart_has_one_bar_pair_per_week_and_the_target_line(db: Database, instance: Settings) -> None:
    configure_channels(db, CHANNELS_TOML)
    (mastodon,) = channel_ids(db, "mastodon")
    add_post(db, _at(2026, 6, 9, 10, 0), [mastodon])
    with db.session() as session:
        report = cadence_report(session, "verlaesslich", TZ, NOW)
    svg = str(cadence_svg(report.channels[1], TARGETS["verlaesslich"]))
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert svg.count("<rect") == 2 * 7
    assert "Ziel: mindestens 2 pro Woche" in svg
    assert "08.06.: 1" in svg


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []
        self.arrived = threading.Event()

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802
        self.messages.append((list(envelope.rcpt_tos), envelope.original_content))
        self.arrived.set()
        return "250 OK"


@pytest.fixture
def smtp_inbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Inbox]:
    """A real SMTP server (aiosmtpd) on a free loopback port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("ERNSTFALL_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("ERNSTFALL_SMTP_PORT", str(port))
    monkeypatch.setenv("ERNSTFALL_SMTP_FROM", "ernstfall@stadt.example")
    yield inbox
    controller.stop()


def test_weekly_digest_names_gaps_and_failed_posts(
    db: Database, instance: Settings, users: dict[str, int], smtp_inbox: _Inbox
) -> None:
    configure_channels(db, CHANNELS_TOML)
    mastodon, facebook = channel_ids(db, "mastodon", "facebook")
    with db.session() as session:
        session.get(User, users["redaktion"]).email = "redaktion@stadt.example"
        session.get(User, users["freigabe"]).email = "freigabe@stadt.example"  # not an editor
    failed = add_post(db, NOW - timedelta(days=2), [mastodon], PostState.FAILED, text="Stadtfest am Samstag")
    _sent(db, instance, mastodon, failed, NOW - timedelta(days=2), state=DeliveryState.DEAD)
    add_post(db, NOW + timedelta(days=1), [mastodon])
    digest = send_weekly_digest(db, instance, NOW)
    assert digest.recipients == ["redaktion@stadt.example"]
    assert smtp_inbox.arrived.wait(5)
    rcpt, content = smtp_inbox.messages[0]
    assert rcpt == ["redaktion@stadt.example"]
    mail = message_from_bytes(content, policy=default)
    assert mail["Subject"] == "Ernstfall-Wochenüberblick: 1 Lücke(n), 1 Problem(e)"
    body = mail.get_content()
    assert "facebook: für die nächsten 5 Tage ist nichts geplant" in body
    assert "„Stadtfest am Samstag“ — mastodon: HTTP 500: kaputt" in body


def test_digest_without_smtp_server_raises_clear_error(
    db: Database, instance: Settings, users: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("ERNSTFALL_SMTP_PORT", str(port))
    with db.session() as session:
        session.get(User, users["redaktion"]).email = "redaktion@stadt.example"
    with pytest.raises(DigestError, match="nicht gesendet"):
        send_weekly_digest(db, instance, NOW)


def test_cli_digest_sends_to_editors(
    db: Database,
    instance: Settings,
    users: dict[str, int],
    smtp_inbox: _Inbox,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from workers.cli import main

    with db.session() as session:
        session.get(User, users["redaktion"]).email = "redaktion@stadt.example"
    assert main(["digest"]) == 0
    assert "Wochenüberblick an 1 Empfänger gesendet" in capsys.readouterr().out
    assert smtp_inbox.arrived.wait(5)
    assert smtp_inbox.messages[0][0] == ["redaktion@stadt.example"]
