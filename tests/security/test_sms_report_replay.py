"""Signed SMS delivery reports are taken once, and GatewayAPI's JWT times are checked (issue 15).

A recorded report keeps a valid signature; sent again it must not change anything: after
"undelivered" then "delivered", a replayed "undelivered" would otherwise undo the delivery.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from publisher.channels.sms_providers.replay import SeenReport
from publisher.db import Database
from publisher.settings import Settings
from tests.channels.test_sms import MESSAGE, A, B, gateway_channel, jwt_hs256, send, seven_channel, statuses
from tests.fakes.sms import FakeGatewayApi, FakeSeven

SEVEN_URL = "/webhooks/sms/sms"
GATEWAY_URL = "/webhooks/sms/sms-gw"


def seven_report(status: str) -> bytes:
    return json.dumps({"webhook_event": "dlr", "data": {"msg_id": "77000000", "status": status}}).encode()


def post_seven(client: FlaskClient, instance: Settings, body: bytes, headers: dict[str, str]) -> Any:
    return client.post(SEVEN_URL, data=body, headers=headers)


def signed_seven(instance: Settings, body: bytes, nonce: str, age: int = 0) -> dict[str, str]:
    """seven.io's signature: HMAC-SHA256 of timestamp, nonce, method, URL and md5(body)."""
    timestamp = str(int(time.time()) - age)
    url = f"{instance.public_base_url}{SEVEN_URL}"
    signed = "\n".join([timestamp, nonce, "POST", url, hashlib.md5(body).hexdigest()])
    signature = hmac.new(b"seven-signing-secret", signed.encode(), hashlib.sha256).hexdigest()
    return {"X-Timestamp": timestamp, "X-Nonce": nonce, "X-Signature": signature}


def test_a_replayed_seven_report_is_refused_and_does_not_undo_a_delivery(
    instance: Settings,
    client: FlaskClient,
    webhook_setup: None,
    seven: FakeSeven,
) -> None:
    send(seven_channel(seven), MESSAGE)
    undelivered = seven_report("NOTDELIVERED")
    first = signed_seven(instance, undelivered, "nonce-1")
    assert post_seven(client, instance, undelivered, first).status_code == 200
    delivered = seven_report("DELIVERED")
    assert (
        post_seven(client, instance, delivered, signed_seven(instance, delivered, "nonce-2")).status_code
        == 200
    )
    assert statuses(instance)[A] == "delivered"

    replay = post_seven(client, instance, undelivered, first)

    assert replay.status_code == 409
    assert replay.json["error"] == (
        "Zustellbericht abgelehnt: genau dieser Bericht kam schon einmal (Wiederholung)"
    )
    assert statuses(instance)[A] == "delivered"


def test_a_seven_report_older_than_five_minutes_is_refused_even_with_a_new_nonce(
    instance: Settings,
    client: FlaskClient,
    webhook_setup: None,
) -> None:
    body = seven_report("DELIVERED")
    response = post_seven(client, instance, body, signed_seven(instance, body, "fresh", age=301))
    assert response.status_code == 403
    assert "Schutz vor Wiederholung" in response.json["error"]


def test_remembered_nonces_are_dropped_once_their_window_has_closed(
    instance: Settings,
    db: Database,
    client: FlaskClient,
    webhook_setup: None,
) -> None:
    old = seven_report("DELIVERED")
    assert post_seven(client, instance, old, signed_seven(instance, old, "old", age=299)).status_code == 200
    with db.session() as session:
        row = session.scalars(select(SeenReport)).one()
        assert 0 < (row.keep_until.timestamp() - time.time()) <= 3
        row.keep_until = row.keep_until.replace(year=2020)  # its window closed long ago
    new = seven_report("BUFFERED")
    assert post_seven(client, instance, new, signed_seven(instance, new, "new")).status_code == 200
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(SeenReport)) == 1


def gateway_claims(status: str, **times: float) -> dict[str, Any]:
    return {"id": 421332671, "msisdn": int(B[1:]), "status": status, "userref": "gw-key", **times}


def post_gateway(client: FlaskClient, claims: dict[str, Any]) -> Any:
    token = jwt_hs256(claims, "gw-jwt-secret")
    return client.post(GATEWAY_URL, json=claims, headers={"X-Gwapi-Signature": token})


@pytest.mark.parametrize(
    ("times", "words"),
    [
        ({"exp": -31}, "abgelaufen (exp)"),
        ({"iat": -331}, "zu alt"),
        ({"iat": 31}, "iat) liegt in der Zukunft"),
        ({"nbf": 31}, "noch nicht gültig"),
    ],
)
def test_a_gatewayapi_token_outside_its_time_claims_is_refused(
    client: FlaskClient,
    webhook_setup: None,
    times: dict[str, int],
    words: str,
) -> None:
    now = time.time()
    response = post_gateway(client, gateway_claims("DELIVERED", **{k: now + v for k, v in times.items()}))
    assert response.status_code == 403
    assert words in response.json["error"]


def test_a_gatewayapi_token_within_the_leeway_is_taken(
    instance: Settings,
    client: FlaskClient,
    webhook_setup: None,
    gateway: FakeGatewayApi,
) -> None:
    send(gateway_channel(gateway, recipients=[A, B]), MESSAGE, key="gw-key")
    now = time.time()
    response = post_gateway(client, gateway_claims("DELIVERED", iat=now - 320, exp=now - 20))
    assert response.status_code == 200 and response.json["updated"] == 1
    assert statuses(instance, "gw-key")[B] == "delivered"


def test_a_replayed_gatewayapi_token_is_refused(
    instance: Settings,
    client: FlaskClient,
    webhook_setup: None,
    gateway: FakeGatewayApi,
) -> None:
    send(gateway_channel(gateway, recipients=[A, B]), MESSAGE, key="gw-key")
    now = time.time()
    undeliverable = gateway_claims("UNDELIVERABLE", iat=now)
    assert post_gateway(client, undeliverable).status_code == 200
    assert post_gateway(client, gateway_claims("DELIVERED", iat=now + 1)).status_code == 200
    replay = post_gateway(client, undeliverable)
    assert replay.status_code == 409 and "Wiederholung" in replay.json["error"]
    assert statuses(instance, "gw-key")[B] == "delivered"


def test_a_gatewayapi_time_claim_that_is_not_a_number_is_refused(
    client: FlaskClient,
    webhook_setup: None,
) -> None:
    response = post_gateway(client, gateway_claims("DELIVERED", iat="gestern"))  # type: ignore[arg-type]
    assert response.status_code == 403
    assert "'iat' ist keine Zeit in Sekunden" in response.json["error"]
