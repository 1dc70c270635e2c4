"""X: weighted length, OAuth-signed posts with media and alt text, and error classification."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from publisher.channels.base import ChannelConfig, Media, Message
from publisher.channels.x import XChannel
from publisher.settings import Settings
from tests.channels.pipeline import enqueue_delivery, send_error, wait_for_state
from tests.conftest import Stack, configure_channels
from tests.fakes.http import Scripted
from tests.fakes.x import FakeX, problem

SECRETS = {
    "TEST_X_CONSUMER_KEY": "ck-stadt",
    "TEST_X_CONSUMER_SECRET": "cs-geheim",
    "TEST_X_ACCESS_TOKEN": "at-stadt",
    "TEST_X_ACCESS_TOKEN_SECRET": "ats-geheim",
}
OPTIONS = {
    "consumer_key_env": "TEST_X_CONSUMER_KEY",
    "consumer_secret_env": "TEST_X_CONSUMER_SECRET",
    "access_token_env": "TEST_X_ACCESS_TOKEN",
    "access_token_secret_env": "TEST_X_ACCESS_TOKEN_SECRET",
}


@pytest.fixture
def x(instance: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeX]:
    """The fake, plus a clean instance folder (no Redis unless a test asks for one)."""
    fake = FakeX(*SECRETS.values()).start()
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    yield fake
    fake.stop()


def adapter(fake: FakeX, **options: object) -> XChannel:
    config = ChannelConfig(
        name="x", type="x", base_url=fake.url, options={**OPTIONS, **options}, http_timeout=1.0
    )
    return XChannel(config)


def test_too_long_text_names_weighted_count_and_link_rule(x: FakeX) -> None:
    text = "x" * 250 + " https://www.stadt-musterhausen.de/aktuelles/ein-sehr-langer-pfad " + "y" * 22
    problems = adapter(x).validate(Message(text=text))
    assert [p.text for p in problems] == ["X: 297 von 280 Zeichen — Links zählen 23"]


def test_emoji_and_cjk_weigh_two(x: FakeX) -> None:
    assert adapter(x).measure("Hallo 👋 故") == 5 + 1 + 2 + 1 + 2


def test_missing_alt_text_and_too_many_images_are_all_reported(x: FakeX) -> None:
    media = tuple(Media(path=f"/tmp/{i}.jpg", alt="" if i == 2 else "Bild") for i in range(5))
    texts = [p.text for p in adapter(x).validate(Message(text="Fotos vom Fest", media=media))]
    assert "X: 5 Bilder, höchstens 4 möglich" in texts
    assert "Bild 3: Alternativtext fehlt (Barrierefreiheit)" in texts


def test_post_with_image_uploads_media_sets_alt_text_and_links_post(x: FakeX, tmp_path: Path) -> None:
    image = tmp_path / "katze.png"
    image.write_bytes(b"\x89PNG fake")
    channel = adapter(x, username="stadt")
    message = Message(
        text="Katze sucht Zuhause", media=(Media(path=str(image), alt="Graue Katze", mime="image/png"),)
    )
    receipt = channel.send(channel.render(message), message, "k")
    ((media_id, media),) = x.media.items()
    assert media == {"bytes": b"\x89PNG fake", "alt": "Graue Katze"}
    assert x.posts[0]["media_ids"] == [media_id]
    assert receipt.remote_id == x.posts[0]["id"]
    assert receipt.url == f"https://x.com/stadt/status/{receipt.remote_id}"


def test_requests_are_oauth1_signed_with_the_configured_secrets(
    x: FakeX, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_X_CONSUMER_SECRET", "falsches-geheimnis")
    error = send_error(adapter(x), Message(text="Hallo"))
    assert error.permanent and error.status == 401
    assert "OAuth 1.0a" in str(error)
    assert x.posts == []


def reset_in(seconds: int) -> dict[str, str]:
    return {
        "x-rate-limit-limit": "100",
        "x-rate-limit-remaining": "0",
        "x-rate-limit-reset": str(int(time.time()) + seconds),
    }


CASES = [
    # id, scripted answer (None: the fake's own), permanent, unknown, retry between, words
    (
        "unauthorized",
        Scripted(401, problem(401, "Unauthorized", "Unauthorized")),
        True,
        False,
        None,
        "Schlüssel",
    ),
    (
        "duplicate",
        Scripted(
            403, problem(403, "Forbidden", "You are not allowed to create a Tweet with duplicate content.")
        ),
        True,
        False,
        None,
        "doppelter Inhalt",
    ),
    (
        "forbidden",
        Scripted(403, problem(403, "Forbidden", "You are not permitted to perform this action.")),
        True,
        False,
        None,
        "Read and write",
    ),
    (
        "content_rejected",
        Scripted(400, {"errors": [{"message": "Your Tweet text is too long."}], "title": "Invalid Request"}),
        True,
        False,
        None,
        "Your Tweet text is too long.",
    ),
    (
        "rate_limited",
        Scripted(429, problem(429, "Too Many Requests", "Too Many Requests"), reset_in(600)),
        False,
        False,
        (480, 601),
        "Rate-Limit",
    ),
    (
        "server_error",
        Scripted(503, problem(503, "Service Unavailable", "Service Unavailable")),
        False,
        False,
        None,
        "503",
    ),
    ("timeout", Scripted(201, {"data": {"id": "1"}}, delay=2.5), False, True, None, "keine Antwort"),
    ("broken_json", Scripted(201, raw=b'{"data": {"id": "17'), False, True, None, "unlesbar"),
]


@pytest.mark.parametrize(
    ("scripted", "permanent", "unknown", "retry_between", "words"),
    [pytest.param(*c[1:], id=c[0]) for c in CASES],
)
def test_platform_answers_are_classified(
    x: FakeX,
    scripted: Scripted,
    permanent: bool,
    unknown: bool,
    retry_between: tuple[float, float] | None,
    words: str,
) -> None:
    scripted.path_prefix = "/2/tweets"
    if "x-rate-limit-reset" in scripted.headers:
        # The table is built at collection time; the reset must be counted from now.
        scripted.headers = reset_in(600)
    x.enqueue(scripted)
    error = send_error(adapter(x), Message(text="Hallo Stadt"))
    assert (error.permanent, error.outcome_unknown) == (permanent, unknown)
    if retry_between is None:
        assert error.retry_after is None
    else:
        assert error.retry_after is not None and retry_between[0] <= error.retry_after <= retry_between[1]
    assert words in str(error)


def test_timeout_during_media_upload_is_not_an_unknown_post(x: FakeX, tmp_path: Path) -> None:
    image = tmp_path / "a.jpg"
    image.write_bytes(b"jpeg")
    x.enqueue(Scripted(200, {"data": {"id": "1"}}, delay=2.5, path_prefix="/2/media/upload"))
    message = Message(text="Bild", media=(Media(path=str(image), alt="Alt"),))
    error = send_error(adapter(x), message)
    assert not error.permanent and not error.outcome_unknown
    assert x.created() == []


def test_exhausted_rate_window_pauses_every_worker_until_reset(
    x: FakeX, redis_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import redis

    redis.Redis.from_url(redis_server).flushall()
    monkeypatch.setenv("REDIS_URL", redis_server)
    x.remaining = 1  # this post uses the last call of X's window
    channel = adapter(x)
    first = Message(text="Erster Beitrag")
    channel.send(channel.render(first), first, "k1")
    error = send_error(adapter(x), Message(text="Zweiter Beitrag"))
    assert not error.permanent
    assert error.retry_after is not None and 800 < error.retry_after <= 900
    assert len(x.created()) == 1  # the second never reached X


def test_check_reads_the_account_without_posting(x: FakeX) -> None:
    result = adapter(x).check()
    assert (result.ok, result.text) == (True, "angemeldet als @stadt")
    assert x.created() == []


def test_check_reports_missing_credentials(x: FakeX, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TEST_X_ACCESS_TOKEN")
    result = adapter(x).check()
    assert not result.ok
    assert "TEST_X_ACCESS_TOKEN" in result.text


@pytest.mark.integration
def test_alert_reaches_x_through_outbox_and_crisis_worker(stack: Stack, db, x: FakeX) -> None:  # type: ignore[no-untyped-def]
    configure_channels(
        db,
        f"""
[channels.x]
type = "x"
base_url = "{x.url}"
username = "stadt"
consumer_key_env = "TEST_X_CONSUMER_KEY"
consumer_secret_env = "TEST_X_CONSUMER_SECRET"
access_token_env = "TEST_X_ACCESS_TOKEN"
access_token_secret_env = "TEST_X_ACCESS_TOKEN_SECRET"
""",
    )
    x.enqueue(Scripted(500, problem(500, "Internal Server Error", "boom"), path_prefix="/2/tweets"))
    stack.start("crisis")
    stack.start("scheduler")
    message = Message(text="Unwetterwarnung für Nordstadt", kind="alert", level="severe")
    delivery_id = enqueue_delivery(stack, db, "x", message, "crisis")
    delivery = wait_for_state(db, delivery_id, "sent", "dead")
    assert delivery.state == "sent", delivery.last_error
    assert delivery.attempts == 2
    assert delivery.remote_url == f"https://x.com/stadt/status/{x.posts[0]['id']}"
    assert x.posts[0]["text"] == "Unwetterwarnung für Nordstadt"
