"""Done means (issue 13): a platform starts rejecting the token; the staff get one e-mail within
one check interval, the console turns that channel red, the API and /metrics show it, and all
turn green again once the token is fixed."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from publisher.db import Database
from publisher.settings import Settings
from tests.conftest import api_token, create_test_app, login
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.smtp import FakeSmtp
from tests.readiness.conftest import STAFF, after_intervals, due_round
from workers.health import run_checks


def channel_ids(db: Database) -> dict[str, int]:
    from sqlalchemy import select

    from publisher.models import Channel

    with db.session() as session:
        return {c.name: c.id for c in session.scalars(select(Channel))}


def light(client: FlaskClient, channel: str) -> str:
    """The traffic-light class of ``channel`` on the crisis console."""
    page = client.get("/krise/").get_data(as_text=True)
    found = re.search(rf'<li class="readiness-(\w+)" data-channel="{channel}"', page)
    assert found, page
    return found.group(1)


def health(client: FlaskClient, token: str) -> dict[str, dict[str, object]]:
    response = client.get("/api/v1/channels/health", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.data
    return {c["channel"]: c for c in response.get_json()["channels"]}


def metric(client: FlaskClient, name: str, channel: str) -> float:
    text = client.get("/metrics").get_data(as_text=True)
    found = re.search(rf'^{name}\{{channel="{channel}",type="[a-z]+"\}} (\S+)$', text, re.M)
    assert found, text
    return float(found.group(1))


def test_a_revoked_token_turns_the_channel_red_once_and_green_again_after_the_fix(
    db: Database, channels: Settings, mastodon: FakeMastodon, smtp: FakeSmtp
) -> None:
    settings = channels
    client = create_test_app().test_client()
    login(client, "krisenstab")
    token = api_token(db, "admin")
    ids = channel_ids(db)

    # First round: every channel is due at once; all is well, so nobody is mailed.
    assert sorted(due_round(db, settings)) == sorted([ids["mastodon"], ids["sms"]])
    assert run_checks(settings, [ids["mastodon"]])["mastodon"].state == "ok"
    assert light(client, "mastodon") == "green"
    assert smtp.received == []

    mastodon.token = "widerrufen"  # the platform now rejects our token
    assert due_round(db, settings) == []  # not due again before its interval
    due = due_round(db, settings, after_intervals(settings, 1))
    assert ids["mastodon"] in due
    verdict = run_checks(settings, due)["mastodon"]
    assert verdict.state == "failing" and "Token prüfen" in verdict.reason

    [mail] = smtp.received
    assert mail.rcpt_tos == [STAFF]
    assert mail.message["Subject"] == "Ernstfall: Kanal mastodon gestört"
    assert "mastodon (mastodon): bereit → gestört" in mail.message.get_content()
    assert light(client, "mastodon") == "red"
    assert light(client, "sms") == "green"
    row = health(client, token)["mastodon"]
    assert row["state"] == "failing" and "Token prüfen" in str(row["reason"])
    assert row["last_success_at"] is not None and row["last_success_at"] < row["checked_at"]
    assert metric(client, "ernstfall_channel_up", "mastodon") == 0.0

    # Still failing one interval later: no second mail for the same change.
    run_checks(settings, due_round(db, settings, after_intervals(settings, 2)))
    assert len(smtp.received) == 1

    mastodon.token = "mast-token"  # an admin fixed the token
    run_checks(settings, due_round(db, settings, after_intervals(settings, 3)))
    assert light(client, "mastodon") == "green"
    assert health(client, token)["mastodon"]["state"] == "ok"
    assert metric(client, "ernstfall_channel_up", "mastodon") == 1.0
    assert len(smtp.received) == 2
    assert smtp.received[1].message["Subject"] == "Ernstfall: Kanal mastodon bereit"
    assert mastodon.posted() == []  # a check never posts
