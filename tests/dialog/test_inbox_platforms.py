"""Done means (issue 14): a citizen's message on each platform shows up in the inbox after one
``ernstfall inbox fetch``, is answered with an approved block, and the platform's fake receives a
real reply to exactly that message — threaded under our post, sent by the real outbox."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from content_calendar.dialog import inbox, replies
from content_calendar.dialog.models import InboxItem
from publisher.db import Database
from publisher.models import Channel, Delivery
from publisher.outbox import process_delivery
from publisher.settings import Settings
from publisher.vocabulary import InboxState, ReplyState
from tests.crisis.conftest import EveryChannel
from tests.dialog.conftest import PLATFORMS, citizen_writes, post_as_city, user_id
from workers.cli import main as cli


def fetch_with_cli(capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    assert cli(["inbox", "fetch"]) == 0
    return dict(json.loads(capsys.readouterr().out))


def item_for(db: Database, channel_name: str, remote_id: str) -> InboxItem | None:
    with db.session() as session:
        return session.scalar(
            select(InboxItem)
            .join(Channel)
            .where(Channel.name == channel_name, InboxItem.remote_id == remote_id)
        )


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_citizen_message_is_fetched_answered_with_a_block_and_the_platform_gets_a_real_reply(
    platform: str,
    every_channel: EveryChannel,
    approved_blocks: Database,
    instance: Settings,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = every_channel.db
    post_id = post_as_city(db, instance, platform, "Heute ist Sperrmüll in der Altstadt.")
    citizen = citizen_writes(every_channel, platform, post_id, "Gilt das auch für die Neustadt?")

    report = fetch_with_cli(capsys)

    assert report["kanäle"][platform] == "1 neu"  # type: ignore[index]
    item = item_for(db, platform, str(citizen.remote_id))
    assert item is not None, report
    assert "Neustadt" in item.text
    assert item.thread_remote_id == post_id or platform == "telegram"
    assert item.thread_text and "Sperrmüll" in item.thread_text  # shown as a thread with our post
    assert item.state == InboxState.NEW

    with db.session() as session:
        result = replies.reply(
            session,
            instance,
            session.get(InboxItem, item.id),  # type: ignore[arg-type]
            user_id=user_id(db, "redaktion"),
            block_key="danke",
        )
        assert result.delivery is not None  # an approved block needs no further sign-off
        delivery_id = result.delivery.id
    assert process_delivery(db, delivery_id, instance) == "sent"

    assert str(citizen.replied()) == str(citizen.expected)
    with db.session() as session:
        delivery = session.get(Delivery, delivery_id)
        assert delivery is not None and delivery.source_kind == "reply"
        assert (
            "Danke für Ihren Hinweis" in delivery.rendered["text" if platform != "instagram" else "caption"]
        )
        assert session.get(InboxItem, item.id).state == InboxState.ANSWERED  # type: ignore[union-attr]

    again = fetch_with_cli(capsys)
    assert again["kanäle"][platform] == "0 neu"  # type: ignore[index]
    with db.session() as session:
        assert session.scalar(select(func.count(InboxItem.id))) == 1  # fetched once, our reply not in it


def test_a_mastodon_direct_message_is_answered_directly_with_the_mention(
    every_channel: EveryChannel, approved_blocks: Database, instance: Settings
) -> None:
    db = every_channel.db
    status = every_channel.mastodon.mention(
        "bernd@example.social", "Wo ist der Leuchtturm?", visibility="direct"
    )
    inbox.fetch_all(db, instance)
    item = item_for(db, "mastodon", status["id"])
    assert item is not None and item.kind == "direct"
    with db.session() as session:
        result = replies.reply(
            session,
            instance,
            session.get(InboxItem, item.id),  # type: ignore[arg-type]
            user_id=user_id(db, "redaktion"),
            block_key="danke",
        )
        assert result.delivery is not None
        delivery_id = result.delivery.id
    assert process_delivery(db, delivery_id, instance) == "sent"
    posted = {k: v[0] for k, v in every_channel.mastodon.posted()[-1].form().items()}
    assert posted["in_reply_to_id"] == status["id"]
    assert posted["visibility"] == "direct"
    assert posted["status"].startswith("@bernd@example.social ")  # Mastodon notifies only whom it mentions


def test_free_text_waits_for_a_second_person_and_the_writer_cannot_approve_it(
    every_channel: EveryChannel, approved_blocks: Database, instance: Settings
) -> None:
    db = every_channel.db
    every_channel.mastodon.mention("anna@example.social", "Wann öffnet das Bad?")
    inbox.fetch_all(db, instance)
    editor, approver = user_id(db, "redaktion"), user_id(db, "freigabe")
    with db.session() as session:
        item = session.scalars(select(InboxItem)).one()
        result = replies.reply(session, instance, item, user_id=editor, text="Ab 10 Uhr, bis 20 Uhr.")
        assert result.delivery is None
        assert result.reply.state == ReplyState.AWAITING_APPROVAL
        with pytest.raises(inbox.InboxError, match="Vier-Augen-Prinzip"):
            replies.approve(session, instance, result.reply, editor)
        delivery = replies.approve(session, instance, result.reply, approver)
        session.flush()
        delivery_id = delivery.id
    assert not every_channel.mastodon.posted_statuses
    assert process_delivery(db, delivery_id, instance) == "sent"
    assert every_channel.mastodon.posted_statuses[-1]["content"].endswith("Ab 10 Uhr, bis 20 Uhr.")


def test_the_same_idempotency_key_gives_one_reply_and_one_delivery(
    every_channel: EveryChannel, approved_blocks: Database, instance: Settings
) -> None:
    db = every_channel.db
    every_channel.mastodon.mention("anna@example.social", "Danke!")
    inbox.fetch_all(db, instance)
    editor = user_id(db, "redaktion")
    with db.session() as session:
        item = session.scalars(select(InboxItem)).one()
        first = replies.reply(
            session, instance, item, user_id=editor, block_key="danke", idempotency_key="k-1"
        )
        second = replies.reply(
            session, instance, item, user_id=editor, block_key="danke", idempotency_key="k-1"
        )
        assert second.created is False and second.reply.id == first.reply.id
        assert session.scalar(select(func.count(Delivery.id)).where(Delivery.source_kind == "reply")) == 1


def test_it_refuses_a_reply_too_long_for_bluesky_with_a_german_message(
    every_channel: EveryChannel, approved_blocks: Database, instance: Settings
) -> None:
    db = every_channel.db
    every_channel.bluesky.mention("anna.bsky.social", "Frage")
    inbox.fetch_all(db, instance)
    with db.session() as session:
        item = session.scalars(select(InboxItem).where(InboxItem.platform == "bluesky")).one()
        with pytest.raises(inbox.InboxError, match=r"Bluesky: 400 von 300 Zeichen"):
            replies.reply(session, instance, item, user_id=user_id(db, "redaktion"), text="x" * 400)


def test_it_refuses_a_block_that_is_not_approved_and_one_with_a_bad_phone_number(
    every_channel: EveryChannel, approved_blocks: Database, instance: Settings
) -> None:
    db = every_channel.db
    every_channel.mastodon.mention("anna@example.social", "Wen rufe ich an?")
    inbox.fetch_all(db, instance)
    with db.session() as session:
        item = session.scalars(select(InboxItem)).one()
        editor = user_id(db, "redaktion")
        with pytest.raises(inbox.InboxError, match="gibt es nicht oder er ist nicht freigegeben"):
            replies.reply(session, instance, item, user_id=editor, block_key="gibt_es_nicht")
        with pytest.raises(inbox.InboxError, match="Bürgertelefon: keine gültige Telefonnummer"):
            replies.reply(
                session, instance, item, user_id=editor, block_key="wen_anrufen", variables={"telefon": "abc"}
            )
