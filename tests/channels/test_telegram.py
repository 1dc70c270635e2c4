"""Telegram: limits, sending, and how every platform answer is classified."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from publisher.channels.base import ChannelConfig, Media, Message
from publisher.channels.telegram import TelegramChannel
from publisher.settings import Settings
from tests.channels.pipeline import enqueue_delivery, send_error, wait_for_state
from tests.conftest import Stack, configure_channels
from tests.fakes.http import Scripted
from tests.fakes.telegram import FakeTelegram

TOKEN = "123456:ABC-geheim"


@pytest.fixture
def telegram(instance: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTelegram]:
    """The fake, plus a clean instance folder (no Redis unless a test asks for one)."""
    fake = FakeTelegram(token=TOKEN).start()
    monkeypatch.setenv("TEST_TELEGRAM_TOKEN", TOKEN)
    yield fake
    fake.stop()


def adapter(fake: FakeTelegram, **options: object) -> TelegramChannel:
    config = ChannelConfig(
        name="telegram",
        type="telegram",
        base_url=fake.url,
        options={"token_env": "TEST_TELEGRAM_TOKEN", "chat_id": "@stadt_kanal", **options},
        http_timeout=1.0,
    )
    return TelegramChannel(config)


def test_text_over_4096_utf16_units_is_reported_with_numbers(telegram: FakeTelegram) -> None:
    text = "a" * 4095 + "😀"  # the emoji counts two UTF-16 units
    problems = adapter(telegram).validate(Message(text=text))
    assert [p.text for p in problems] == ["Telegram: 4097 von 4096 Zeichen"]


def test_photo_caption_limit_and_missing_chat_are_reported_together(telegram: FakeTelegram) -> None:
    channel = TelegramChannel(ChannelConfig(name="telegram", type="telegram", options={}))
    message = Message(text="x" * 1100, media=(Media(path="/tmp/a.jpg", alt="Ein Bild"),))
    texts = [p.text for p in channel.validate(message)]
    assert "Telegram: 1100 von 1024 Zeichen — mit Bild gilt die Grenze für Bildunterschriften" in texts
    assert "Telegram: chat_id fehlt in der Kanalkonfiguration" in texts


def test_message_is_sent_and_receipt_links_to_the_post(telegram: FakeTelegram) -> None:
    channel = adapter(telegram)
    message = Message(text="Straßenfest am Samstag", link="https://stadt.example/fest")
    receipt = channel.send(channel.render(message), message, "k")
    sent = telegram.sent()[0].json()
    assert sent["text"] == "Straßenfest am Samstag\nhttps://stadt.example/fest"
    assert sent["chat_id"] == "@stadt_kanal"
    assert receipt.remote_id == "100"
    assert receipt.url == "https://t.me/stadt_kanal/100"


def test_photo_is_uploaded_with_caption(telegram: FakeTelegram, tmp_path: Path) -> None:
    image = tmp_path / "hund.jpg"
    image.write_bytes(b"\xff\xd8\xff fake jpeg")
    channel = adapter(telegram)
    message = Message(text="Tierheim sucht Paten", media=(Media(path=str(image), alt="Ein Hund"),))
    receipt = channel.send(channel.render(message), message, "k")
    assert receipt.url == "https://t.me/stadt_kanal/100"
    assert telegram.messages[0]["caption"] == "Tierheim sucht Paten"
    assert telegram.sent()[0].path.endswith("/sendPhoto")


def test_community_posts_can_be_silent_but_alerts_always_notify(telegram: FakeTelegram) -> None:
    channel = adapter(telegram, silent_posts=True)
    assert channel.render(Message(text="Post"))["silent"] is True
    assert channel.render(Message(text="Warnung", kind="alert"))["silent"] is False


CASES = [
    # id, scripted answer (None: the fake's own), setup, permanent, unknown, retry_after, words
    ("unauthorized", None, "wrong_token", True, False, None, "Bot-Token ungültig"),
    ("forbidden", None, "not_admin", True, False, None, "Beitragsrecht"),
    ("chat_not_found", None, "wrong_chat", True, False, None, "Nachricht abgelehnt"),
    (
        "content_rejected",
        Scripted(400, {"ok": False, "error_code": 400, "description": "Bad Request: message is too long"}),
        None,
        True,
        False,
        None,
        "Nachricht abgelehnt",
    ),
    (
        "rate_limited",
        Scripted(
            429,
            {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests: retry after 17",
                "parameters": {"retry_after": 17},
            },
        ),
        None,
        False,
        False,
        17.0,
        "17",
    ),
    (
        "server_error",
        Scripted(500, {"ok": False, "error_code": 500, "description": "Internal Server Error"}),
        None,
        False,
        False,
        None,
        "Serverfehler",
    ),
    ("bad_gateway_html", Scripted(502, raw=b"<html>502 Bad Gateway</html>"), None, False, False, None, "502"),
    (
        "timeout",
        Scripted(200, {"ok": True, "result": {}}, delay=2.5),
        None,
        False,
        True,
        None,
        "keine Antwort",
    ),
    ("broken_json_200", Scripted(200, raw=b'{"ok": true, "result": {'), None, False, True, None, "unlesbar"),
    ("broken_json_400", Scripted(400, raw=b"Bad Request: <garbled"), None, True, False, None, "HTTP 400"),
]


@pytest.mark.parametrize(
    ("scripted", "setup", "permanent", "unknown", "retry_after", "words"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_platform_answers_are_classified(
    telegram: FakeTelegram,
    monkeypatch: pytest.MonkeyPatch,
    scripted: Scripted | None,
    setup: str | None,
    permanent: bool,
    unknown: bool,
    retry_after: float | None,
    words: str,
) -> None:
    options: dict[str, object] = {}
    if setup == "wrong_token":
        monkeypatch.setenv("TEST_TELEGRAM_TOKEN", "999:falsch")
    elif setup == "not_admin":
        telegram.bot_is_admin = False
    elif setup == "wrong_chat":
        options["chat_id"] = "@gibt_es_nicht"
    if scripted is not None:
        telegram.enqueue(scripted)
    error = send_error(adapter(telegram, **options), Message(text="Hallo"))
    assert (error.permanent, error.outcome_unknown, error.retry_after) == (permanent, unknown, retry_after)
    assert words in str(error)


def test_check_verifies_token_chat_and_posting_right_without_posting(telegram: FakeTelegram) -> None:
    result = adapter(telegram).check()
    assert result.ok, result.text
    assert result.text == "@stadt_bot kann in „Stadt Musterhausen“ senden"
    telegram.bot_is_admin = False
    refused = adapter(telegram).check()
    assert not refused.ok
    assert refused.text == "@stadt_bot ist in „Stadt Musterhausen“ kein Administrator"
    assert telegram.sent() == []


def test_check_reports_a_wrong_token(telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_TELEGRAM_TOKEN", "1:falsch")
    result = adapter(telegram).check()
    assert not result.ok
    assert "Bot-Token ungültig" in result.text


@pytest.mark.integration
def test_community_post_reaches_telegram_through_outbox_and_worker(
    stack: Stack, db, telegram: FakeTelegram
) -> None:  # type: ignore[no-untyped-def]
    configure_channels(
        db,
        f"""
[channels.telegram]
type = "telegram"
base_url = "{telegram.url}"
token_env = "TEST_TELEGRAM_TOKEN"
chat_id = "@stadt_kanal"
""",
    )
    telegram.enqueue(
        Scripted(
            429,
            {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests: retry after 1",
                "parameters": {"retry_after": 1},
            },
            path_prefix=f"/bot{TOKEN}/sendMessage",
        )
    )
    stack.start("community")
    stack.start("scheduler")  # the sweep re-enqueues the retry when it is due
    delivery_id = enqueue_delivery(
        stack, db, "telegram", Message(text="Wochenmarkt heute bis 14 Uhr"), "community"
    )
    delivery = wait_for_state(db, delivery_id, "sent", "dead")
    assert delivery.state == "sent", delivery.last_error
    assert delivery.attempts == 2  # the 429 was retried after Telegram's retry_after
    assert delivery.remote_url == "https://t.me/stadt_kanal/100"
    assert telegram.messages[0]["text"] == "Wochenmarkt heute bis 14 Uhr"
