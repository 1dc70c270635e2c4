"""A whole alert thread through the crisis console with a CAP channel next to every other kind:
alert → update → update → all-clear answers no 500, each CAP document is valid OASIS CAP 1.2 and
refers to all earlier ones with their own <sent>, the Cancel is in the CAP feed, and the MoWaS
hand-over file carries the same sender and the BBK profile fields."""

from __future__ import annotations

import html
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from lxml import etree
from sqlalchemy import select

from content_calendar.accounts.models import User
from content_calendar.crisis.templates import approve, load_library
from publisher.db import Database
from publisher.settings import Settings
from tests.channels.test_cap import CAP_TIME, SCHEMA, N
from tests.conftest import configure_channels, login
from tests.crisis.conftest import CHANNELS, EveryChannel
from tests.crisis.helpers import alerts, approved_library, console_send, deliveries, wait_for, wait_inline
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.sms import FakeSeven

STORM = {"gebiet": "Nordstadt", "von": "14:00", "bis": "18:00"}
CLEAR = {"gebiet": "Nordstadt", "hinweis": ""}
SENDER = "warnung@musterstadt.example"
ATOM = {"a": "http://www.w3.org/2005/Atom"}
CAP_CHANNELS = """
[channels.cap]
type = "cap"
lanes = ["crisis"]
drill = true
sender_name = "Stadt Musterstadt"
area_desc = "Stadtgebiet Musterstadt"
ars = "053150000000"

[channels.feed]
type = "atom"
lanes = ["crisis"]
drill = true
"""


@pytest.fixture
def cap_client(
    monkeypatch: pytest.MonkeyPatch,
    db: Database,
    instance: Settings,
    users: dict[str, int],
    mastodon: FakeMastodon,
    seven: FakeSeven,
    client: FlaskClient,
) -> Iterator[FlaskClient]:
    monkeypatch.setenv("ERNSTFALL_CAP_SENDER", SENDER)
    configure_channels(db, CHANNELS.format(mastodon=mastodon.url, seven=seven.base) + CAP_CHANNELS)
    approved_library(db, instance)
    login(client, "krisenstab")
    yield client


def send(client: FlaskClient, key: str, values: dict[str, str], **extra: str) -> int:
    """Press send in the console; the answer must be the redirect to the board, never a 5xx."""
    _, form = console_send(client, key, values, **extra)
    response = client.post(f"/krise/senden/{key}", data=form)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return int(response.headers["Location"].rsplit("/", 1)[-1])


def published(client: FlaskClient, db: Database, alert_id: int) -> etree._Element:
    """The CAP document the CAP channel published for ``alert_id``, checked against the schema."""
    delivery = wait_for(lambda: (d := deliveries(db, alert_id)["cap"]).state in ("sent", "dead") and d)
    assert delivery.state == "sent", delivery.last_error
    response = client.get(f"/public/cap/{delivery.remote_id}.xml")
    assert response.status_code == 200
    root = etree.fromstring(response.data)
    SCHEMA.assertValid(root)
    return root


def head(root: etree._Element) -> tuple[str, str, str]:
    return tuple(root.findtext(f"cap:{tag}", namespaces=N) or "" for tag in ("sender", "identifier", "sent"))  # type: ignore[return-value]


def run_thread(client: FlaskClient, drill: bool = False) -> list[int]:
    extra = {"uebung": "1"} if drill else {}
    first = send(client, "unwetter", STORM, **extra)
    second = send(client, "unwetter", {**STORM, "bis": "20:00"}, art="Update", bezug=str(first))
    third = send(client, "unwetter", {**STORM, "bis": "22:00"}, art="Update", bezug=str(second))
    fourth = send(client, "entwarnung", CLEAR, art="Cancel", bezug=str(third))
    wait_inline()
    return [first, second, third, fourth]


def test_alert_update_update_all_clear_with_every_channel_kind_refers_to_all_earlier_messages(
    cap_client: FlaskClient, db: Database
) -> None:
    ids = run_thread(cap_client)
    rows = {a.id: a for a in alerts(db)}
    assert [rows[i].msg_type for i in ids] == ["Alert", "Update", "Update", "Cancel"]
    documents = [published(cap_client, db, i) for i in ids]
    assert [d.findtext("cap:msgType", namespaces=N) for d in documents] == [
        "Alert",
        "Update",
        "Update",
        "Cancel",
    ]
    assert [d.findtext("cap:identifier", namespaces=N) for d in documents] == [
        rows[i].identifier for i in ids
    ]
    for number, document in enumerate(documents):
        sender, _, sent = head(document)
        assert sender == SENDER
        assert CAP_TIME.match(sent) and sent.endswith(("+01:00", "+02:00"))  # Europe/Berlin
        expected = " ".join(",".join(head(earlier)) for earlier in documents[:number])
        assert (document.findtext("cap:references", namespaces=N) or "") == expected
    cancel = documents[-1]
    assert cancel.findtext("cap:info/cap:responseType", namespaces=N) == "AllClear"
    # every other channel kind went out (or was previewed) beside CAP: nothing died of the thread
    for alert_id in ids:
        states = {name: d.state for name, d in deliveries(db, alert_id).items()}
        assert {"cap", "feed", "banner", "mastodon", "x"} <= set(states)
        assert "dead" not in states.values(), states


def test_the_all_clear_is_a_cap_cancel_in_the_public_cap_feed(cap_client: FlaskClient, db: Database) -> None:
    ids = run_thread(cap_client)
    cancel_id = published(cap_client, db, ids[-1]).findtext("cap:identifier", namespaces=N)
    feed = etree.fromstring(cap_client.get("/public/cap/index.atom").data)
    entries = {e.findtext("a:id", namespaces=ATOM): e for e in feed.findall("a:entry", ATOM)}
    assert len(entries) == 4
    entry = entries[f"urn:ernstfall:cap:{cancel_id}"]
    assert entry.find("a:category", ATOM).get("term") == "Cancel"
    assert (entry.findtext("a:title", namespaces=ATOM) or "").startswith("Aufhebung: ")
    link = entry.find("a:link", ATOM)
    assert link.get("type") == "application/cap+xml" and link.get("href").endswith(
        f"/public/cap/{cancel_id}.xml"
    )


def test_the_mowas_file_is_the_published_document_with_the_bbk_profile(
    cap_client: FlaskClient, db: Database
) -> None:
    ids = run_thread(cap_client)
    public = published(cap_client, db, ids[-1])
    response = cap_client.get(f"/krise/warnung/{ids[-1]}/cap.xml")
    assert response.status_code == 200 and response.mimetype == "application/cap+xml"
    mowas = etree.fromstring(response.data)
    SCHEMA.assertValid(mowas)
    assert head(mowas) == head(public)  # one sender, one sent for the channel and the hand-over
    assert mowas.findtext("cap:references", namespaces=N) == public.findtext("cap:references", namespaces=N)
    assert mowas.findtext("cap:msgType", namespaces=N) == "Cancel"
    info = mowas.find("cap:info", N)
    assert info.findtext("cap:language", namespaces=N) == "de-DE"
    assert info.findtext("cap:eventCode/cap:valueName", namespaces=N) == "profile:DE-BBK-EVENTCODE"
    assert info.findtext("cap:eventCode/cap:value", namespaces=N) == "BBK-EVC-001"
    assert info.findtext("cap:senderName", namespaces=N) == "Stadt Musterstadt"
    assert info.findtext(
        "cap:parameter[cap:valueName='warnVerwaltungsbereiche']/cap:value", namespaces=N
    ) == ("053150000000")
    assert info.findtext("cap:area/cap:areaDesc", namespaces=N) == "Nordstadt"  # the alert's own area
    assert (
        info.findtext("cap:area/cap:geocode[cap:valueName='SHN']/cap:value", namespaces=N) == "053150000000"
    )


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch) -> None:
    """The instance runs on UTC (set before the app and its senders read the settings)."""
    monkeypatch.setenv("ERNSTFALL_TIMEZONE", "UTC")


def test_a_drill_thread_is_exercise_and_utc_is_written_minus_zero(
    utc: None, cap_client: FlaskClient, db: Database
) -> None:
    ids = run_thread(cap_client, drill=True)
    documents = [published(cap_client, db, i) for i in ids]
    for number, document in enumerate(documents):
        assert document.findtext("cap:status", namespaces=N) == "Exercise"
        assert head(document)[2].endswith("-00:00")
        references = (document.findtext("cap:references", namespaces=N) or "").split()
        assert [r.rsplit(",", 1)[1] for r in references] == [head(d)[2] for d in documents[:number]]
        assert all(r.endswith("-00:00") for r in references)
    mowas = cap_client.get(f"/krise/warnung/{ids[-1]}/cap.xml").data
    assert b"+00:00" not in mowas and b"<status>Exercise</status>" in mowas


def test_a_wrong_ars_in_the_cap_channel_is_a_german_422_for_the_mowas_file(
    cap_client: FlaskClient, db: Database, mastodon: FakeMastodon, seven: FakeSeven
) -> None:
    first = send(cap_client, "unwetter", STORM)
    wait_inline()
    configure_channels(
        db,
        CHANNELS.format(mastodon=mastodon.url, seven=seven.base)
        + CAP_CHANNELS.replace("053150000000", "05315"),
    )
    response = cap_client.get(f"/krise/warnung/{first}/cap.xml")
    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    assert (
        "CAP-Datei für MoWaS nicht erstellt: Amtlicher Regionalschlüssel '05315' muss genau 12 Ziffern"
        in page
    )


def test_the_thread_goes_out_on_every_channel_type_at_once_with_a_cap_cancel_at_the_end(
    every_channel: EveryChannel, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ERNSTFALL_CAP_SENDER", SENDER)
    login(client, "krisenstab")
    db = every_channel.db
    ids = run_thread(client)
    documents = [published(client, db, i) for i in ids]
    assert [d.findtext("cap:msgType", namespaces=N) for d in documents] == [
        "Alert",
        "Update",
        "Update",
        "Cancel",
    ]
    assert documents[-1].findtext("cap:references", namespaces=N) == " ".join(
        ",".join(head(d)) for d in documents[:-1]
    )
    feed = client.get("/public/cap/index.atom").data
    assert b'term="Cancel"' in feed
    for alert_id in ids:
        delivered = deliveries(db, alert_id)
        assert len(delivered) >= 10  # every kind of channel got its delivery, CAP among them
        assert delivered["cap"].state == "sent"


def test_a_template_with_a_wrong_ars_leaves_cap_unsent_with_a_german_reason_and_the_rest_goes_out(
    db: Database,
    instance: Settings,
    users: dict[str, int],
    mastodon: FakeMastodon,
    seven: FakeSeven,
    client: FlaskClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ERNSTFALL_CAP_SENDER", SENDER)
    configure_channels(db, CHANNELS.format(mastodon=mastodon.url, seven=seven.base) + CAP_CHANNELS)
    with db.session() as session:
        editor = session.scalar(select(User).where(User.username == "redaktion"))
        approver = session.scalar(select(User).where(User.username == "freigabe"))
        assert editor and approver
        for template in load_library(session, editor.id):
            if template.key == "unwetter":
                template.cap = {**template.cap, "ars": "0531500000"}
            approve(session, template, approver.id, instance)
    login(client, "krisenstab")
    alert_id = send(client, "unwetter", STORM)
    wait_inline()
    delivered = deliveries(db, alert_id)
    assert delivered["cap"].state == "dead"
    assert "Amtlicher Regionalschlüssel '0531500000' muss genau 12 Ziffern haben" in (
        delivered["cap"].last_error or ""
    )
    assert wait_for(lambda: deliveries(db, alert_id)["mastodon"].state == "sent")
