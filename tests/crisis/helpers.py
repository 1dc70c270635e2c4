"""Shared set-up for the crisis-queue tests: approved library, channels, console sends."""

from __future__ import annotations

import re
import threading
import time

from flask.testing import FlaskClient
from sqlalchemy import select

from content_calendar.accounts.models import User
from content_calendar.crisis.models import Alert
from content_calendar.crisis.templates import approve, load_library
from publisher.db import Database
from publisher.models import Delivery
from publisher.settings import Settings


def approved_library(db: Database, settings: Settings) -> None:
    """The shipped library, written by an editor and approved by a second person."""
    with db.session() as session:
        editor = session.scalar(select(User).where(User.username == "redaktion"))
        approver = session.scalar(select(User).where(User.username == "freigabe"))
        assert editor and approver
        for template in load_library(session, editor.id):
            approve(session, template, approver.id, settings)


def console_send(client: FlaskClient, key: str, values: dict[str, str], **extra: str):  # type: ignore[no-untyped-def]
    """Open the console form (which mints the idempotency token), then press send."""
    query = "&".join(f"{k}={v}" for k, v in extra.items())
    page = client.get(f"/krise/senden/{key}?{query}").get_data(as_text=True)
    token = re.search(r'name="console_token" value="([^"]+)"', page)
    assert token, page
    form = {f"v_{k}": v for k, v in values.items()}
    form.update({"console_token": token.group(1), "action": "send", **extra})
    return token.group(1), form


def wait_inline() -> None:
    """Inline deliveries run in threads of this process; wait for them."""
    for thread in threading.enumerate():
        if thread.name.startswith("inline-delivery-"):
            thread.join(timeout=30)


def deliveries(db: Database, alert_id: int) -> dict[str, Delivery]:
    with db.session() as session:
        rows = session.scalars(
            select(Delivery).where(Delivery.source_kind == "alert", Delivery.source_id == alert_id)
        ).all()
        return {
            d.channel.name
            + ("" if "-sms-" not in d.idempotency_key else ":" + d.idempotency_key.rsplit("-", 1)[-1]): d
            for d in rows
        }


def alerts(db: Database) -> list[Alert]:
    with db.session() as session:
        return list(session.scalars(select(Alert).order_by(Alert.id)))


def wait_for(predicate, timeout: float = 20.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out")
