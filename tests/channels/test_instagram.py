"""Instagram: caption rules, container then media_publish, container reuse, quota, errors."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis as redis_lib

from publisher.channels import instagram as instagram_module
from publisher.channels.base import ChannelConfig, Media, Message
from publisher.channels.instagram import InstagramChannel
from publisher.settings import Settings
from tests.channels.pipeline import enqueue_delivery, send_error, wait_for_state
from tests.conftest import Stack, configure_channels
from tests.fakes.graph import FakeGraph
from tests.fakes.http import Scripted

TOKEN = "IGQ-long-lived-token"
IMAGE = Media(
    path="/srv/media/hund.jpg", alt="Ein Hund im Park", public_url="https://stadt.example/media/hund.jpg"
)


@pytest.fixture
def graph(instance: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGraph]:
    """The fake, plus a clean instance folder (no Redis unless a test asks for one)."""
    fake = FakeGraph(token=TOKEN).start()
    monkeypatch.setenv("TEST_IG_TOKEN", TOKEN)
    monkeypatch.setattr(instagram_module, "_memory_containers", {})
    yield fake
    fake.stop()


def adapter(fake: FakeGraph) -> InstagramChannel:
    options = {"access_token_env": "TEST_IG_TOKEN", "ig_user_id": fake.ig_user_id}
    return InstagramChannel(
        ChannelConfig(
            name="instagram", type="instagram", base_url=fake.url, options=options, http_timeout=1.0
        )
    )


def test_caption_hashtag_image_and_public_url_rules_are_all_reported(graph: FakeGraph) -> None:
    text = "x" * 2150 + " " + " ".join(f"#tag{i}" for i in range(31))
    texts = [p.text for p in adapter(graph).validate(Message(text=text))]
    assert texts == [
        f"Instagram: {len(text)} von 2200 Zeichen",
        "Instagram: 31 von 30 Hashtags",
        "Instagram: ein Bild ist nötig (Beiträge ohne Bild gibt es nicht)",
    ]
    private = Media(path="/srv/media/a.jpg", alt="Alt")
    texts = [p.text for p in adapter(graph).validate(Message(text="Hallo", media=(private,)))]
    assert texts == [
        "Instagram: Bild 1 braucht eine öffentliche https-Adresse, damit Instagram es abholen kann"
    ]


def test_post_creates_container_with_alt_text_then_publishes(graph: FakeGraph) -> None:
    channel = adapter(graph)
    message = Message(text="Hund sucht Zuhause #tierheim", media=(IMAGE,))
    receipt = channel.send(channel.render(message), message, "delivery-1")
    ((container_id, container),) = graph.containers.items()
    assert container["image_url"] == IMAGE.public_url
    assert container["alt"] == "Ein Hund im Park"
    assert container["status"] == "PUBLISHED"
    assert receipt.detail["container_id"] == container_id
    assert receipt.url == f"https://www.instagram.com/p/C{receipt.remote_id}/"


def test_retry_after_publish_failure_reuses_the_container(graph: FakeGraph) -> None:
    channel = adapter(graph)
    message = Message(text="Stadtbücherei: neue Öffnungszeiten", media=(IMAGE,))
    graph.enqueue(
        Scripted(
            500,
            {"error": {"message": "Service temporarily unavailable", "code": 2, "is_transient": True}},
            path_prefix=f"/v25.0/{graph.ig_user_id}/media_publish",
        )
    )
    first = send_error(channel, message, "delivery-2")
    assert not first.permanent
    receipt = channel.send(channel.render(message), message, "delivery-2")
    assert len(graph.containers) == 1  # no second container
    assert len(graph.posts("/media")) == 1
    assert receipt.remote_id in graph.ig_media


def test_resend_of_a_published_delivery_finds_the_post_instead_of_publishing_again(
    graph: FakeGraph, redis_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    redis_lib.Redis.from_url(redis_server).flushall()
    monkeypatch.setenv("REDIS_URL", redis_server)
    channel = adapter(graph)
    message = Message(text="Hochwasser: Pegel sinkt", media=(IMAGE,), kind="alert")
    first = channel.send(channel.render(message), message, "delivery-3")
    instagram_module._memory_containers.clear()  # another worker process: only Redis knows
    again = adapter(graph).send(channel.render(message), message, "delivery-3")
    assert len(graph.ig_media) == 1
    assert len(graph.posts("/media_publish")) == 1
    assert (again.remote_id, again.url) == (first.remote_id, first.url)


def test_exhausted_publishing_quota_waits_and_only_a_retry_reads_the_quota(graph: FakeGraph) -> None:
    graph.quota_usage = graph.quota_total = 25
    channel = adapter(graph)
    failure = send_error(channel, Message(text="Hallo", media=(IMAGE,)))  # Graph itself refuses
    assert not failure.permanent and failure.retry_after == 3600.0
    assert not [r for r in graph.requests if r.path.endswith("/content_publishing_limit")]
    retry = adapter(graph)
    retry.attempt = 2  # a retry without a container asks the quota first and waits
    failure = send_error(retry, Message(text="Hallo", media=(IMAGE,)), key="key-2")
    assert not failure.permanent and failure.retry_after == 3600.0
    assert "25 von 25" in str(failure)
    assert len(graph.containers) == 1 and graph.ig_media == {}


def test_container_not_ready_is_retried_soon(graph: FakeGraph) -> None:
    graph.container_status = "IN_PROGRESS"
    failure = send_error(adapter(graph), Message(text="Hallo", media=(IMAGE,)))
    assert not failure.permanent and failure.retry_after == 10.0


def error(status: int, code: int, message: str, subcode: int | None = None) -> Scripted:
    body: dict[str, object] = {"message": message, "type": "OAuthException", "code": code}
    if subcode:
        body["error_subcode"] = subcode
    return Scripted(status, {"error": body})


CASES = [
    # id, scripted answer on media_publish, permanent, unknown, retry_after, words
    (
        "token_expired",
        error(400, 190, "Error validating access token", 463),
        True,
        False,
        None,
        "Token erneuern",
    ),
    ("unauthorized_401", error(401, 190, "Invalid OAuth access token."), True, False, None, "Token erneuern"),
    (
        "permission_403",
        error(403, 10, "Application does not have permission"),
        True,
        False,
        None,
        "Berechtigung",
    ),
    (
        "content_rejected",
        error(400, 100, "The caption is too long.", 2207018),
        True,
        False,
        None,
        "The caption is too long.",
    ),
    (
        "publish_limit",
        error(400, 9, "Application request limit reached", 2207042),
        False,
        False,
        3600.0,
        "Veröffentlichungslimit",
    ),
    (
        "rate_limited_429",
        error(429, 4, "(#4) Application request limit reached"),
        False,
        False,
        None,
        "Rate-Limit",
    ),
    (
        "server_error",
        error(500, 1, "An unknown error occurred"),
        False,
        False,
        None,
        "vorübergehender Fehler",
    ),
    (
        "server_html",
        Scripted(502, raw=b"<html>Bad Gateway</html>", headers={"Content-Type": "text/html"}),
        False,
        False,
        None,
        "502",
    ),
    ("timeout", Scripted(200, {"id": "1"}, delay=2.5), False, True, None, "keine Antwort"),
    ("broken_json", Scripted(200, raw=b'{"id": "17'), False, True, None, "unlesbar"),
]


@pytest.mark.parametrize(
    ("scripted", "permanent", "unknown", "retry_after", "words"),
    [pytest.param(*c[1:], id=c[0]) for c in CASES],
)
def test_graph_answers_are_classified(
    graph: FakeGraph,
    scripted: Scripted,
    permanent: bool,
    unknown: bool,
    retry_after: float | None,
    words: str,
) -> None:
    scripted.path_prefix = f"/v25.0/{graph.ig_user_id}/media_publish"
    graph.enqueue(scripted)
    failure = send_error(adapter(graph), Message(text="Hallo", media=(IMAGE,)))
    assert (failure.permanent, failure.outcome_unknown, failure.retry_after) == (
        permanent,
        unknown,
        retry_after,
    )
    assert words in str(failure)


def test_check_reads_account_and_quota_without_posting(graph: FakeGraph) -> None:
    graph.quota_usage = 3
    result = adapter(graph).check()
    assert (result.ok, result.text) == (True, "@stadt_musterhausen erreichbar, heute 3 von 100 Beiträgen")
    assert graph.containers == {}


@pytest.mark.integration
def test_post_reaches_instagram_through_outbox_and_worker(stack: Stack, db, graph: FakeGraph) -> None:  # type: ignore[no-untyped-def]
    configure_channels(
        db,
        f"""
[channels.instagram]
type = "instagram"
base_url = "{graph.url}"
ig_user_id = "{graph.ig_user_id}"
access_token_env = "TEST_IG_TOKEN"
""",
    )
    graph.enqueue(error(500, 2, "Service temporarily unavailable"))  # on the container: nothing created yet
    stack.start("community")
    stack.start("scheduler")
    delivery_id = enqueue_delivery(
        stack, db, "instagram", Message(text="Tierheim-Fest", media=(IMAGE,)), "community"
    )
    delivery = wait_for_state(db, delivery_id, "sent", "dead", "unknown")
    assert delivery.state == "sent", delivery.last_error
    assert delivery.attempts == 2
    assert len(graph.containers) == 1 and len(graph.ig_media) == 1
    assert delivery.remote_url == f"https://www.instagram.com/p/C{delivery.remote_id}/"


def test_alert_without_image_is_posted_as_a_drawn_tile(
    graph: FakeGraph, instance: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ERNSTFALL_PUBLIC_URL", "https://warnung.stadt.example")
    channel = adapter(graph)
    message = Message(
        text="Hochwasser an der Ahr: Keller meiden.", title="Hochwasser", kind="alert", level="extreme"
    )
    assert channel.validate(message) == []
    rendered = channel.render(message)
    assert rendered["image_url"].startswith("https://warnung.stadt.example/media/")
    name = rendered["image_url"].rsplit("/", 1)[1]
    assert "Hochwasser" in rendered["alt_text"]
    channel.send(rendered, message, "alert-1")  # the tile is drawn at send time
    assert name.endswith(".jpg") and (instance.media_dir / name).read_bytes().startswith(b"\xff\xd8\xff")
    ((_, container),) = graph.containers.items()
    assert container["image_url"] == rendered["image_url"]


def test_alert_tile_needs_a_public_https_address(graph: FakeGraph, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ERNSTFALL_PUBLIC_URL", "http://127.0.0.1:8080")
    problems = adapter(graph).validate(Message(text="Gas", title="Gasaustritt", kind="alert"))
    assert [p.code for p in problems] == ["public_url_missing"]
