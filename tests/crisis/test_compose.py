"""The composer: one place for fill, marks and per-channel renderings (pure functions, no network)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from content_calendar.crisis.compose import alert_message, approval_hash, fill_texts, mark
from content_calendar.crisis.models import Alert, AlertTemplate
from publisher.channels.base import ChannelConfig
from publisher.channels.registry import adapter_class
from publisher.vocabulary import DRILL_MARK, UPDATE_MARK, CapMsgType, CapStatus


def draft(msg_type: str = CapMsgType.ALERT, drill: bool = False) -> Alert:
    template = AlertTemplate(key="t", name="T", event="Unwetter", level="severe", cap={}, texts={})
    texts = fill_texts(
        {"de": {"headline": "Sturm in {ort}", "text": "Sturm  in\n{ort}.", "channel:sms": "STURM {ort}"}},
        {"ort": "Nordstadt"},
    )
    alert = Alert(
        id=1,
        identifier="x",
        msg_type=msg_type,
        status=CapStatus.EXERCISE if drill else CapStatus.ACTUAL,
        level="severe",
        headline=texts["de"]["headline"],
        texts=texts,
        created_at=datetime(2026, 12, 1, 12, tzinfo=UTC),
    )
    alert.template = template
    return alert


def test_fill_normalises_whitespace_once() -> None:
    assert fill_texts({"de": {"text": "a  {x}\n b"}}, {"x": "1"}) == {"de": {"text": "a 1 b"}}


@pytest.mark.parametrize(
    ("drill", "msg_type", "expected"),
    [
        (False, CapMsgType.ALERT, "Sturm"),
        (True, CapMsgType.ALERT, f"{DRILL_MARK} – Sturm"),
        (False, CapMsgType.UPDATE, f"{UPDATE_MARK} – Sturm"),
        (True, CapMsgType.UPDATE, f"{DRILL_MARK} – {UPDATE_MARK} – Sturm"),
        (False, CapMsgType.CANCEL, "Sturm"),
    ],
)
def test_marks_come_in_reading_order_and_only_once(drill: bool, msg_type: str, expected: str) -> None:
    assert mark("Sturm", drill=drill, msg_type=msg_type) == expected
    assert mark(expected, drill=drill, msg_type=msg_type) == expected


def test_every_text_of_a_drill_update_carries_both_marks() -> None:
    message = alert_message(draft(CapMsgType.UPDATE, drill=True))
    for text in (message.text, message.title or "", message.variants["sms"]):
        assert text.startswith(f"{DRILL_MARK} – {UPDATE_MARK} – "), text


@pytest.mark.parametrize("channel_type", ["mastodon", "x", "bluesky", "telegram", "banner", "facebook"])
def test_each_adapter_sends_the_composed_text_without_a_second_mark(channel_type: str) -> None:
    adapter = adapter_class(channel_type)(ChannelConfig(name=channel_type, type=channel_type))
    text = adapter.render_text(alert_message(draft(CapMsgType.UPDATE, drill=True)))
    assert text.count(DRILL_MARK) == 1 and text.count(UPDATE_MARK) == 1


def test_the_approval_hash_changes_with_the_text_and_not_with_ids_or_times() -> None:
    from content_calendar.crisis.compose import Rendering
    from publisher.models import Channel

    channel = Channel(name="m", type="mastodon")

    def rendering(text: str) -> Rendering:
        return Rendering(channel=channel, text=text, rendered={"id": "any"}, problems=(), config_problems=())

    assert approval_hash([rendering("a")]) == approval_hash([rendering("a")])
    assert approval_hash([rendering("a")]) != approval_hash([rendering("ÜBUNG – a")])
