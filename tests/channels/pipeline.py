"""Helpers for channel tests: send one delivery through the real outbox and a real worker."""

from __future__ import annotations

from sqlalchemy import select

from publisher.channels.base import ChannelAdapter, Message
from publisher.db import Database
from publisher.errors import DeliveryError
from publisher.models import Channel, Delivery
from publisher.outbox import create_delivery
from publisher.outbox.dispatch import Dispatcher
from tests.conftest import Stack, wait_until


def enqueue_delivery(stack: Stack, db: Database, channel_name: str, message: Message, lane: str) -> int:
    """Create a delivery the way posts and alerts do, commit, then nudge the lane's workers."""
    with db.session() as session:
        channel = session.scalar(select(Channel).where(Channel.name == channel_name))
        assert channel is not None, f"channel {channel_name} not configured"
        delivery = create_delivery(
            session,
            channel=channel,
            lane=lane,
            message=message,
            settings=stack.settings,
            source_kind="manual",
            source_id=None,
        )
        session.flush()
        delivery_id = delivery.id
    Dispatcher(stack.settings, db).enqueue([(delivery_id, lane)])
    return delivery_id


def wait_for_state(db: Database, delivery_id: int, *states: str, timeout: float = 40.0) -> Delivery:
    def current() -> Delivery | None:
        with db.session() as session:
            delivery = session.get(Delivery, delivery_id)
            assert delivery is not None
            session.expunge(delivery)
            return delivery if delivery.state in states else None

    found: Delivery = wait_until(current, timeout=timeout, what=f"delivery {delivery_id} in {states}")
    return found


def send_error(adapter: ChannelAdapter, message: Message, key: str = "key-1") -> DeliveryError:
    """Send and return the DeliveryError the adapter raised (fails if it did not raise one)."""
    try:
        adapter.send(adapter.render(message), message, key)
    except DeliveryError as exc:
        return exc
    raise AssertionError("send succeeded, a DeliveryError was expected")
