"""Mastodon adapter against a fake instance: each platform answer classified the right way."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from publisher.channels.base import ChannelConfig, Media, Message
from publisher.channels.mastodon import MastodonChannel
from publisher.errors import DeliveryError
from tests.fakes.http import Scripted
from tests.fakes.mastodon import FakeMastodon


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeMastodon]:
    server = FakeMastodon(token="tok", max_characters=1000).start()
    monkeypatch.setenv("T_MASTODON", "tok")
    yield server
    server.stop()


def adapter(fake: FakeMastodon, timeout: float = 2.0) -> MastodonChannel:
    return MastodonChannel(
        ChannelConfig(
            name="stadt",
            type="mastodon",
            base_url=fake.url,
            options={"token_env": "T_MASTODON"},
            http_timeout=timeout,
        )
    )


def send(channel: MastodonChannel, text: str = "Hallo", **kwargs: object):  # type: ignore[no-untyped-def]
    message = Message(text=text, **kwargs)  # type: ignore[arg-type]
    return channel.send(channel.render(message), message, "key-1")


def test_posts_status_with_idempotency_key_and_language(fake: FakeMastodon) -> None:
    receipt = send(adapter(fake), "Wochenmarkt heute", language="de")
    (request,) = fake.posted()
    assert request.headers["idempotency-key"] == "key-1"
    form = request.form()
    assert form["status"] == ["Wochenmarkt heute"]
    assert form["language"] == ["de"]
    assert receipt.url == f"{fake.url}/@stadt/{receipt.remote_id}"


def test_resend_with_same_key_does_not_duplicate(fake: FakeMastodon) -> None:
    first = send(adapter(fake))
    second = send(adapter(fake))
    assert first.remote_id == second.remote_id
    assert len(fake.statuses) == 1


def test_media_is_uploaded_with_alt_text(fake: FakeMastodon, tmp_path: Path) -> None:
    image = tmp_path / "bruno.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 64)
    send(adapter(fake), media=(Media(path=str(image), alt="Hund Bruno im Gras", mime="image/png"),))
    upload = next(r for r in fake.requests if r.path.endswith("/media"))
    assert b"Hund Bruno im Gras" in upload.body
    assert fake.posted()[0].form()["media_ids[]"]


def test_character_limit_is_what_the_readiness_check_learned_from_the_instance(fake: FakeMastodon) -> None:
    check = adapter(fake).check()
    assert check.ok and check.platform_limits == {"max_characters": 1000, "characters_reserved_per_url": 23}
    channel = MastodonChannel(replace(adapter(fake).config, platform_limits=check.platform_limits))
    assert channel.limits.max_length == 1000
    assert channel.validate(Message(text="a" * 900)) == []
    assert "1001 von 1000" in channel.validate(Message(text="a" * 1001))[0].text


def test_before_any_check_the_limit_is_mastodons_default_500() -> None:
    channel = MastodonChannel(ChannelConfig(name="x", type="mastodon", base_url="http://127.0.0.1:9"))
    assert channel.limits.max_length == 500


@pytest.mark.parametrize(
    ("scripted", "permanent", "unknown", "retry_after", "words"),
    [
        (Scripted(401, {"error": "The access token is invalid"}), True, False, None, "Token prüfen"),
        (Scripted(403, {"error": "This action is not allowed"}), True, False, None, "abgelehnt HTTP 403"),
        (Scripted(422, {"error": "Validation failed: Text can't be blank"}), True, False, None, "422"),
        (
            Scripted(
                429, {"error": "Too many requests"}, headers={"X-RateLimit-Reset": "2099-01-01T00:00:00Z"}
            ),
            False,
            False,
            "large",
            "Rate-Limit",
        ),
        (Scripted(500, {"error": "boom"}), False, False, None, "Serverfehler HTTP 500"),
        (Scripted(503, raw=b"<html>maintenance</html>"), False, False, None, "Serverfehler HTTP 503"),
        (Scripted(200, raw=b"{broken json"), False, True, None, "unlesbare Antwort"),
        (Scripted(200, {"id": "1"}, delay=3.0), False, True, None, "Netzwerkfehler"),
    ],
)
def test_platform_answers_are_classified(
    fake: FakeMastodon,
    scripted: Scripted,
    permanent: bool,
    unknown: bool,
    retry_after: str | None,
    words: str,
) -> None:
    scripted.path_prefix = "/api/v1/statuses"
    fake.enqueue(scripted)
    with pytest.raises(DeliveryError) as err:
        send(adapter(fake, timeout=1.0))
    assert err.value.permanent is permanent
    assert err.value.outcome_unknown is unknown
    assert words in str(err.value)
    if retry_after == "large":
        assert err.value.retry_after and err.value.retry_after > 3600
    if scripted.status == 401:
        assert err.value.platform_message == "The access token is invalid"


def test_connection_refused_is_transient_and_not_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("T_MASTODON", "tok")
    channel = MastodonChannel(
        ChannelConfig(
            name="x",
            type="mastodon",
            base_url="http://127.0.0.1:9",
            options={"max_characters": 500, "token_env": "T_MASTODON"},
        )
    )
    with pytest.raises(DeliveryError) as err:
        channel.send({"text": "x"}, Message(text="x"), "k")
    assert not err.value.permanent
    assert not err.value.outcome_unknown  # the request never left: safe to resend


def test_missing_token_is_permanent_and_names_the_variable() -> None:
    channel = MastodonChannel(
        ChannelConfig(
            name="x", type="mastodon", base_url="http://127.0.0.1:9", options={"max_characters": 500}
        )
    )
    with pytest.raises(DeliveryError) as err:
        channel.send({"text": "x"}, Message(text="x"), "k")
    assert err.value.permanent
    assert "Zugangsdaten fehlen" in str(err.value)


def test_check_reports_account_or_the_problem(fake: FakeMastodon) -> None:
    assert adapter(fake).check().ok
    assert "@stadt" in adapter(fake).check().text
    fake.token = "other"
    verdict = adapter(fake).check()
    assert not verdict.ok
    assert "Token prüfen" in verdict.text


def test_429_pauses_the_channel_for_every_worker(
    fake: FakeMastodon, redis_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import redis as redis_lib

    redis_lib.Redis.from_url(redis_server).flushall()
    monkeypatch.setenv("REDIS_URL", redis_server)
    reset = "2099-01-01T00:00:00Z"
    fake.enqueue(
        Scripted(
            429,
            {"error": "Too many requests"},
            headers={"X-RateLimit-Reset": reset},
            path_prefix="/api/v1/statuses",
        )
    )
    with pytest.raises(DeliveryError, match="Rate-Limit"):
        send(adapter(fake))
    asked = len(fake.posted())
    # Another worker's adapter does not even ask the instance while the pause lasts.
    with pytest.raises(DeliveryError, match="Sendelimit erreicht") as err:
        send(adapter(fake))
    assert err.value.retry_after and err.value.retry_after > 3600
    assert len(fake.posted()) == asked


def test_own_budget_is_shared_across_adapters(
    fake: FakeMastodon, redis_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import redis as redis_lib

    redis_lib.Redis.from_url(redis_server).flushall()
    monkeypatch.setenv("REDIS_URL", redis_server)
    limited = MastodonChannel(
        ChannelConfig(
            name="stadt",
            type="mastodon",
            base_url=fake.url,
            options={"token_env": "T_MASTODON", "rate_limit": "2/1h"},
            http_timeout=2.0,
        )
    )
    send(limited, "eins")
    send(adapter(fake), "zwei")  # rate from the same channel name: one budget
    with pytest.raises(DeliveryError, match="Sendelimit erreicht"):
        send(limited, "drei")
    assert len(fake.posted()) == 2
