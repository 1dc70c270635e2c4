"""SMS channel against fake seven.io, GatewayAPI and Twilio servers on 127.0.0.1."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from publisher.channels.base import ChannelConfig, Message
from publisher.channels.sms import SmsChannel
from publisher.channels.sms_providers.twilio import twilio_signature
from publisher.errors import DeliveryError
from publisher.outbox import sms_status
from publisher.settings import Settings
from tests.fakes.http import Scripted
from tests.fakes.sms import FakeGatewayApi, FakeSeven, FakeTwilio

A, B, C = "+4915123456789", "+491701234567", "+491761234567"


@pytest.fixture
def seven(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSeven]:
    fake = FakeSeven(api_key="seven-key").start()
    monkeypatch.setenv("TEST_SEVEN_KEY", "seven-key")
    monkeypatch.setenv("TEST_SEVEN_SIGNING", "seven-signing-secret")
    yield fake
    fake.stop()


@pytest.fixture
def gateway(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGatewayApi]:
    fake = FakeGatewayApi(token="gw-token").start()
    monkeypatch.setenv("TEST_GW_TOKEN", "gw-token")
    monkeypatch.setenv("TEST_GW_JWT", "gw-jwt-secret")
    yield fake
    fake.stop()


@pytest.fixture
def twilio(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTwilio]:
    fake = FakeTwilio(token="twilio-token").start()
    monkeypatch.setenv("TEST_TWILIO_TOKEN", "twilio-token")
    yield fake
    fake.stop()


def seven_channel(fake: FakeSeven, **options: Any) -> SmsChannel:
    opts = {
        "provider": "seven",
        "api_key_env": "TEST_SEVEN_KEY",
        "webhook_secret_env": "TEST_SEVEN_SIGNING",
        "sender": "Stadt",
        "recipients": [A, B],
        **options,
    }
    return SmsChannel(ChannelConfig("sms", "sms", base_url=fake.base, options=opts, http_timeout=1.0))


def gateway_channel(fake: FakeGatewayApi, **options: Any) -> SmsChannel:
    opts = {
        "provider": "gatewayapi",
        "api_token_env": "TEST_GW_TOKEN",
        "webhook_secret_env": "TEST_GW_JWT",
        "sender": "Stadt",
        "recipients": [A, B, C],
        **options,
    }
    return SmsChannel(ChannelConfig("sms-gw", "sms", base_url=fake.url, options=opts, http_timeout=1.0))


def twilio_channel(fake: FakeTwilio, **options: Any) -> SmsChannel:
    opts = {
        "provider": "twilio",
        "account_sid": fake.sid,
        "auth_token_env": "TEST_TWILIO_TOKEN",
        "sender": "+4915100000000",
        "recipients": [A, B],
        **options,
    }
    return SmsChannel(ChannelConfig("sms-tw", "sms", base_url=fake.url, options=opts, http_timeout=1.0))


def send(channel: SmsChannel, message: Message, key: str = "key-1") -> Any:
    return channel.send(channel.render(message), message, key)


def statuses(instance: Settings, key: str = "key-1") -> dict[str, str]:
    return sms_status.statuses_for(sms_status.default_database(), key)


MESSAGE = Message(text="„Unwetter“ – bleiben Sie drinnen…", kind="alert")


# -- editor side ---------------------------------------------------------------------


def test_render_replaces_typographic_characters_so_the_text_stays_gsm(seven: FakeSeven) -> None:
    rendered = seven_channel(seven).render(MESSAGE)
    assert rendered["text"] == '"Unwetter" - bleiben Sie drinnen...'
    assert rendered["encoding"] == "gsm7"
    assert rendered["segments"] == 1


def test_validate_reports_segments_and_cost_when_text_is_too_long(seven: FakeSeven) -> None:
    channel = seven_channel(seven, max_segments=1, cost_per_segment=0.075)
    problems = channel.validate(Message(text="x" * 200))
    assert [p.code for p in problems] == ["too_many_segments"]
    text = problems[0].text
    assert "SMS: 2 Teile, höchstens 1 erlaubt" in text
    assert "0,15 € je Empfänger" in text and "0,30 € für 2 Empfänger" in text


def test_summary_tells_the_editor_segments_and_cost(seven: FakeSeven) -> None:
    channel = seven_channel(seven, cost_per_segment=0.075)
    assert channel.summary(Message(text="Hallo")) == (
        "SMS: 5 Zeichen GSM-7, 1 Teil, 0,075 € je Empfänger, 0,15 € für 2 Empfänger"
    )


def test_validate_names_each_invalid_recipient_and_missing_recipients(seven: FakeSeven) -> None:
    channel = seven_channel(seven, recipients=["0151 23456789", "12345"])
    assert [p.text for p in channel.validate(Message(text="Hi"))] == [
        "SMS: Empfänger „12345“ ist keine gültige Telefonnummer"
    ]
    empty = seven_channel(seven, recipients=[])
    assert "no_recipients" in [p.code for p in empty.validate(Message(text="Hi"))]
    with_extras = empty.validate(Message(text="Hi", extras={"recipients": ["+49 170 1234567"]}))
    assert with_extras == []


def test_recipients_are_normalised_to_e164_and_deduplicated(seven: FakeSeven) -> None:
    channel = seven_channel(seven, recipients=["0151 23456789", "+49 151 23456789", "0170-1234567"])
    assert channel.recipients(Message(text="x")) == ([A, B], [])


# -- seven.io ----------------------------------------------------------------------------


def test_seven_sends_all_recipients_in_one_request(instance: Settings, seven: FakeSeven) -> None:
    receipt = send(seven_channel(seven), MESSAGE)
    [request] = seven.sent()
    body = request.json()
    assert body["to"] == f"{A},{B}"
    assert body["text"] == '"Unwetter" - bleiben Sie drinnen...'
    assert body["from"] == "Stadt"
    assert request.headers["x-api-key"] == "seven-key"
    assert receipt.detail["accepted"] == 2
    assert statuses(instance) == {A: "accepted", B: "accepted"}


def test_seven_partial_rejection_is_recorded_per_recipient(instance: Settings, seven: FakeSeven) -> None:
    seven.invalid = {B.lstrip("+")}
    receipt = send(seven_channel(seven), MESSAGE)
    assert receipt.detail == {"provider": "seven", "accepted": 1, "rejected": 1, "invalid": 0}
    assert statuses(instance) == {A: "accepted", B: "rejected"}


def test_seven_all_rejected_is_permanent(instance: Settings, seven: FakeSeven) -> None:
    seven.invalid = {A.lstrip("+"), B.lstrip("+")}
    with pytest.raises(DeliveryError) as caught:
        send(seven_channel(seven), MESSAGE)
    assert caught.value.permanent


SEVEN_CASES = [
    # (scripted answer, permanent, outcome_unknown, retry_after, words in the message)
    (Scripted(200, {"success": "900"}), True, False, None, "API-Schlüssel prüfen"),
    (Scripted(200, {"success": "500"}), True, False, None, "Guthaben"),
    (Scripted(200, {"success": "201"}), True, False, None, "Absenderkennung"),
    (Scripted(200, {"success": "600"}), False, False, None, "Netzbetreiber"),
    (Scripted(401, {"error": "Unauthorized"}), True, False, None, "HTTP 401"),
    (Scripted(400, {"error": "bad request"}), True, False, None, "HTTP 400"),
    (Scripted(429, {"error": "Too Many Requests"}, headers={"Retry-After": "30"}), False, False, 30.0, "429"),
    (Scripted(500, {"error": "Internal"}), False, False, None, "HTTP 500"),
    (Scripted(200, raw=b"{broken"), False, True, None, "kein JSON"),
    (Scripted(200, {"messages": []}, delay=1.5), False, True, None, "keine Antwort"),
]


@pytest.mark.parametrize(("scripted", "permanent", "unknown", "retry_after", "words"), SEVEN_CASES)
def test_seven_classifies_errors(
    instance: Settings,
    seven: FakeSeven,
    scripted: Scripted,
    permanent: bool,
    unknown: bool,
    retry_after: float | None,
    words: str,
) -> None:
    seven.enqueue(scripted)
    with pytest.raises(DeliveryError) as caught:
        send(seven_channel(seven), MESSAGE)
    error = caught.value
    assert (error.permanent, error.outcome_unknown) == (permanent, unknown)
    assert error.retry_after == (pytest.approx(retry_after, abs=1) if retry_after else None)
    assert words in str(error)
    expected = "unknown" if unknown else "failed"
    assert set(statuses(instance).values()) == {expected}


def test_seven_retry_sends_only_recipients_not_yet_accepted(instance: Settings, seven: FakeSeven) -> None:
    channel = seven_channel(seven, batch_size=1, concurrency=1)  # one after the other: scripted order
    seven.enqueue(
        Scripted(200, {"success": "100", "messages": [{"id": "1", "recipient": A[1:], "success": True}]})
    )
    seven.enqueue(Scripted(500, {"error": "Internal"}))
    with pytest.raises(DeliveryError) as caught:
        send(channel, MESSAGE)
    assert "bereits 1 von 2" in str(caught.value)
    assert statuses(instance) == {A: "accepted", B: "failed"}
    send(channel, MESSAGE)  # the retry
    assert [r.json()["to"] for r in seven.sent()] == [A, B, B]
    assert statuses(instance) == {A: "accepted", B: "accepted"}


def test_seven_reload_lock_counts_as_already_sent(instance: Settings, seven: FakeSeven) -> None:
    seven.enqueue(Scripted(200, {"success": "402"}))
    receipt = send(seven_channel(seven), MESSAGE)
    assert receipt.detail["accepted"] == 2


def test_seven_check_reads_balance_without_sending(seven: FakeSeven) -> None:
    result = seven_channel(seven).check()
    assert result.ok and "42.5" in result.text
    assert seven.sent() == []
    seven.api_key = "rotated"
    assert not seven_channel(seven).check().ok


# -- GatewayAPI --------------------------------------------------------------------------


def test_gatewayapi_sends_a_batch_with_many_recipients(instance: Settings, gateway: FakeGatewayApi) -> None:
    channel = gateway_channel(gateway, batch_size=2)
    receipt = send(channel, Message(text="Warnung 😀"))
    requests = gateway.sent()
    assert sorted([r["msisdn"] for r in q.json()["recipients"]] for q in requests) == sorted(
        [[int(A[1:]), int(B[1:])], [int(C[1:])]]
    )
    assert requests[0].json()["encoding"] == "UCS2"
    assert requests[0].json()["userref"] == "key-1"
    assert receipt.detail["accepted"] == 3
    assert statuses(instance) == {A: "accepted", B: "accepted", C: "accepted"}


GATEWAY_CASES = [
    (
        Scripted(401, {"code": "0x0223", "message": "Invalid Consumer Key"}),
        True,
        False,
        None,
        "API-Token prüfen",
    ),
    (
        Scripted(403, {"code": "0x0213", "message": "Unauthorized IP-address"}),
        True,
        False,
        None,
        "IP-Freigabe",
    ),
    (
        Scripted(400, {"code": "0x0216", "message": "Insufficient credit"}),
        True,
        False,
        None,
        "Insufficient credit",
    ),
    (Scripted(422, {"code": "0x0308", "message": "Invalid json"}), True, False, None, "Invalid json"),
    (Scripted(429, {"message": "Too many"}, headers={"Retry-After": "12"}), False, False, 12.0, "429"),
    (Scripted(503, {"message": "Unavailable"}), False, False, None, "503"),
    (Scripted(200, raw=b"<html>oops"), False, True, None, "kein JSON"),
    (Scripted(200, {"usage": {}}), False, True, None, "ohne Nachrichten-ID"),
    (Scripted(200, {"ids": [1]}, delay=1.5), False, True, None, "keine Antwort"),
]


@pytest.mark.parametrize(("scripted", "permanent", "unknown", "retry_after", "words"), GATEWAY_CASES)
def test_gatewayapi_classifies_errors(
    instance: Settings,
    gateway: FakeGatewayApi,
    scripted: Scripted,
    permanent: bool,
    unknown: bool,
    retry_after: float | None,
    words: str,
) -> None:
    gateway.enqueue(scripted)
    with pytest.raises(DeliveryError) as caught:
        send(gateway_channel(gateway), MESSAGE)
    error = caught.value
    assert (error.permanent, error.outcome_unknown) == (permanent, unknown)
    assert error.retry_after == (pytest.approx(retry_after, abs=1) if retry_after else None)
    assert words in str(error)


def test_gatewayapi_check_reads_credit(gateway: FakeGatewayApi) -> None:
    assert gateway_channel(gateway).check().ok
    gateway.token = "other"
    result = gateway_channel(gateway).check()
    assert not result.ok and "API-Token prüfen" in result.text


# -- Twilio ------------------------------------------------------------------------------


def test_twilio_sends_one_request_per_recipient_and_skips_refused_numbers(
    instance: Settings, twilio: FakeTwilio
) -> None:
    twilio.invalid = {A}
    receipt = send(twilio_channel(twilio), MESSAGE)
    forms = [{k: v[0] for k, v in r.form().items()} for r in twilio.sent()]
    assert [f["To"] for f in forms] == [A, B]
    assert forms[1]["From"] == "+4915100000000"
    assert receipt.detail["accepted"] == 1 and receipt.detail["rejected"] == 1
    assert statuses(instance) == {A: "rejected", B: "accepted"}


TWILIO_CASES = [
    (Scripted(401, {"code": 20003, "message": "Authenticate"}), True, False, None, "Auth Token prüfen"),
    (
        Scripted(429, {"code": 20429, "message": "Too Many Requests"}, headers={"Retry-After": "5"}),
        False,
        False,
        5.0,
        "429",
    ),
    (Scripted(500, {"code": 20500, "message": "Internal Server Error"}), False, False, None, "HTTP 500"),
    (Scripted(201, raw=b"not json"), False, True, None, "kein JSON"),
    (Scripted(201, {"sid": "SMx"}, delay=1.5), False, True, None, "keine Antwort"),
]


@pytest.mark.parametrize(("scripted", "permanent", "unknown", "retry_after", "words"), TWILIO_CASES)
def test_twilio_classifies_errors(
    instance: Settings,
    twilio: FakeTwilio,
    scripted: Scripted,
    permanent: bool,
    unknown: bool,
    retry_after: float | None,
    words: str,
) -> None:
    twilio.enqueue(scripted)
    with pytest.raises(DeliveryError) as caught:
        send(twilio_channel(twilio), MESSAGE)
    error = caught.value
    assert (error.permanent, error.outcome_unknown) == (permanent, unknown)
    assert error.retry_after == (pytest.approx(retry_after, abs=1) if retry_after else None)
    assert words in str(error)
    assert len(twilio.sent()) == 1  # the first failure stops the batch


def test_unknown_provider_is_a_problem_and_a_permanent_error(instance: Settings) -> None:
    channel = SmsChannel(ChannelConfig("sms", "sms", options={"provider": "nope", "recipients": [A]}))
    assert "provider" in [p.code for p in channel.validate(Message(text="x"))]
    with pytest.raises(DeliveryError) as caught:
        send(channel, Message(text="x"))
    assert caught.value.permanent


# -- delivery reports (webhook) ------------------------------------------------------------

SMS_TOML = """
[channels.sms]
type = "sms"
provider = "seven"
base_url = "{seven}"
api_key_env = "TEST_SEVEN_KEY"
webhook_secret_env = "TEST_SEVEN_SIGNING"
recipients = ["{a}", "{b}"]

[channels.sms-gw]
type = "sms"
provider = "gatewayapi"
base_url = "{gateway}"
api_token_env = "TEST_GW_TOKEN"
webhook_secret_env = "TEST_GW_JWT"
recipients = ["{a}"]

[channels.sms-tw]
type = "sms"
provider = "twilio"
base_url = "{twilio}"
account_sid = "{sid}"
auth_token_env = "TEST_TWILIO_TOKEN"
sender = "+4915100000000"
recipients = ["{a}"]
"""


@pytest.fixture
def webhook_setup(db: Any, seven: FakeSeven, gateway: FakeGatewayApi, twilio: FakeTwilio) -> None:
    from tests.conftest import configure_channels

    configure_channels(
        db,
        SMS_TOML.format(seven=seven.base, gateway=gateway.url, twilio=twilio.url, sid=twilio.sid, a=A, b=B),
    )


def seven_signed(body: bytes, url: str, secret: str = "seven-signing-secret", age: int = 0) -> dict[str, str]:
    timestamp = str(int(time.time()) - age)
    nonce = "n0nce"
    signed = "\n".join([timestamp, nonce, "POST", url, hashlib.md5(body).hexdigest()])
    signature = hmac.new(secret.encode(), signed.encode(), hashlib.sha256).hexdigest()
    return {
        "X-Timestamp": timestamp,
        "X-Nonce": nonce,
        "X-Signature": signature,
        "Content-Type": "application/json",
    }


def test_seven_delivery_report_updates_the_recipient(
    instance: Settings, client: Any, webhook_setup: None, seven: FakeSeven
) -> None:
    channel = seven_channel(seven)
    send(channel, MESSAGE)
    body = json.dumps(
        {
            "webhook_event": "dlr",
            "webhook_timestamp": "2026-11-21 10:00:00",
            "data": {"msg_id": "77000000", "status": "DELIVERED", "timestamp": "2026-11-21 10:00:00.000"},
        }
    ).encode()
    url = f"{instance.public_base_url}/webhooks/sms/sms"
    response = client.post("/webhooks/sms/sms", data=body, headers=seven_signed(body, url))
    assert response.status_code == 200, response.json
    assert response.json["updated"] == 1
    assert statuses(instance) == {A: "delivered", B: "accepted"}


@pytest.mark.parametrize(
    ("tamper", "words"),
    [("secret", "Signatur stimmt nicht"), ("age", "Wiederholung"), ("headers", "Signatur-Header fehlen")],
)
def test_seven_delivery_report_with_bad_signature_is_refused(
    instance: Settings, client: Any, webhook_setup: None, tamper: str, words: str
) -> None:
    body = json.dumps({"webhook_event": "dlr", "data": {"msg_id": "1", "status": "DELIVERED"}}).encode()
    url = f"{instance.public_base_url}/webhooks/sms/sms"
    headers = seven_signed(
        body,
        url,
        secret="wrong" if tamper == "secret" else "seven-signing-secret",
        age=900 if tamper == "age" else 0,
    )
    if tamper == "headers":
        headers = {"Content-Type": "application/json"}
    response = client.post("/webhooks/sms/sms", data=body, headers=headers)
    assert response.status_code == 403
    assert words in response.json["error"]


def jwt_hs256(claims: dict[str, Any], secret: str) -> str:
    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    head = part(json.dumps({"typ": "JWT", "alg": "HS256"}).encode())
    payload = part(json.dumps(claims).encode())
    signature = hmac.new(secret.encode(), f"{head}.{payload}".encode(), hashlib.sha256).digest()
    return f"{head}.{payload}.{part(signature)}"


def test_gatewayapi_delivery_report_is_verified_by_jwt(
    instance: Settings, client: Any, webhook_setup: None, gateway: FakeGatewayApi
) -> None:
    channel = gateway_channel(gateway, recipients=[A, B])
    send(channel, MESSAGE, key="gw-key")
    claims = {
        "id": 421332671,
        "msisdn": int(B[1:]),
        "time": 1450000000,
        "status": "UNDELIVERABLE",
        "error": "Absent subscriber",
        "code": "0x1013",
        "userref": "gw-key",
    }
    good = client.post(
        "/webhooks/sms/sms-gw", json=claims, headers={"X-Gwapi-Signature": jwt_hs256(claims, "gw-jwt-secret")}
    )
    assert good.status_code == 200 and good.json["updated"] == 1
    assert statuses(instance, "gw-key") == {A: "accepted", B: "undelivered"}
    bad = client.post(
        "/webhooks/sms/sms-gw", json=claims, headers={"X-Gwapi-Signature": jwt_hs256(claims, "x")}
    )
    assert bad.status_code == 403


def test_twilio_status_callback_is_verified_and_not_regressed(
    instance: Settings, client: Any, webhook_setup: None, twilio: FakeTwilio
) -> None:
    channel = twilio_channel(twilio, recipients=[A])
    send(channel, MESSAGE, key="tw-key")
    with sms_status.default_database().session() as session:
        sid = session.scalar(select(sms_status.SmsRecipientStatus.message_id))
    url = f"{instance.public_base_url}/webhooks/sms/sms-tw"

    def callback(status: str) -> Any:
        form = {"MessageSid": sid, "MessageStatus": status, "To": A, "AccountSid": twilio.sid}
        signature = twilio_signature("twilio-token", url, form)
        return client.post("/webhooks/sms/sms-tw", data=form, headers={"X-Twilio-Signature": signature})

    assert callback("delivered").status_code == 200
    assert callback("sent").status_code == 200  # arrives late, must not undo "delivered"
    assert statuses(instance, "tw-key") == {A: "delivered"}
    forged = client.post(
        "/webhooks/sms/sms-tw",
        data={"MessageSid": sid, "MessageStatus": "failed"},
        headers={"X-Twilio-Signature": "AAAA"},
    )
    assert forged.status_code == 403


def test_delivery_report_for_unknown_channel_is_404(client: Any) -> None:
    response = client.post("/webhooks/sms/nope", data=b"{}")
    assert response.status_code == 404
    assert "Kein SMS-Kanal" in response.json["error"]


# -- through the real outbox and a Celery worker ------------------------------------------


@pytest.mark.integration
def test_sms_alert_goes_out_through_a_crisis_worker(
    stack: Any, db: Any, webhook_setup: None, seven: FakeSeven
) -> None:
    from tests.channels.pipeline import enqueue_delivery, wait_for_state

    stack.start("crisis")
    delivery_id = enqueue_delivery(stack, db, "sms", MESSAGE, "crisis")
    done = wait_for_state(db, delivery_id, "sent", "dead", "failed")
    assert done.state == "sent", done.last_error
    assert not done.dispatched_inline
    [request] = seven.sent()
    assert request.json()["to"] == f"{A},{B}"
    assert sms_status.statuses_for(db, done.idempotency_key) == {A: "accepted", B: "accepted"}
