"""Apprise channel with json:// and ntfy:// URLs aimed at fakes on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from publisher.channels.apprise_channel import AppriseChannel
from publisher.channels.base import ChannelConfig, Message
from tests.channels.pipeline import enqueue_delivery, send_error, wait_for_state
from tests.conftest import configure_channels
from tests.fakes.http import FakeServer, Recorded, Scripted

ALERT = Message(text="Hochwasser am Rhein.", title="Hochwasserwarnung", kind="alert", level="severe")


class FakeJsonEndpoint(FakeServer):
    """Where Apprise's json:// and ntfy:// plugins POST; ntfy answers with a message id."""

    def handle(self, request: Recorded) -> tuple[int, Any, dict[str, str]]:
        if request.path == "/" and b'"topic"' in request.body:  # ntfy JSON publishing
            return 200, {"id": "ntfy-1", "time": 1, "event": "message", "topic": "warnungen"}, {}
        return 200, {"ok": True}, {}


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeJsonEndpoint]:
    fake = FakeJsonEndpoint().start()
    port = fake.url.rsplit(":", 1)[1]
    monkeypatch.setenv("TEST_APPRISE_URL", f"json://127.0.0.1:{port}/hook")
    monkeypatch.setenv("TEST_NTFY_URL", f"ntfy://127.0.0.1:{port}/warnungen")
    yield fake
    fake.stop()


def channel(env: str = "TEST_APPRISE_URL") -> AppriseChannel:
    return AppriseChannel(ChannelConfig("matrix", "apprise", options={"url_env": env}, http_timeout=1.0))


def test_sends_title_body_and_type_through_json_url(endpoint: FakeJsonEndpoint) -> None:
    apprise_channel = channel()
    receipt = apprise_channel.send(apprise_channel.render(ALERT), ALERT, "key-1")
    [request] = endpoint.requests
    assert request.path == "/hook"
    assert request.json()["title"] == "Hochwasserwarnung"
    assert request.json()["message"] == "Hochwasser am Rhein."
    assert request.json()["type"] == "warning"
    assert receipt.remote_id == "key-1"


def test_ntfy_url_reaches_the_topic(endpoint: FakeJsonEndpoint) -> None:
    apprise_channel = channel("TEST_NTFY_URL")
    apprise_channel.send(apprise_channel.render(ALERT), ALERT, "key-1")
    # ntfy's JSON publishing: POST to the server root with the topic in the body.
    assert endpoint.requests[0].json() == {
        "topic": "warnungen",
        "title": "Hochwasserwarnung",
        "message": "Hochwasser am Rhein.",
    }


@pytest.mark.parametrize(
    ("scripted", "permanent", "unknown", "status"),
    [
        (Scripted(401, {"error": "unauthorized"}), True, False, 401),
        (Scripted(403, {"error": "forbidden"}), True, False, 403),
        (Scripted(400, {"error": "bad"}), True, False, 400),
        (Scripted(429, {"error": "slow"}, headers={"Retry-After": "5"}), False, False, 429),
        (Scripted(500, {"error": "boom"}), False, False, 500),
        (Scripted(502, raw=b"<html>bad gateway"), False, False, 502),
        (Scripted(200, {"ok": True}, delay=1.5), False, True, None),
    ],
)
def test_maps_apprise_results_to_our_states(
    endpoint: FakeJsonEndpoint, scripted: Scripted, permanent: bool, unknown: bool, status: int | None
) -> None:
    endpoint.enqueue(scripted)
    error = send_error(channel(), ALERT)
    assert (error.permanent, error.outcome_unknown, error.status) == (permanent, unknown, status)


def test_invalid_url_is_permanent_and_never_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_APPRISE_URL", "bogus://user:topsecret@host")
    error = send_error(channel(), ALERT)
    assert error.permanent and "ungültig" in str(error)
    assert "topsecret" not in str(error)
    assert not channel().check().ok


def test_connection_refused_is_transient(monkeypatch: pytest.MonkeyPatch) -> None:
    from workers.supervisor import free_port

    monkeypatch.setenv("TEST_APPRISE_URL", f"json://127.0.0.1:{free_port()}/hook")
    error = send_error(channel(), ALERT)
    assert not error.permanent and not error.outcome_unknown


def test_validate_uses_the_services_length_limit(endpoint: FakeJsonEndpoint) -> None:
    problems = channel("TEST_NTFY_URL").validate(Message(text="x" * 8000))
    assert [p.text for p in problems] == ["Apprise (matrix): 8000 von 7800 Zeichen"]


@pytest.mark.integration
def test_apprise_alert_goes_out_through_a_crisis_worker(
    stack: Any, db: Any, endpoint: FakeJsonEndpoint
) -> None:
    configure_channels(db, '[channels.matrix]\ntype = "apprise"\nurl_env = "TEST_APPRISE_URL"\n')
    stack.start("crisis")
    delivery_id = enqueue_delivery(stack, db, "matrix", ALERT, "crisis")
    done = wait_for_state(db, delivery_id, "sent", "dead")
    assert done.state == "sent", done.last_error
    assert endpoint.requests[0].json()["message"] == "Hochwasser am Rhein."
