"""Bluesky: graphemes, link facets in UTF-8 bytes, cached sessions, idempotent posts, errors."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis as redis_lib

from publisher.channels import bluesky as bluesky_module
from publisher.channels.base import ChannelConfig, Media, Message
from publisher.channels.bluesky import BlueskyChannel
from publisher.settings import Settings
from publisher.text.bluesky import facets as link_facets
from tests.channels.pipeline import enqueue_delivery, send_error, wait_for_state
from tests.conftest import Stack, configure_channels
from tests.fakes.bluesky import FakeBluesky
from tests.fakes.http import Scripted

PASSWORD = "abcd-efgh-ijkl-mnop"
CREATE = "/xrpc/com.atproto.repo.createRecord"


@pytest.fixture
def bsky(instance: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeBluesky]:
    """The fake, plus a clean instance folder (no Redis unless a test asks for one)."""
    fake = FakeBluesky(password=PASSWORD).start()
    monkeypatch.setenv("TEST_BSKY_PASSWORD", PASSWORD)
    monkeypatch.setattr(bluesky_module, "_memory_cache", {})
    yield fake
    fake.stop()


def adapter(fake: FakeBluesky, name: str = "bluesky") -> BlueskyChannel:
    options = {"handle": "stadt.bsky.social", "app_password_env": "TEST_BSKY_PASSWORD"}
    return BlueskyChannel(
        ChannelConfig(name=name, type="bluesky", base_url=fake.url, options=options, http_timeout=1.0)
    )


def send(channel: BlueskyChannel, text: str, **kwargs: object):  # type: ignore[no-untyped-def]
    message = Message(text=text, **kwargs)  # type: ignore[arg-type]
    return channel.send(channel.render(message), message, "k")


def test_graphemes_and_bytes_are_both_limited(bsky: FakeBluesky) -> None:
    family = "👨‍👩‍👧‍👦"  # one grapheme, 25 bytes
    texts = [p.text for p in adapter(bsky).validate(Message(text=family * 301))]
    assert texts == ["Bluesky: 301 von 300 Zeichen (Grapheme)", "Bluesky: 7525 von 3000 Bytes (UTF-8)"]
    assert adapter(bsky).validate(Message(text=family * 120)) == []


def test_link_facets_use_utf8_byte_offsets() -> None:
    text = "Straßensperrung 🚧 Infos: https://stadt.example/baustellen/ü-straße."
    (facet,) = link_facets(text)
    start, end = facet["index"]["byteStart"], facet["index"]["byteEnd"]
    assert text.encode()[start:end].decode() == "https://stadt.example/baustellen/ü-straße"
    assert facet["features"][0]["uri"] == "https://stadt.example/baustellen/ü-straße"
    assert start == len("Straßensperrung 🚧 Infos: ".encode())


def test_post_carries_facets_language_and_links_to_the_post(bsky: FakeBluesky) -> None:
    receipt = send(adapter(bsky), "Müllabfuhr verschoben: https://stadt.example/abfall", language="de")
    ((rkey, record),) = bsky.records.items()
    assert record["langs"] == ["de"]
    assert record["facets"][0]["features"][0]["uri"] == "https://stadt.example/abfall"
    assert receipt.url == f"https://bsky.app/profile/stadt.bsky.social/post/{rkey}"


def test_images_are_uploaded_as_blobs_with_alt_text(bsky: FakeBluesky, tmp_path: Path) -> None:
    image = tmp_path / "ente.jpg"
    image.write_bytes(b"\xff\xd8 ente")
    send(
        adapter(bsky),
        "Enten am Stadtweiher",
        media=(Media(path=str(image), alt="Zwei Enten auf dem Wasser"),),
    )
    (record,) = bsky.records.values()
    (embedded,) = record["embed"]["images"]
    assert embedded["alt"] == "Zwei Enten auf dem Wasser"
    assert bsky.blobs[embedded["image"]["ref"]["$link"]] == b"\xff\xd8 ente"


def test_session_is_reused_across_sends_not_a_login_per_send(bsky: FakeBluesky) -> None:
    for text in ("Erster", "Zweiter", "Dritter"):
        send(adapter(bsky), text)
    assert len(bsky.records) == 3
    assert len(bsky.calls("com.atproto.server.createSession")) == 1


def test_session_is_shared_through_redis_and_stored_encrypted(
    bsky: FakeBluesky, redis_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = redis_lib.Redis.from_url(redis_server)
    client.flushall()
    monkeypatch.setenv("REDIS_URL", redis_server)
    send(adapter(bsky), "Aus Worker A")
    bluesky_module._memory_cache.clear()  # another process: nothing in its memory
    send(adapter(bsky), "Aus Worker B")
    assert len(bsky.calls("com.atproto.server.createSession")) == 1
    stored = client.get("ernstfall:bluesky:session:bluesky")
    issued = bsky.access_tokens | bsky.refresh_tokens
    assert stored and issued
    # No token readable in Redis (not "no 'eyJ' anywhere": encrypted bytes contain it by chance).
    assert not [token for token in issued if token.encode() in stored or token[:40].encode() in stored]


def test_expiring_access_token_is_refreshed_not_logged_in_again(bsky: FakeBluesky) -> None:
    bsky.access_ttl = 60  # inside the client's 15-minute refresh margin
    send(adapter(bsky), "Eins")
    send(adapter(bsky), "Zwei")
    assert len(bsky.calls("com.atproto.server.createSession")) == 1
    assert len(bsky.calls("com.atproto.server.refreshSession")) >= 1


def test_revoked_session_leads_to_exactly_one_new_login(bsky: FakeBluesky) -> None:
    send(adapter(bsky), "Vorher")
    bsky.revoke_all()
    send(adapter(bsky), "Nachher")
    assert len(bsky.records) == 2
    assert len(bsky.calls("com.atproto.server.createSession")) == 2


def test_resend_after_unknown_outcome_does_not_post_twice(bsky: FakeBluesky) -> None:
    channel = adapter(bsky)
    message = Message(text="Hochwasserwarnung", kind="alert")
    rendered = channel.render(message)  # stored with the delivery, rkey included
    first = channel.send(rendered, message, "k")
    assert bsky.calls("com.atproto.repo.getRecord") == []  # a first attempt has no predecessor
    channel.attempt = 2  # the outbox retries after an unknown outcome
    again = channel.send(rendered, message, "k")
    assert again == first
    assert len(bsky.calls("com.atproto.repo.createRecord")) == 1
    assert len(bsky.calls("com.atproto.repo.getRecord")) == 1
    assert BlueskyChannel.idempotent


def test_wrong_app_password_is_permanent(bsky: FakeBluesky, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_BSKY_PASSWORD", "falsch")
    error = send_error(adapter(bsky), Message(text="Hallo"))
    assert error.permanent and error.status == 401
    assert "App-Passwort prüfen" in str(error)
    assert error.platform_message == "Invalid identifier or password"


CASES = [
    # id, scripted answer on createRecord, permanent, unknown, retry between, words
    (
        "content_rejected",
        Scripted(
            400, {"error": "InvalidRequest", "message": "Record/text must not be longer than 300 graphemes"}
        ),
        True,
        False,
        None,
        "300 graphemes",
    ),
    (
        "forbidden",
        Scripted(403, {"error": "Forbidden", "message": "Account is takendown"}),
        True,
        False,
        None,
        "App-Passwort",
    ),
    (
        "rate_limited",
        Scripted(
            429,
            {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
            {
                "ratelimit-limit": "5000",
                "ratelimit-remaining": "0",
                "ratelimit-reset": str(int(time.time()) + 3600),
            },
        ),
        False,
        False,
        # The reset is fixed when the table is built (at collection); the test may run many
        # minutes later in a parallel run, so only the order of magnitude is asserted.
        (1800, 3601),
        "Rate-Limit",
    ),
    (
        "server_error",
        Scripted(500, {"error": "InternalServerError", "message": "Internal Server Error"}),
        False,
        False,
        None,
        "500",
    ),
    ("bad_gateway", Scripted(502, raw=b"<html>bad gateway</html>"), False, False, None, "nicht erreichbar"),
    (
        "timeout",
        Scripted(200, {"uri": "at://x/y/z", "cid": "c"}, delay=2.5),
        False,
        True,
        None,
        "keine Antwort",
    ),
    (
        "broken_json",
        Scripted(200, raw=b'{"uri": "at://', headers={"Content-Type": "application/json"}),
        False,
        True,
        None,
        "unlesbar",
    ),
]


@pytest.mark.parametrize(
    ("scripted", "permanent", "unknown", "retry_between", "words"),
    [pytest.param(*c[1:], id=c[0]) for c in CASES],
)
def test_platform_answers_are_classified(
    bsky: FakeBluesky,
    scripted: Scripted,
    permanent: bool,
    unknown: bool,
    retry_between: tuple[float, float] | None,
    words: str,
) -> None:
    scripted.path_prefix = CREATE
    bsky.enqueue(scripted)
    error = send_error(adapter(bsky), Message(text="Hallo"))
    assert (error.permanent, error.outcome_unknown) == (permanent, unknown)
    if retry_between is None:
        assert error.retry_after is None
    else:
        assert error.retry_after is not None and retry_between[0] <= error.retry_after <= retry_between[1]
    assert words in str(error)


def test_check_logs_in_without_posting(bsky: FakeBluesky) -> None:
    result = adapter(bsky).check()
    assert (result.ok, result.text) == (True, "angemeldet als @stadt.bsky.social")
    assert bsky.records == {}


@pytest.mark.integration
def test_posts_reach_bluesky_through_workers_with_one_login(stack: Stack, db, bsky: FakeBluesky) -> None:  # type: ignore[no-untyped-def]
    configure_channels(
        db,
        f"""
[channels.bluesky]
type = "bluesky"
base_url = "{bsky.url}"
handle = "stadt.bsky.social"
app_password_env = "TEST_BSKY_PASSWORD"
""",
    )
    stack.start("community")
    first = enqueue_delivery(stack, db, "bluesky", Message(text="Stadtfest am Samstag"), "community")
    assert wait_for_state(db, first, "sent", "dead", "unknown").state == "sent"
    second = enqueue_delivery(stack, db, "bluesky", Message(text="Stadtfest: Programm online"), "community")
    delivery = wait_for_state(db, second, "sent", "dead", "unknown")
    assert delivery.state == "sent", delivery.last_error
    assert delivery.remote_url.startswith("https://bsky.app/profile/stadt.bsky.social/post/")
    assert sorted(r["text"] for r in bsky.records.values()) == [
        "Stadtfest am Samstag",
        "Stadtfest: Programm online",
    ]
    assert len(bsky.calls("com.atproto.server.createSession")) == 1  # the session came from Redis
