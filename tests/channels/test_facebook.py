"""Facebook Page: facebook-sdk with a current Graph version, links, photos, and Graph error codes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import facebook
import pytest

from publisher.channels.base import ChannelConfig, Media, Message
from publisher.channels.facebook import FacebookChannel
from publisher.settings import Settings
from tests.channels.pipeline import enqueue_delivery, send_error, wait_for_state
from tests.conftest import Stack, configure_channels
from tests.fakes.graph import FakeGraph
from tests.fakes.http import Scripted

TOKEN = "EAAB-page-token"


@pytest.fixture
def graph(instance: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGraph]:
    """The fake, plus a clean instance folder (no Redis unless a test asks for one)."""
    fake = FakeGraph(token=TOKEN).start()
    monkeypatch.setenv("TEST_FB_TOKEN", TOKEN)
    yield fake
    fake.stop()


def adapter(fake: FakeGraph, **options: object) -> FacebookChannel:
    config = ChannelConfig(
        name="facebook",
        type="facebook",
        base_url=fake.url,
        options={"page_token_env": "TEST_FB_TOKEN", "page_id": fake.page_id, **options},
        http_timeout=1.0,
    )
    return FacebookChannel(config)


def send(channel: FacebookChannel, message: Message):  # type: ignore[no-untyped-def]
    return channel.send(channel.render(message), message, "k")


def test_sdk_constructor_refuses_current_versions_so_adapter_sets_it_afterwards(graph: FakeGraph) -> None:
    with pytest.raises(facebook.GraphAPIError, match="format"):
        facebook.GraphAPI(access_token="x", version="25.0")  # two-digit majors fail its pattern
    with pytest.raises(facebook.GraphAPIError, match="Valid API versions"):
        facebook.GraphAPI(access_token="x", version="3.2")  # newer single-digit ones its list
    send(adapter(graph), Message(text="Hallo"))
    assert graph.versions == ["v25.0"]


def test_graph_version_is_configurable(graph: FakeGraph) -> None:
    send(adapter(graph, graph_version="v24.0"), Message(text="Hallo"))
    assert graph.versions == ["v24.0"]


def test_page_post_with_link_gets_a_link_card(graph: FakeGraph) -> None:
    receipt = send(adapter(graph), Message(text="Neue Öffnungszeiten", link="https://stadt.example/zeiten"))
    (post,) = graph.feed
    assert (post["message"], post["link"]) == ("Neue Öffnungszeiten", "https://stadt.example/zeiten")
    assert receipt.remote_id == post["id"]
    assert receipt.url == f"https://www.facebook.com/{post['id']}"


def test_photos_are_uploaded_unpublished_with_alt_text_and_attached(graph: FakeGraph, tmp_path: Path) -> None:
    image = tmp_path / "rathaus.jpg"
    image.write_bytes(b"\xff\xd8 rathaus")
    message = Message(
        text="Rathaus im Schnee",
        link="https://stadt.example",
        media=(Media(path=str(image), alt="Verschneites Rathaus"),),
    )
    send(adapter(graph), message)
    ((photo_id, photo),) = graph.photos.items()
    assert photo == {"alt": "Verschneites Rathaus", "published": "false"}
    (post,) = graph.feed
    assert json.loads(post["attached"][0]) == {"media_fbid": photo_id}
    assert post["message"] == "Rathaus im Schnee\nhttps://stadt.example"


def test_missing_page_id_is_reported(graph: FakeGraph) -> None:
    channel = FacebookChannel(ChannelConfig(name="facebook", type="facebook", options={}))
    assert [p.text for p in channel.validate(Message(text="x"))] == [
        "Facebook: page_id fehlt in der Kanalkonfiguration"
    ]


def error(
    code: int, message: str, status: int = 400, subcode: int | None = None, **extra: object
) -> Scripted:
    body: dict[str, object] = {"message": message, "type": "OAuthException", "code": code, **extra}
    if subcode:
        body["error_subcode"] = subcode
    return Scripted(status, {"error": body})


BUC = {
    "x-business-use-case-usage": json.dumps(
        {"1029384756": [{"type": "pages", "call_count": 100, "estimated_time_to_regain_access": 5}]}
    )
}

CASES = [
    # id, scripted answer on the feed, permanent, unknown, retry_after, words
    (
        "token_expired",
        error(190, "Error validating access token: Session has expired", subcode=463),
        True,
        False,
        None,
        "Token erneuern",
    ),
    (
        "unauthorized_401",
        error(190, "Invalid OAuth access token.", status=401),
        True,
        False,
        None,
        "Token erneuern",
    ),
    (
        "permission_403",
        error(200, "(#200) Requires pages_manage_posts permission", status=403),
        True,
        False,
        None,
        "Berechtigung fehlt",
    ),
    (
        "content_rejected",
        error(100, "(#100) Invalid parameter"),
        True,
        False,
        None,
        "(#100) Invalid parameter",
    ),
    ("duplicate", error(506, "Duplicate status message"), True, False, None, "doppelter Beitrag"),
    (
        "page_throttled",
        Scripted(400, {"error": {"message": "(#32) Page request limit reached", "code": 32}}, BUC),
        False,
        False,
        300.0,
        "Rate-Limit",
    ),
    ("app_throttled", error(4, "(#4) Application request limit reached"), False, False, None, "Rate-Limit"),
    ("user_throttled", error(17, "(#17) User request limit reached"), False, False, None, "Rate-Limit"),
    (
        "hourly_limit",
        error(613, "Calls to this api have exceeded the rate limit."),
        False,
        False,
        None,
        "Rate-Limit",
    ),
    (
        "server_error",
        error(2, "An unexpected error has occurred.", status=500, is_transient=True),
        False,
        False,
        None,
        "vorübergehender Fehler",
    ),
    (
        "server_html",
        Scripted(503, raw=b"<html>Service Unavailable</html>", headers={"Content-Type": "text/html"}),
        False,
        False,
        None,
        "503",
    ),
    ("timeout", Scripted(200, {"id": "1_2"}, delay=2.5), False, True, None, "keine Antwort"),
    ("broken_json", Scripted(200, raw=b'{"id": "1029'), False, True, None, "unlesbar"),
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
    scripted.path_prefix = f"/v25.0/{graph.page_id}/feed"
    graph.enqueue(scripted)
    failure = send_error(adapter(graph), Message(text="Hallo"))
    assert (failure.permanent, failure.outcome_unknown, failure.retry_after) == (
        permanent,
        unknown,
        retry_after,
    )
    assert words in str(failure)


def test_token_never_appears_in_errors(graph: FakeGraph) -> None:
    graph.enqueue(Scripted(200, {"id": "1_2"}, delay=2.5))
    failure = send_error(adapter(graph), Message(text="Hallo"))
    assert TOKEN not in str(failure) and TOKEN not in (failure.platform_message or "")


def test_check_reads_the_page_without_posting(graph: FakeGraph, monkeypatch: pytest.MonkeyPatch) -> None:
    result = adapter(graph).check()
    assert (result.ok, result.text) == (True, "Seite „Stadt Musterhausen“ erreichbar (Graph v25.0)")
    monkeypatch.setenv("TEST_FB_TOKEN", "abgelaufen")
    expired = adapter(graph).check()
    assert not expired.ok and "Token erneuern" in expired.text
    assert graph.feed == []


@pytest.mark.integration
def test_post_reaches_facebook_through_outbox_and_worker(stack: Stack, db, graph: FakeGraph) -> None:  # type: ignore[no-untyped-def]
    configure_channels(
        db,
        f"""
[channels.facebook]
type = "facebook"
base_url = "{graph.url}"
page_id = "{graph.page_id}"
page_token_env = "TEST_FB_TOKEN"
""",
    )
    graph.enqueue(error(17, "(#17) User request limit reached"))
    stack.start("community")
    stack.start("scheduler")
    delivery_id = enqueue_delivery(
        stack,
        db,
        "facebook",
        Message(text="Sperrmülltermine 2027", link="https://stadt.example/sperrmuell"),
        "community",
    )
    delivery = wait_for_state(db, delivery_id, "sent", "dead", "unknown")
    assert delivery.state == "sent", delivery.last_error
    assert delivery.attempts == 2
    assert graph.feed[0]["link"] == "https://stadt.example/sperrmuell"
    assert delivery.remote_url == f"https://www.facebook.com/{graph.feed[0]['id']}"
