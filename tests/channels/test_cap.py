"""CAP 1.2 documents, validated against the OASIS schema; times, references, the BBK/MoWaS fields
and the public CAP feed."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from publisher.channels.base import ChannelConfig, Message
from publisher.channels.cap import NS, CapChannel
from publisher.outputs.cap import (
    CapError,
    CapProfile,
    cap_document,
    cap_time,
    reference_to,
    references_text,
)
from publisher.settings import Settings
from tests.channels.pipeline import wait_for_state
from tests.conftest import configure_channels, create_test_app

# The normative OASIS CAP 1.2 schema, vendored as test data (source named in the file).
SCHEMA_FILE = Path(__file__).parent / "data" / "CAP-v1.2.xsd"
SCHEMA = etree.XMLSchema(etree.parse(str(SCHEMA_FILE)))
N = {"cap": NS}
# CAP 1.2, 3.3.2: seconds, a numeric offset, no "Z", no fraction.
CAP_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[-+]\d\d:\d\d$")
SENDER = "warnung@stadt.example"
TEXTS = {
    "de": {"headline": "Unwetterwarnung für Nordstadt", "text": "Bleiben Sie in Gebäuden."},
    "en": {"headline": "Severe weather warning", "text": "Stay indoors."},
    "de-x-ls": {"headline": "Sturm in Nordstadt", "text": "Bleiben Sie im Haus."},
}
ORIGINAL = {"sender": SENDER, "identifier": "ernstfall-abc123", "sent": "2026-11-21T13:00:00+00:00"}


def alert(**extras: Any) -> Message:
    base = {
        "alert_id": 1,
        "identifier": "ernstfall-abc123",
        "sender": SENDER,
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
    drill = bool(base.pop("drill", False))
    level = str(base.pop("level", "severe"))
    return Message(
        text=TEXTS["de"]["text"],
        title=TEXTS["de"]["headline"],
        kind="alert",
        level=level,
        drill=drill,
        link="https://stadt.example/warnung",
        expires_at="2026-11-21T18:00:00+00:00",
        extras=base,
    )


OPTIONS = {
    "area_desc": "Stadt Musterstadt",
    "sender_name": "Stadt Musterstadt",
    "ars": "053150000000",
    "contact": "Bürgertelefon 0221 123",
}


def channel(**options: Any) -> CapChannel:
    return CapChannel(ChannelConfig("cap", "cap", options={**OPTIONS, **options}))


@pytest.fixture
def cap(instance: Settings) -> CapChannel:
    return channel()


def parse(xml: bytes) -> etree._Element:
    root = etree.fromstring(xml)
    SCHEMA.assertValid(root)
    return root


def text(root: etree._Element, path: str) -> str | None:
    return root.findtext(path, namespaces=N)


def test_the_vendored_schema_is_the_oasis_cap_1_2_schema() -> None:
    schema = etree.parse(str(SCHEMA_FILE)).getroot()
    assert schema.get("targetNamespace") == "urn:oasis:names:tc:emergency:cap:1.2"
    assert "docs.oasis-open.org/emergency/cap/v1.2" in SCHEMA_FILE.read_text(encoding="utf-8")


def test_alert_is_valid_cap_with_one_info_per_language(cap: CapChannel) -> None:
    root = parse(cap.build(alert(), fallback_key="k"))
    languages = [e.text for e in root.findall("cap:info/cap:language", N)]
    assert languages == ["de-DE", "en-GB", "de-DE-x-ls"]
    headlines = [e.text for e in root.findall("cap:info/cap:headline", N)]
    assert headlines == [TEXTS[k]["headline"] for k in ("de", "en", "de-x-ls")]
    assert text(root, "cap:status") == "Actual"
    assert text(root, "cap:scope") == "Public"
    assert text(root, "cap:sender") == SENDER


@pytest.mark.parametrize(
    ("value", "zone", "expected"),
    [
        ("2026-11-21T13:00:00.123456+00:00", "Europe/Berlin", "2026-11-21T14:00:00+01:00"),
        ("2026-07-21T13:00:00+00:00", "Europe/Berlin", "2026-07-21T15:00:00+02:00"),
        ("2026-11-21T13:00:00.999+00:00", "UTC", "2026-11-21T13:00:00-00:00"),
        ("2026-11-21T14:00:00+01:00", "UTC", "2026-11-21T13:00:00-00:00"),
        ("2026-11-21T13:00:00", "UTC", "2026-11-21T13:00:00-00:00"),  # naive: the database's UTC
        ("2026-11-21T13:00:00-00:00", "UTC", "2026-11-21T13:00:00-00:00"),  # formatting twice is stable
        ("2026-11-21T13:00:00Z", "America/New_York", "2026-11-21T08:00:00-05:00"),
    ],
)
def test_cap_time_has_seconds_a_numeric_offset_and_writes_utc_as_minus_zero(
    value: str, zone: str, expected: str
) -> None:
    assert cap_time(value, zone) == expected
    assert CAP_TIME.match(expected)


def test_sent_expires_effective_and_onset_use_the_configured_zone(cap: CapChannel) -> None:
    message = alert(effective="2026-11-21T13:05:00+00:00", onset="2026-11-21T14:00:00.5+00:00")
    root = parse(cap.build(message, fallback_key="k"))
    assert text(root, "cap:sent") == "2026-11-21T14:00:00+01:00"  # Europe/Berlin, no fraction
    assert text(root, "cap:info/cap:effective") == "2026-11-21T14:05:00+01:00"
    assert text(root, "cap:info/cap:onset") == "2026-11-21T15:00:00+01:00"
    assert text(root, "cap:info/cap:expires") == "2026-11-21T19:00:00+01:00"


def test_every_cap_time_is_written_minus_zero_when_the_zone_is_utc(
    instance: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ERNSTFALL_TIMEZONE", "UTC")
    message = alert(
        msg_type="Update",
        identifier="ernstfall-def456",
        references=[ORIGINAL],
        effective="2026-11-21T13:05:00+00:00",
        onset="2026-11-21T14:00:00+01:00",
    )
    xml = channel().build(message, fallback_key="k")
    root = parse(xml)
    assert text(root, "cap:sent") == "2026-11-21T13:00:00-00:00"
    assert text(root, "cap:info/cap:effective") == "2026-11-21T13:05:00-00:00"
    assert text(root, "cap:info/cap:onset") == "2026-11-21T13:00:00-00:00"
    assert text(root, "cap:info/cap:expires") == "2026-11-21T18:00:00-00:00"
    assert text(root, "cap:references") == f"{SENDER},ernstfall-abc123,2026-11-21T13:00:00-00:00"
    assert b"+00:00" not in xml and b"Z<" not in xml


def test_the_headline_and_text_of_the_messages_language_carry_the_composers_marks(cap: CapChannel) -> None:
    marked = Message(
        text="ÜBUNG – Aktualisierung – Bleiben Sie in Gebäuden.",
        title="ÜBUNG – Aktualisierung – Unwetterwarnung für Nordstadt",
        language="de",
        kind="alert",
        level="severe",
        drill=True,
        extras={**alert().extras, "msg_type": "Update", "references": [ORIGINAL], "identifier": "u1"},
    )
    root = parse(cap.build(marked, fallback_key="k"))
    german, english = root.findall("cap:info", N)[:2]
    assert text(german, "cap:headline") == marked.title
    assert text(german, "cap:description") == marked.text
    assert text(english, "cap:headline") == TEXTS["en"]["headline"]  # other languages: as written


def test_identifier_without_spaces_or_commas(cap: CapChannel) -> None:
    root = parse(cap.build(alert(identifier="stadt warnung,1"), fallback_key="k"))
    assert text(root, "cap:identifier") == "stadt-warnung-1"


@pytest.mark.parametrize(
    ("extras", "status", "msg_type"),
    [
        ({}, "Actual", "Alert"),
        ({"msg_type": "Update", "references": [ORIGINAL]}, "Actual", "Update"),
        ({"msg_type": "Cancel", "references": [ORIGINAL], "level": "allclear"}, "Actual", "Cancel"),
        ({"drill": True}, "Exercise", "Alert"),
        ({"drill": True, "msg_type": "Update", "references": [ORIGINAL]}, "Exercise", "Update"),
        ({"status": "Exercise", "msg_type": "Cancel", "references": [ORIGINAL]}, "Exercise", "Cancel"),
    ],
)
def test_every_message_type_and_status_is_valid_cap(
    cap: CapChannel, extras: dict[str, Any], status: str, msg_type: str
) -> None:
    message = alert(identifier=f"ernstfall-{msg_type}-{status}", **extras)
    assert cap.validate(message) == []
    root = parse(cap.build(message, fallback_key="k"))
    assert (text(root, "cap:status"), text(root, "cap:msgType")) == (status, msg_type)
    assert (text(root, "cap:note") == "ÜBUNG / Exercise") is (status == "Exercise")
    if msg_type == "Cancel" and extras.get("level") == "allclear":
        assert text(root, "cap:info/cap:responseType") == "AllClear"


def test_references_name_each_earlier_message_as_sender_identifier_sent_separated_by_spaces(
    cap: CapChannel,
) -> None:
    first = reference_to(SENDER, "ernstfall-a1", "2026-11-21T13:00:00.5+00:00", "Europe/Berlin")
    second = reference_to(SENDER, "ernstfall-a2", "2026-11-21T13:30:00+00:00", "Europe/Berlin")
    assert first == {"sender": SENDER, "identifier": "ernstfall-a1", "sent": "2026-11-21T14:00:00+01:00"}
    message = alert(identifier="ernstfall-a3", msg_type="Update", references=[first, second])
    root = parse(cap.build(message, fallback_key="k"))
    assert text(root, "cap:references") == (
        f"{SENDER},ernstfall-a1,2026-11-21T14:00:00+01:00 {SENDER},ernstfall-a2,2026-11-21T14:30:00+01:00"
    )


def test_a_reference_sent_is_exactly_the_earlier_documents_own_sent(cap: CapChannel) -> None:
    earlier = parse(cap.build(alert(), fallback_key="k"))
    reference = reference_to(
        text(earlier, "cap:sender") or "", "ernstfall-abc123", alert().extras["sent"], "Europe/Berlin"
    )
    update = parse(
        cap.build(alert(identifier="u1", msg_type="Update", references=[reference]), fallback_key="k")
    )
    sender, identifier, sent = (text(update, "cap:references") or "").split(",")
    assert (sender, identifier, sent) == (
        text(earlier, "cap:sender"),
        text(earlier, "cap:identifier"),
        text(earlier, "cap:sent"),
    )


@pytest.mark.parametrize(
    ("references", "expected"),
    [
        (f"{SENDER},ernstfall-abc123,2026-11-21T14:00:00+01:00", "müssen eine Liste"),
        ([{"sender": SENDER, "identifier": "ernstfall-abc123"}], "Verweis Nr. 1: sent fehlt"),
        ([ORIGINAL, {"sender": "a b", "identifier": "x", "sent": "2026-11-21T13:00:00"}], "Nr. 2: Absender"),
        ([{**ORIGINAL, "sent": "gestern"}], "Zeitpunkt 'gestern' ist kein Datum"),
        (["ernstfall-abc123"], "{sender, identifier, sent} erwartet"),
    ],
)
def test_malformed_references_are_refused_with_a_german_message_not_a_crash(
    cap: CapChannel, references: Any, expected: str
) -> None:
    message = alert(msg_type="Cancel", identifier="ernstfall-x2", references=references)
    problems = cap.validate(message)
    assert [p.code for p in problems] == ["references"]
    assert expected in problems[0].text
    assert cap.render(message)["xml"] is None  # a preview still renders the other channels
    with pytest.raises(CapError, match=re.escape(expected)):
        references_text(references, "Europe/Berlin")


def test_update_and_cancel_without_references_are_a_problem(cap: CapChannel) -> None:
    for msg_type in ("Update", "Cancel"):
        problems = cap.validate(alert(msg_type=msg_type))
        assert [p.code for p in problems] == ["config"]  # sending refuses it; a template check does not
        assert "braucht den Verweis auf die ursprüngliche Warnung" in problems[0].text


def test_the_sender_is_the_alerts_one_sender_not_a_channel_option(instance: Settings) -> None:
    legacy = channel(sender="alt@stadt.example")
    root = parse(legacy.build(alert(sender="warnung@stadt.example"), fallback_key="k"))
    assert text(root, "cap:sender") == "warnung@stadt.example"
    # only a message from elsewhere that names no sender falls back to the option
    root = parse(legacy.build(alert(sender=""), fallback_key="k"))
    assert text(root, "cap:sender") == "alt@stadt.example"


def test_missing_sender_and_area_are_named(instance: Settings) -> None:
    bare = CapChannel(ChannelConfig("cap", "cap", options={}))
    problems = bare.validate(alert(cap={}, sender="", identifier="x"))
    assert [p.code for p in problems] == ["config", "area"]
    assert "ERNSTFALL_CAP_SENDER" in problems[0].text


def test_bbk_profile_fields_for_mowas(cap: CapChannel) -> None:
    root = parse(cap.build(alert(), fallback_key="k"))
    for info in root.findall("cap:info", N):
        assert text(info, "cap:eventCode/cap:valueName") == "profile:DE-BBK-EVENTCODE"
        assert text(info, "cap:eventCode/cap:value") == "BBK-EVC-001"
        assert text(info, "cap:senderName") == "Stadt Musterstadt"
        parameters = {
            p.findtext("cap:valueName", namespaces=N): p.findtext("cap:value", namespaces=N)
            for p in info.findall("cap:parameter", N)
        }
        assert parameters == {
            "warnVerwaltungsbereiche": "053150000000",
            "sender_langname": "Stadt Musterstadt",
        }
        assert text(info, "cap:area/cap:areaDesc") == "Stadt Musterstadt"
        assert text(info, "cap:area/cap:geocode/cap:valueName") == "SHN"
        assert text(info, "cap:area/cap:geocode/cap:value") == "053150000000"


def test_a_template_names_its_own_ars_and_bbk_event_code(cap: CapChannel) -> None:
    message = alert(cap={"bbk_event_code": "BBK-EVC-031", "ars": ["053150000000", "053160000000"]})
    root = parse(cap.build(message, fallback_key="k"))
    assert text(root, "cap:info/cap:eventCode/cap:value") == "BBK-EVC-031"
    geocodes = [e.text for e in root.findall("cap:info[1]/cap:area/cap:geocode/cap:value", N)]
    assert geocodes == ["053150000000", "053160000000"]
    assert text(root, "cap:info/cap:parameter/cap:value") == "053150000000,053160000000"


@pytest.mark.parametrize("ars", ["05315", "05315000000X", "0531500000001"])
def test_an_ars_that_is_not_twelve_digits_is_refused_with_a_german_message(
    instance: Settings, ars: str
) -> None:
    expected = f"Amtlicher Regionalschlüssel {ars!r} muss genau 12 Ziffern haben"
    configured = channel(ars=ars)
    problems = configured.validate(alert())
    assert [p.code for p in problems] == ["config"] and expected in problems[0].text
    readiness = configured.check()
    assert not readiness.ok and expected in readiness.text
    with pytest.raises(CapError, match=re.escape(expected)):
        cap_document(alert(), CapProfile(ars=(ars,)))
    from_template = channel().validate(alert(cap={"ars": ars}))
    assert [p.code for p in from_template] == ["ars"] and expected in from_template[0].text


def test_a_bbk_event_code_of_the_wrong_form_is_named(cap: CapChannel) -> None:
    problems = cap.validate(alert(cap={"bbk_event_code": "Sturm"}))
    assert [p.code for p in problems] == ["event_code"]
    assert "BBK-Ereigniscode 'Sturm' hat nicht die Form BBK-EVC-nnn" in problems[0].text


def test_send_writes_document_and_index_served_publicly(
    cap: CapChannel, instance: Settings, users: Any
) -> None:
    message = alert()
    receipt = cap.send(cap.render(message), message, "key-1")
    assert receipt.remote_id == "ernstfall-abc123"
    assert (receipt.url or "").endswith("/public/cap/ernstfall-abc123.xml")
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
sender_name = "Stadt Musterstadt"
area_desc = "Stadt Musterstadt"
ars = "053150000000"

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
