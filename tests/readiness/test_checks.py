"""Each platform's own credential check, turned into ok / warning / failing with a German reason."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from publisher.db import Database
from publisher.readiness import Audience, check_channels, readiness
from publisher.settings import Settings
from tests.conftest import configure_channels
from tests.fakes.graph import FakeGraph
from tests.fakes.sms import FakeSeven
from tests.fakes.telegram import FakeTelegram

DAY = 86400


@pytest.fixture
def graph(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGraph]:
    fake = FakeGraph(token="page-token").start()
    monkeypatch.setenv("TEST_GRAPH_TOKEN", "page-token")
    yield fake
    fake.stop()


@pytest.fixture
def telegram(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTelegram]:
    fake = FakeTelegram(token="123:abc").start()
    monkeypatch.setenv("TEST_TELEGRAM_TOKEN", "123:abc")
    yield fake
    fake.stop()


def meta_channels(db: Database, graph: FakeGraph) -> None:
    configure_channels(
        db,
        f"""
[channels.facebook]
type = "facebook"
base_url = "{graph.url}"
page_id = "{graph.page_id}"
page_token_env = "TEST_GRAPH_TOKEN"

[channels.instagram]
type = "instagram"
base_url = "{graph.url}"
ig_user_id = "{graph.ig_user_id}"
access_token_env = "TEST_GRAPH_TOKEN"
""",
    )


def test_it_warns_in_german_when_the_meta_token_expires_within_fourteen_days(
    db: Database, instance: Settings, graph: FakeGraph
) -> None:
    meta_channels(db, graph)
    graph.token_expires_at = int(time.time()) + 5 * DAY
    verdicts = check_channels(db, instance)
    for name in ("facebook", "instagram"):
        assert verdicts[name].state == "warning"
        assert (
            "Zugangstoken läuft am" in verdicts[name].reason
            and "rechtzeitig erneuern" in verdicts[name].reason
        )
    with db.session() as session:
        rows = {r.channel: r for r in readiness(session)}
    assert rows["facebook"].expires_at is not None
    assert abs(rows["facebook"].expires_at.timestamp() - graph.token_expires_at) < 1
    assert graph.feed == [] and graph.containers == {}  # nothing was posted


def test_a_meta_token_far_from_expiry_is_green_and_says_until_when(
    db: Database, instance: Settings, graph: FakeGraph
) -> None:
    meta_channels(db, graph)
    graph.token_expires_at = int(time.time()) + 50 * DAY
    verdict = check_channels(db, instance)["facebook"]
    assert verdict.state == "ok"
    assert "Token gültig bis" in verdict.reason


def test_a_revoked_meta_token_fails_with_the_platforms_reason(
    db: Database, instance: Settings, graph: FakeGraph
) -> None:
    meta_channels(db, graph)
    graph.revoked = True
    verdicts = check_channels(db, instance)
    assert verdicts["facebook"].state == "failing"
    assert "session has been invalidated" in verdicts["facebook"].reason
    assert verdicts["instagram"].state == "failing"


def test_a_page_token_of_another_page_fails_and_says_whose_it_is(
    db: Database, instance: Settings, graph: FakeGraph
) -> None:
    meta_channels(db, graph)
    graph.page_id = "999"  # /me now answers a different page than the configured one
    verdict = check_channels(db, instance)["facebook"]
    assert verdict.state == "failing"
    assert "der Token gehört zu „Stadt Musterhausen“ (999), nicht zur Seite 1029384756" in verdict.reason


def sms_channel(db: Database, seven: FakeSeven, cost: str = "cost_per_segment = 0.075") -> None:
    configure_channels(
        db,
        f"""
[channels.sms]
type = "sms"
provider = "seven"
base_url = "{seven.base}"
api_key_env = "TEST_SEVEN_KEY"
lanes = ["crisis"]
{cost}
""",
    )


def test_it_warns_when_the_sms_credit_does_not_cover_one_alert_to_every_subscriber(
    db: Database, instance: Settings, seven: FakeSeven
) -> None:
    sms_channel(db, seven)
    seven.balance = 100.0  # 400 subscribers x 3 segments x 0,075 EUR = 90 EUR: enough
    assert check_channels(db, instance, audience=Audience(sms_subscribers=400))["sms"].state == "ok"
    verdict = check_channels(db, instance, audience=Audience(sms_subscribers=1000))["sms"]
    assert verdict.state == "warning"
    assert verdict.reason == (
        "SMS-Guthaben 100,00 EUR reicht nicht für eine Warnung an alle 1000 Abonnent:innen "
        "(etwa 225,00 EUR) – bitte aufladen"
    )
    assert seven.sent() == []


def test_an_empty_sms_account_fails(db: Database, instance: Settings, seven: FakeSeven) -> None:
    sms_channel(db, seven, cost="")
    seven.balance = 0
    verdict = check_channels(db, instance)["sms"]
    assert (verdict.state, verdict.reason) == (
        "failing",
        "SMS-Guthaben aufgebraucht – keine SMS mehr möglich",
    )


def test_a_telegram_bot_removed_from_its_channel_fails(
    db: Database, instance: Settings, telegram: FakeTelegram
) -> None:
    configure_channels(
        db,
        f"""
[channels.telegram]
type = "telegram"
base_url = "{telegram.url}"
token_env = "TEST_TELEGRAM_TOKEN"
chat_id = "@stadt_kanal"
""",
    )
    assert check_channels(db, instance)["telegram"].state == "ok"
    telegram.bot_is_admin = False
    verdict = check_channels(db, instance)["telegram"]
    assert verdict.state == "failing" and "@stadt_bot" in verdict.reason
    assert telegram.sent() == []


def test_preview_channels_are_not_checked_and_not_shown(db: Database, instance: Settings) -> None:
    configure_channels(db, '[channels.vorschau]\ntype = "mastodon"\npreview = true\n')
    assert check_channels(db, instance) == {}
    with db.session() as session:
        assert readiness(session) == []


def test_a_channel_never_checked_is_amber_not_green(
    db: Database, instance: Settings, seven: FakeSeven
) -> None:
    sms_channel(db, seven)
    with db.session() as session:
        [row] = readiness(session)
    assert (row.state, row.reason, row.colour) == ("warning", "noch nicht geprüft", "amber")


def test_a_revoked_bluesky_app_password_fails_even_with_a_cached_session(
    db: Database, instance: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.fakes.bluesky import FakeBluesky

    bsky = FakeBluesky(password="app-pass-1234").start()
    monkeypatch.setenv("TEST_BSKY_PASSWORD", "app-pass-1234")
    try:
        configure_channels(
            db,
            f'[channels.bluesky]\ntype = "bluesky"\nbase_url = "{bsky.url}"\n'
            'handle = "stadt.bsky.social"\napp_password_env = "TEST_BSKY_PASSWORD"\n',
        )
        assert check_channels(db, instance)["bluesky"].state == "ok"
        bsky.password = "neu-vergeben"  # the app password was revoked in the Bluesky settings
        bsky.revoke_all()
        verdict = check_channels(db, instance)["bluesky"]
        assert verdict.state == "failing" and "Invalid identifier or password" in verdict.reason
        assert bsky.records == {}
    finally:
        bsky.stop()


def test_x_rejecting_the_access_token_fails(
    db: Database, instance: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.fakes.x import FakeX

    fake = FakeX().start()
    for name, value in {"CK": "ck", "CS": "cs", "AT": "at", "ATS": "ats"}.items():
        monkeypatch.setenv(f"TEST_X_{name}", value)
    try:
        configure_channels(
            db,
            f'[channels.x]\ntype = "x"\nbase_url = "{fake.url}"\nusername = "stadt"\n'
            'consumer_key_env = "TEST_X_CK"\nconsumer_secret_env = "TEST_X_CS"\n'
            'access_token_env = "TEST_X_AT"\naccess_token_secret_env = "TEST_X_ATS"\n',
        )
        assert check_channels(db, instance)["x"].state == "ok"
        fake.access_token_secret = "neu"  # the token was regenerated in the developer portal
        assert check_channels(db, instance)["x"].state == "failing"
        assert fake.posts == []
    finally:
        fake.stop()
