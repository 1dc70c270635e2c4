"""Atom feed of alerts (and optionally posts), written as a static file and served publicly."""

from __future__ import annotations

from typing import Any

import pytest
from lxml import etree

from publisher.channels.atom import AtomChannel
from publisher.channels.base import ChannelConfig, Message
from publisher.settings import Settings
from tests.conftest import create_test_app

ATOM = {"a": "http://www.w3.org/2005/Atom"}


def feed_channel(**options: Any) -> AtomChannel:
    return AtomChannel(ChannelConfig("feed", "atom", options=options))


def publish(channel: AtomChannel, message: Message, key: str) -> Any:
    return channel.send(channel.render(message), message, key)


def entries(instance: Settings) -> list[etree._Element]:
    root = etree.parse(str(instance.public_dir / "feeds" / "alerts.atom")).getroot()
    return root.findall("a:entry", ATOM)


def test_alerts_are_written_newest_first_to_a_static_file(instance: Settings) -> None:
    channel = feed_channel()
    publish(
        channel,
        Message(
            text="Erste",
            title="A",
            kind="alert",
            extras={"identifier": "a1", "sent": "2026-11-21T10:00:00+00:00"},
        ),
        "k1",
    )
    publish(
        channel,
        Message(
            text="Zweite <b>",
            title="B",
            kind="alert",
            extras={"identifier": "b2", "sent": "2026-11-21T11:00:00+00:00"},
        ),
        "k2",
    )
    found = entries(instance)
    assert [e.findtext("a:title", namespaces=ATOM) for e in found] == ["B", "A"]
    assert found[0].findtext("a:id", namespaces=ATOM) == "urn:ernstfall:b2"
    assert found[0].findtext("a:content", namespaces=ATOM) == "Zweite <b>"  # text, escaped by the XML writer


def test_same_alert_twice_is_one_entry(instance: Settings) -> None:
    message = Message(text="x", title="Gleich", kind="alert", extras={"identifier": "same"})
    publish(feed_channel(), message, "k1")
    publish(feed_channel(), message, "k1")
    assert len(entries(instance)) == 1


@pytest.mark.parametrize(("include_posts", "expected"), [(False, 0), (True, 1)])
def test_posts_only_when_enabled(instance: Settings, include_posts: bool, expected: int) -> None:
    receipt = publish(
        feed_channel(include_posts=include_posts), Message(text="Stadtfest!", title="Fest"), "p1"
    )
    assert (receipt.remote_id is None) == (not include_posts)
    path = instance.public_dir / "feeds" / "alerts.atom"
    assert (len(entries(instance)) if path.exists() else 0) == expected


def test_the_title_is_the_composed_title_with_its_drill_mark_once(instance: Settings) -> None:
    message = Message(text="ÜBUNG – Probe", title="ÜBUNG – Sirenentest", kind="alert", drill=True)
    publish(feed_channel(), message, "d1")
    assert entries(instance)[0].findtext("a:title", namespaces=ATOM) == "ÜBUNG – Sirenentest"


def test_route_serves_the_file_and_an_empty_feed_before_any_alert(instance: Settings, users: Any) -> None:
    client = create_test_app().test_client()
    empty = client.get("/public/feeds/alerts.atom")
    assert empty.status_code == 200 and empty.mimetype == "application/atom+xml"
    assert etree.fromstring(empty.data).findall("a:entry", ATOM) == []
    publish(feed_channel(), Message(text="Achtung", title="Warnung", kind="alert"), "k")
    served = client.get("/public/feeds/alerts.atom")
    assert served.data == (instance.public_dir / "feeds" / "alerts.atom").read_bytes()
    assert served.headers["Access-Control-Allow-Origin"] == "*"
