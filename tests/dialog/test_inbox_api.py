"""The inbox API: list (names only for roles that answer), reply with a block, assign, close."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select

from content_calendar.dialog import inbox
from content_calendar.dialog.models import InboxItem
from publisher.db import Database
from publisher.models import Delivery
from publisher.outbox import process_delivery
from publisher.settings import Settings
from tests.conftest import api_token
from tests.crisis.conftest import EveryChannel


def fetched(every: EveryChannel, settings: Settings, text: str) -> int:
    every.mastodon.mention("anna@example.social", text)
    inbox.fetch_all(every.db, settings)
    with every.db.session() as session:
        return session.scalars(select(InboxItem.id).order_by(InboxItem.id.desc())).first()  # type: ignore[return-value]


def bearer(db: Database, username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_token(db, username)}"}


def test_the_api_lists_the_inbox_with_names_only_for_roles_that_answer(
    every_channel: EveryChannel, approved_blocks: Database, instance: Settings, client: FlaskClient
) -> None:
    fetched(every_channel, instance, "Rufen Sie mich an: 0171 2345678")
    editor = client.get("/api/v1/inbox?state=open", headers=bearer(approved_blocks, "redaktion")).get_json()
    crisis = client.get("/api/v1/inbox?state=open", headers=bearer(approved_blocks, "krisenstab")).get_json()
    assert editor["total"] == 1 and editor["items"][0]["author"] == "@anna@example.social"
    assert "0171 2345678" in editor["items"][0]["text"]
    assert crisis["items"][0]["author"] == "Bürger:in"
    assert "0171" not in crisis["items"][0]["text"] and "[Telefonnummer]" in crisis["items"][0]["text"]
    refused = client.get("/api/v1/inbox", headers=bearer(approved_blocks, "fallback"))
    assert refused.status_code == 403 and "Posteingang ansehen" in refused.get_json()["detail"]


def test_the_api_replies_with_a_block_once_per_key_and_the_fake_gets_the_reply(
    every_channel: EveryChannel, approved_blocks: Database, instance: Settings, client: FlaskClient
) -> None:
    item_id = fetched(every_channel, instance, "Wen rufe ich an?")
    headers = bearer(approved_blocks, "redaktion")
    body = {"block": "wen_anrufen", "variables": {"telefon": "06221 123456"}, "idempotency_key": "a-1"}
    first = client.post(f"/api/v1/inbox/{item_id}/reply", json=body, headers=headers)
    again = client.post(f"/api/v1/inbox/{item_id}/reply", json=body, headers=headers)
    assert first.status_code == 201, first.get_json()
    assert again.status_code == 200 and again.get_json()["id"] == first.get_json()["id"]
    assert "+49 6221 123456" in first.get_json()["text"]
    assert process_delivery(approved_blocks, first.get_json()["delivery_id"], instance) == "sent"
    with approved_blocks.session() as session:
        target = session.get(InboxItem, item_id).remote_id  # type: ignore[union-attr]
        assert session.get(Delivery, first.get_json()["delivery_id"]).state == "sent"  # type: ignore[union-attr]
    assert every_channel.mastodon.posted_statuses[-1]["in_reply_to_id"] == target


def test_the_api_refuses_bad_replies_with_german_problems(
    every_channel: EveryChannel, approved_blocks: Database, instance: Settings, client: FlaskClient
) -> None:
    item_id = fetched(every_channel, instance, "Frage")
    headers = bearer(approved_blocks, "redaktion")
    both = client.post(
        f"/api/v1/inbox/{item_id}/reply", json={"block": "danke", "text": "Hallo"}, headers=headers
    )
    assert both.status_code == 422 and "entweder einen Antwortbaustein oder" in both.get_json()["detail"]
    missing = client.post("/api/v1/inbox/999/reply", json={"text": "Hallo"}, headers=headers)
    assert missing.status_code == 404 and "Eintrag 999 nicht gefunden" in missing.get_json()["detail"]
    crisis = client.post(
        f"/api/v1/inbox/{item_id}/reply", json={"text": "x"}, headers=bearer(approved_blocks, "krisenstab")
    )
    assert crisis.status_code == 403


def test_the_api_assigns_and_closes_and_refuses_closing_twice(
    every_channel: EveryChannel, approved_blocks: Database, instance: Settings, client: FlaskClient
) -> None:
    item_id = fetched(every_channel, instance, "Spam")
    headers = bearer(approved_blocks, "redaktion")
    assigned = client.post(f"/api/v1/inbox/{item_id}/assign", json={}, headers=headers)
    assert assigned.status_code == 200 and assigned.get_json()["state"] == "assigned"
    closed = client.post(f"/api/v1/inbox/{item_id}/close", json={"reason": "Werbung"}, headers=headers)
    assert closed.status_code == 200 and closed.get_json()["state"] == "closed"
    twice = client.post(f"/api/v1/inbox/{item_id}/close", json={}, headers=headers)
    assert twice.status_code == 409 and "schon geschlossen" in twice.get_json()["detail"]
