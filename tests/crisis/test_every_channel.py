"""The whole alert lifecycle with every channel type configured at once (issue 10).

Features used to work in tests that configured one or two channels and break with others
(a CAP channel turned every update and all-clear into an HTTP 500). Here Mastodon, X,
Facebook, Instagram, Bluesky, Telegram, a webhook, e-mail, SMS, the banner, Atom, CAP and a
preview-only channel are configured together, each against its real fake on loopback, and
the lifecycle runs through the console, the module and the CLI (inline dispatch, no Redis).
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from lxml import etree

from content_calendar.crisis.lifecycle import expire_due
from content_calendar.crisis.mode import crisis_mode
from content_calendar.crisis.models import Alert
from publisher.db import utcnow
from publisher.settings import Settings
from publisher.vocabulary import (
    DRILL_MARK,
    MARK_SEPARATOR,
    UPDATE_MARK,
    AlertLevel,
    AlertState,
    CapMsgType,
    CapStatus,
    DeliveryState,
)
from tests.channels.test_cap import SCHEMA, N
from tests.conftest import api_token, login
from tests.crisis.conftest import EVERY_SUBSCRIBER, PRESS, EveryChannel
from tests.crisis.helpers import alerts, console_send, deliveries, wait_inline
from workers.cli import main as cli
from workers.supervisor import free_port

STORM = {"gebiet": "Nordstadt", "von": "14:00", "bis": "18:00"}
CLEAR = {"gebiet": "Nordstadt", "hinweis": "Straßen wieder frei"}
ATOM = {"a": "http://www.w3.org/2005/Atom"}
# The platforms outside our house, each with its own fake; SMS to the subscriber is plan B.
PLATFORMS = ("mastodon", "x", "facebook", "instagram", "bluesky", "telegram", "stadt-app", "presse", "sms")
OWN_OUTPUTS = ("banner", "feed", "cap")
REAL_DELIVERIES = frozenset(
    {"mastodon", "x", "facebook", "instagram", "bluesky", "telegram", "stadt-app", "presse", "sms:de"}
    | set(OWN_OUTPUTS)
)
PREVIEW = "vorschau"
DRILL_DELIVERIES = frozenset({"telegram", "stadt-app", "sms:de", "banner", "feed", "cap", PREVIEW})
NOT_FOR_DRILLS = ("mastodon", "x", "facebook", "instagram", "bluesky", "presse")


@pytest.fixture
def every_client(every_channel: EveryChannel, client: FlaskClient) -> FlaskClient:
    """The console, logged in as crisis staff (the app is created after every channel exists)."""
    login(client, "krisenstab")
    return client


# -- pressing the buttons -----------------------------------------------------------------


def press_send(client: FlaskClient, key: str, values: dict[str, str], **extra: str) -> int:
    """Preview as a person does, then send with the preview's hash: 303 to a board that answers 200."""
    _, form = console_send(client, key, values, **extra)
    preview = client.post(f"/krise/senden/{key}", data={**form, "action": "preview"})
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200, page[:3000]
    found = re.search(r'name="approved_hash" value="([0-9a-f]{64})"', page)
    assert found, page[:3000]
    response = client.post(f"/krise/senden/{key}", data={**form, "approved_hash": found.group(1)})
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    wait_inline()
    board = client.get(response.headers["Location"])
    assert board.status_code == 200
    return int(response.headers["Location"].rsplit("/", 1)[-1])


def run_thread(client: FlaskClient, **extra: str) -> list[int]:
    """Alert → update → update → all-clear, each from the console."""
    first = press_send(client, "unwetter", STORM, **extra)
    second = press_send(client, "unwetter", {**STORM, "bis": "20:00"}, art="Update", bezug=str(first))
    third = press_send(client, "unwetter", {**STORM, "bis": "22:00"}, art="Update", bezug=str(second))
    fourth = press_send(client, "entwarnung", CLEAR, art="Cancel", bezug=str(third))
    return [first, second, third, fourth]


# -- what arrived where -------------------------------------------------------------------


def _mastodon_status(request: Any) -> str:
    if request.headers.get("content-type", "").startswith("application/json"):
        return str(request.json()["status"])
    return str(request.form()["status"][0])


def _mail_text(received: Any) -> str:
    return str(received.message.get_body(("plain",)).get_content())


def received(every: EveryChannel) -> dict[str, list[str]]:
    """The public text each platform's fake accepted, in the order it arrived."""
    return {
        "mastodon": [_mastodon_status(r) for r in every.mastodon.posted()],
        "x": [post["text"] for post in every.x.posts],
        "facebook": [post["message"] for post in every.graph.feed],
        "instagram": [media["caption"] for media in every.graph.ig_media.values()],
        "bluesky": [record["text"] for record in every.bluesky.records.values()],
        "telegram": [m.get("text") or m.get("caption") or "" for m in every.telegram.messages],
        "stadt-app": [r.json()["text"] for r in every.webhook.posts()],
        "presse": [_mail_text(mail) for mail in every.smtp.received],
        "sms": [r.json()["text"] for r in every.seven.sent()],
    }


def requests_seen(every: EveryChannel) -> dict[str, int]:
    """How many requests (or mails) each fake has seen: a quiet end makes none."""
    fakes = {
        "mastodon": every.mastodon,
        "x": every.x,
        "graph": every.graph,
        "bluesky": every.bluesky,
        "telegram": every.telegram,
        "stadt-app": every.webhook,
        "sms": every.seven,
    }
    seen = {name: len(fake.requests) for name, fake in fakes.items()}
    return {**seen, "presse": len(every.smtp.received)}


def cap_documents(public_dir: Path) -> dict[str, etree._Element]:
    """Every CAP document the CAP channel wrote, each checked against the OASIS 1.2 schema."""
    documents = {}
    for path in sorted((public_dir / "cap").glob("*.xml")):
        root = etree.fromstring(path.read_bytes())
        SCHEMA.assertValid(root)
        documents[root.findtext("cap:identifier", namespaces=N) or ""] = root
    return documents


def feed_entries(client: FlaskClient, url: str) -> list[etree._Element]:
    response = client.get(url)
    assert response.status_code == 200
    return list(etree.fromstring(response.data).findall("a:entry", ATOM))


def public_banner(client: FlaskClient) -> dict[str, Any] | None:
    """What the city website's banner snippet gets."""
    body = client.get("/public/banner.json").get_json()
    assert isinstance(body, dict)
    banner: dict[str, Any] | None = body["banner"]
    return banner


def states(alert_id: int, every: EveryChannel) -> dict[str, str]:
    return {name: str(d.state) for name, d in deliveries(every.db, alert_id).items()}


def alert_row(every: EveryChannel, alert_id: int) -> Alert:
    return next(a for a in alerts(every.db) if a.id == alert_id)


def in_crisis_mode(every: EveryChannel, settings: Settings) -> bool:
    with every.db.session() as session:
        return crisis_mode(session, settings).active


# -- the public thread --------------------------------------------------------------------


def test_alert_two_updates_and_all_clear_reach_every_platform_with_update_marks(
    every_client: FlaskClient, every_channel: EveryChannel
) -> None:
    ids = run_thread(every_client)
    assert [alert_row(every_channel, i).msg_type for i in ids] == [
        CapMsgType.ALERT,
        CapMsgType.UPDATE,
        CapMsgType.UPDATE,
        CapMsgType.CANCEL,
    ]
    texts = received(every_channel)
    for platform in PLATFORMS:
        alert, update1, update2, clear = texts[platform]  # exactly four messages, nothing lost or doubled
        assert "Nordstadt" in alert and UPDATE_MARK not in alert, platform
        assert UPDATE_MARK in update1 and "20:00" in update1, platform
        assert UPDATE_MARK in update2 and "22:00" in update2, platform
        assert "Entwarnung" in clear and UPDATE_MARK not in clear, platform
    assert [mail.rcpt_tos for mail in every_channel.smtp.received] == [PRESS] * 4
    assert {r.json()["to"].lstrip("+") for r in every_channel.seven.sent()} == {EVERY_SUBSCRIBER.lstrip("+")}
    for alert_id in ids:
        found = states(alert_id, every_channel)
        assert set(found) == REAL_DELIVERIES | {PREVIEW}
        assert {name: found[name] for name in REAL_DELIVERIES} == dict.fromkeys(
            REAL_DELIVERIES, DeliveryState.SENT
        )


def test_the_thread_is_in_cap_atom_and_the_banner_and_the_preview_never_counts_as_sent(
    every_client: FlaskClient, every_channel: EveryChannel, instance: Settings
) -> None:
    ids = run_thread(every_client)
    rows = [alert_row(every_channel, i) for i in ids]
    documents = cap_documents(instance.public_dir)
    thread = [documents[row.identifier] for row in rows]
    assert [d.findtext("cap:msgType", namespaces=N) for d in thread] == [
        "Alert",
        "Update",
        "Update",
        "Cancel",
    ]
    for number, document in enumerate(thread):
        references = (document.findtext("cap:references", namespaces=N) or "").split()
        assert [r.split(",")[1] for r in references] == [row.identifier for row in rows[:number]]
    cap_feed = feed_entries(every_client, "/public/cap/index.atom")
    assert sorted(e.find("a:category", ATOM).get("term") for e in cap_feed) == [
        "Alert",
        "Cancel",
        "Update",
        "Update",
    ]
    atom = [
        e.findtext("a:title", namespaces=ATOM) or ""
        for e in feed_entries(every_client, "/public/feeds/alerts.atom")
    ]
    assert len(atom) == 4 and sum(UPDATE_MARK in title for title in atom) == 2
    banner = public_banner(every_client)
    assert (
        banner is not None and banner["level"] == AlertLevel.ALLCLEAR and "Entwarnung" in banner["headline"]
    )
    for alert_id in ids:
        assert states(alert_id, every_channel)[PREVIEW] == DeliveryState.PREVIEWED
    board = every_client.get(f"/krise/warnung/{ids[-1]}").get_data(as_text=True)
    assert '<p id="all-confirmed" >' in board or '<p id="all-confirmed">' in board
    assert "1 Vorschau erstellt, nicht veröffentlicht." in board
    assert not in_crisis_mode(every_channel, instance)


def test_a_cap_update_and_a_cap_drill_carry_the_composers_marks_in_the_headline(
    every_client: FlaskClient, every_channel: EveryChannel, instance: Settings
) -> None:
    first = press_send(every_client, "unwetter", STORM, uebung="1")
    update = press_send(every_client, "unwetter", {**STORM, "bis": "20:00"}, art="Update", bezug=str(first))
    documents = cap_documents(instance.public_dir)
    headline = documents[alert_row(every_channel, update).identifier].findtext(
        "cap:info/cap:headline", namespaces=N
    )
    assert headline == MARK_SEPARATOR.join([DRILL_MARK, UPDATE_MARK, "Unwetterwarnung für Nordstadt"])


# -- ending without a public message --------------------------------------------------------


def test_a_second_alert_closed_quietly_posts_nothing_anywhere_and_clears_the_banner(
    every_client: FlaskClient, every_channel: EveryChannel, instance: Settings
) -> None:
    run_thread(every_client)
    second = press_send(every_client, "unwetter", {**STORM, "gebiet": "Südstadt"})
    assert in_crisis_mode(every_channel, instance)
    assert (public_banner(every_client) or {}).get("level") == AlertLevel.SEVERE
    before, cap_before = requests_seen(every_channel), set(cap_documents(instance.public_dir))
    refused = every_client.post(
        f"/krise/warnung/{second}/beenden", data={"grund": " "}, follow_redirects=True
    )
    assert refused.status_code == 200 and "Bitte einen Grund angeben" in refused.get_data(as_text=True)
    assert alert_row(every_channel, second).state == AlertState.ACTIVE

    response = every_client.post(
        f"/krise/warnung/{second}/beenden", data={"grund": "versehentlich ausgelöst"}
    )
    assert response.status_code == 303
    assert every_client.get(response.headers["Location"]).status_code == 200
    wait_inline()

    assert requests_seen(every_channel) == before  # no post, no mail, no SMS, not even a request
    assert set(cap_documents(instance.public_dir)) == cap_before  # no CAP Cancel either
    assert public_banner(every_client) is None
    closed = alert_row(every_channel, second)
    assert closed.state == AlertState.CLOSED and closed.end_reason == "versehentlich ausgelöst"
    assert len(alerts(every_channel.db)) == 5  # the close is no message of its own
    assert not in_crisis_mode(every_channel, instance)


def test_an_expired_alert_ends_crisis_mode_silently_on_every_channel(
    every_client: FlaskClient, every_channel: EveryChannel, instance: Settings
) -> None:
    alert_id = press_send(every_client, "unwetter", STORM)
    assert in_crisis_mode(every_channel, instance)
    before = requests_seen(every_channel)
    assert expire_due(every_channel.db, instance) == []  # not yet
    later = utcnow() + timedelta(hours=instance.alert_expiry_hours + 1)
    assert expire_due(every_channel.db, instance, now=later) == [alert_id]
    wait_inline()
    assert alert_row(every_channel, alert_id).state == AlertState.EXPIRED
    assert not in_crisis_mode(every_channel, instance)
    assert public_banner(every_client) is None
    assert requests_seen(every_channel) == before


# -- a drill --------------------------------------------------------------------------------


def test_a_drill_reaches_only_drill_channels_and_every_text_starts_with_uebung(
    every_client: FlaskClient, every_channel: EveryChannel, instance: Settings
) -> None:
    ids = run_thread(every_client, uebung="1")
    assert {alert_row(every_channel, i).status for i in ids} == {CapStatus.EXERCISE}
    for alert_id in ids:
        sent = deliveries(every_channel.db, alert_id)
        assert set(sent) == DRILL_DELIVERIES
        for name, delivery in sent.items():
            rendered = delivery.rendered or {}
            text = str(rendered.get("text") or rendered.get("caption") or "")
            if name != "cap":  # the CAP rendering is the XML document, checked below
                assert text.startswith(DRILL_MARK), (name, text)
    texts = received(every_channel)
    for platform in NOT_FOR_DRILLS:
        assert texts[platform] == [], platform
    for platform in ("telegram", "stadt-app", "sms"):
        assert len(texts[platform]) == 4, platform
        assert all(text.startswith(DRILL_MARK) for text in texts[platform]), texts[platform]
    for document in cap_documents(instance.public_dir).values():
        assert document.findtext("cap:status", namespaces=N) == "Exercise"
    titles = [
        e.findtext("a:title", namespaces=ATOM) or ""
        for e in feed_entries(every_client, "/public/feeds/alerts.atom")
    ]
    assert len(titles) == 4 and all(title.startswith(DRILL_MARK) for title in titles), titles
    assert not in_crisis_mode(every_channel, instance)


# -- the CLI, with the web and Redis down -------------------------------------------------


def test_the_cli_runs_the_lifecycle_on_every_channel_with_redis_down(
    every_channel: EveryChannel, instance: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")  # nobody listens there
    storm = ["--var", "gebiet=Nordstadt", "--var", "von=14:00", "--var", "bis=18:00"]
    assert cli(["alert", "send", "unwetter", *storm]) == 0
    first = alerts(every_channel.db)[-1].id
    assert cli(["alert", "update", str(first), "--var", "bis=20:00"]) == 0
    second = alerts(every_channel.db)[-1].id
    assert cli(["alert", "update", str(second), "--var", "bis=22:00"]) == 0
    third = alerts(every_channel.db)[-1].id
    assert cli(["alert", "all-clear", str(third), "--note", "Straßen wieder frei"]) == 0
    texts = received(every_channel)
    for platform in PLATFORMS:
        assert len(texts[platform]) == 4, (platform, texts[platform])
        assert [UPDATE_MARK in text for text in texts[platform]] == [False, True, True, False], platform
    rows = alerts(every_channel.db)
    assert [row.msg_type for row in rows] == ["Alert", "Update", "Update", "Cancel"]
    for row in rows:
        found = deliveries(every_channel.db, row.id)
        assert {n: str(d.state) for n, d in found.items() if n != PREVIEW} == dict.fromkeys(
            REAL_DELIVERIES, DeliveryState.SENT
        )
        assert found[PREVIEW].state == DeliveryState.PREVIEWED
        assert all(d.dispatched_inline for d in found.values())
    assert [
        d.findtext("cap:msgType", namespaces=N) for d in cap_documents(instance.public_dir).values()
    ].count("Cancel") == 1

    assert cli(["alert", "send", "unwetter", *storm]) == 0
    fifth = alerts(every_channel.db)[-1].id
    before = requests_seen(every_channel)
    assert cli(["alert", "close", str(fifth), "--reason", "Fehlalarm"]) == 0
    assert requests_seen(every_channel) == before
    assert alert_row(every_channel, fifth).state == AlertState.CLOSED
    assert not in_crisis_mode(every_channel, instance)


# -- the API --------------------------------------------------------------------------------


def api_post(client: FlaskClient, token: str, path: str, key: str | None, body: dict[str, Any]) -> Any:
    """POST, then let the inline sends finish, as a caller would before its next step."""
    headers = {"Authorization": f"Bearer {token}"} | ({"Idempotency-Key": key} if key else {})
    response = client.post(f"/api/v1{path}", json=body, headers=headers)
    wait_inline()
    return response


def api_get(client: FlaskClient, token: str, path: str) -> Any:
    response = client.get(f"/api/v1{path}", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_the_api_runs_alert_update_all_clear_and_quiet_close_on_every_channel(
    every_channel: EveryChannel, client: FlaskClient
) -> None:
    token = api_token(every_channel.db, "krisenstab")
    first = api_post(client, token, "/alerts", "api-1", {"template": "unwetter", "variables": STORM})
    assert first.status_code == 201, first.get_data(as_text=True)
    first_id = first.get_json()["id"]
    crisis = api_get(client, token, "/crisis")
    assert crisis["active"] is True and [a["id"] for a in crisis["alerts"]] == [first_id]

    update = api_post(client, token, f"/alerts/{first_id}/update", "api-2", {"variables": {"bis": "20:00"}})
    assert update.status_code == 201, update.get_data(as_text=True)
    again = api_post(client, token, f"/alerts/{first_id}/update", "api-2", {"variables": {"bis": "20:00"}})
    assert again.status_code == 200 and again.get_json()["id"] == update.get_json()["id"]
    update_id = update.get_json()["id"]
    clear = api_post(
        client, token, f"/alerts/{update_id}/all-clear", "api-3", {"note": "Straßen wieder frei"}
    )
    assert clear.status_code == 201, clear.get_data(as_text=True)
    assert [first.get_json()["msg_type"], update.get_json()["msg_type"], clear.get_json()["msg_type"]] == [
        "Alert",
        "Update",
        "Cancel",
    ]
    wait_inline()
    assert api_get(client, token, "/crisis") == {"active": False, "since": None, "alerts": []}
    texts = received(every_channel)
    for platform in PLATFORMS:
        assert [UPDATE_MARK in text for text in texts[platform]] == [False, True, False], platform
    for alert_id in (first_id, update_id, clear.get_json()["id"]):
        found = {
            d["channel"]: d["state"] for d in api_get(client, token, f"/alerts/{alert_id}")["deliveries"]
        }
        assert found.pop(PREVIEW) == DeliveryState.PREVIEWED
        assert set(found.values()) == {DeliveryState.SENT}, found

    second = api_post(client, token, "/alerts", "api-4", {"template": "unwetter", "variables": STORM})
    assert second.status_code == 201
    second_id = second.get_json()["id"]
    wait_inline()
    before = requests_seen(every_channel)
    closed = api_post(client, token, f"/alerts/{second_id}/close", None, {"reason": "Fehlalarm"})
    assert closed.status_code == 200 and closed.get_json()["state"] == AlertState.CLOSED
    assert requests_seen(every_channel) == before
    twice = api_post(client, token, f"/alerts/{second_id}/close", None, {"reason": "noch einmal"})
    assert twice.status_code == 409 and "nicht mehr aktiv" in twice.get_data(as_text=True)
    assert api_get(client, token, "/crisis")["active"] is False
