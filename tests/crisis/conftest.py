"""Fixtures: fake Mastodon and seven.io on loopback, channels, the approved library; and
``every_channel``: every channel type configured at once, each against its real fake."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

import pytest

from content_calendar.subscribers.models import SmsSubscriber, SubscriberStatus
from publisher.channels import bluesky as bluesky_module
from publisher.channels import instagram as instagram_module
from publisher.db import Database, utcnow
from publisher.settings import Settings, load_settings
from tests.conftest import configure_channels
from tests.crisis.helpers import approved_library
from tests.fakes.bluesky import FakeBluesky
from tests.fakes.graph import FakeGraph
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.sms import FakeSeven
from tests.fakes.smtp import FakeSmtp, self_signed_cert
from tests.fakes.telegram import FakeTelegram
from tests.fakes.webhook_receiver import FakeReceiver
from tests.fakes.x import FakeX


@pytest.fixture
def mastodon(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeMastodon]:
    fake = FakeMastodon(token="mast-token").start()
    monkeypatch.setenv("TEST_MASTODON_TOKEN", "mast-token")
    yield fake
    fake.stop()


@pytest.fixture
def seven(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSeven]:
    fake = FakeSeven(api_key="seven-key").start()
    monkeypatch.setenv("TEST_SEVEN_KEY", "seven-key")
    yield fake
    fake.stop()


CHANNELS = """
[channels.banner]
type = "banner"
lanes = ["crisis"]
drill = true

[channels.mastodon]
type = "mastodon"
base_url = "{mastodon}"
token_env = "TEST_MASTODON_TOKEN"

[channels.x]
type = "x"
preview = true
drill = true

[channels.sms]
type = "sms"
provider = "seven"
base_url = "{seven}"
api_key_env = "TEST_SEVEN_KEY"
lanes = ["crisis"]
drill = true
"""


@pytest.fixture
def crisis_setup(
    db: Database, instance: Settings, users: dict[str, int], mastodon: FakeMastodon, seven: FakeSeven
) -> Database:
    configure_channels(db, CHANNELS.format(mastodon=mastodon.url, seven=seven.base))
    approved_library(db, instance)
    return db


# -- every channel type at once ---------------------------------------------------------

EVERY_SECRETS = {
    "TEST_X_CONSUMER_KEY": "ck-stadt",
    "TEST_X_CONSUMER_SECRET": "cs-geheim",
    "TEST_X_ACCESS_TOKEN": "at-stadt",
    "TEST_X_ACCESS_TOKEN_SECRET": "ats-geheim",
    "TEST_GRAPH_TOKEN": "graph-page-token",
    "TEST_BSKY_PASSWORD": "app-pass-1234",
    "TEST_TELEGRAM_TOKEN": "123456:telegram-token",
    "TEST_HOOK_SECRET": "hook-secret",
    "TEST_SMTP_PASSWORD": "smtp-geheim",
}
PRESS = ["redaktion@zeitung.example", "dpa@agentur.example"]
# Drill channels: our own outputs, Telegram, the city app, SMS and the preview; the big
# social platforms and the press list never see a drill.
EVERY_CHANNEL = """
[channels.mastodon]
type = "mastodon"
base_url = "{mastodon}"
token_env = "TEST_MASTODON_TOKEN"

[channels.x]
type = "x"
base_url = "{x}"
username = "stadt"
consumer_key_env = "TEST_X_CONSUMER_KEY"
consumer_secret_env = "TEST_X_CONSUMER_SECRET"
access_token_env = "TEST_X_ACCESS_TOKEN"
access_token_secret_env = "TEST_X_ACCESS_TOKEN_SECRET"

[channels.facebook]
type = "facebook"
base_url = "{graph}"
page_id = "{page_id}"
page_token_env = "TEST_GRAPH_TOKEN"

[channels.instagram]
type = "instagram"
base_url = "{graph}"
ig_user_id = "{ig_user_id}"
access_token_env = "TEST_GRAPH_TOKEN"

[channels.bluesky]
type = "bluesky"
base_url = "{bluesky}"
handle = "stadt.bsky.social"
app_password_env = "TEST_BSKY_PASSWORD"

[channels.telegram]
type = "telegram"
base_url = "{telegram}"
token_env = "TEST_TELEGRAM_TOKEN"
chat_id = "@stadt_kanal"
drill = true

[channels.stadt-app]
type = "webhook"
base_url = "{webhook}/hook"
secret_env = "TEST_HOOK_SECRET"
drill = true

[channels.presse]
type = "email"
host = "127.0.0.1"
port = {smtp_port}
tls_ca_file = "{smtp_ca}"
username = "presse@stadt.example"
password_env = "TEST_SMTP_PASSWORD"
from = "presse@stadt.example"
lists = {{ presse = {press} }}

[channels.sms]
type = "sms"
provider = "seven"
base_url = "{seven}"
api_key_env = "TEST_SEVEN_KEY"
lanes = ["crisis"]
drill = true

[channels.banner]
type = "banner"
lanes = ["crisis"]
drill = true

[channels.feed]
type = "atom"
lanes = ["crisis"]
drill = true

[channels.cap]
type = "cap"
lanes = ["crisis"]
drill = true
sender_name = "Stadt Musterstadt"
area_desc = "Stadtgebiet Musterstadt"
ars = "053150000000"

[channels.vorschau]
type = "preview"
lanes = ["crisis"]
drill = true
every_alert = true
"""
EVERY_SUBSCRIBER = "+4915123456789"


class _Startable(Protocol):
    def start(self) -> object: ...

    def stop(self) -> None: ...


_Fake = TypeVar("_Fake", bound=_Startable)


@dataclass
class EveryChannel:
    """The database with every channel type configured, and the fake behind each one."""

    db: Database
    mastodon: FakeMastodon
    x: FakeX
    graph: FakeGraph  # Facebook and Instagram
    bluesky: FakeBluesky
    telegram: FakeTelegram
    webhook: FakeReceiver
    smtp: FakeSmtp
    seven: FakeSeven


def _started(stack: ExitStack, fake: _Fake) -> _Fake:
    fake.start()
    stack.callback(fake.stop)
    return fake


@pytest.fixture
def every_channel(
    db: Database,
    instance: Settings,
    users: dict[str, int],
    mastodon: FakeMastodon,
    seven: FakeSeven,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[EveryChannel]:
    """Every channel type at once (13 channels), one SMS subscriber, the approved library.

    Request it before ``client``: it sets the public https address Instagram's alert tile needs,
    which the app reads when it is created.
    """
    for name, value in EVERY_SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("ERNSTFALL_PUBLIC_URL", "https://warnung.musterstadt.example")
    monkeypatch.setattr(bluesky_module, "_memory_cache", {})
    monkeypatch.setattr(instagram_module, "_memory_containers", {})
    cert_folder = tmp_path / "smtp-cert"
    cert_folder.mkdir()
    cert = self_signed_cert(cert_folder)
    with ExitStack() as stack:
        every = EveryChannel(
            db=db,
            mastodon=mastodon,
            x=_started(stack, FakeX(*list(EVERY_SECRETS.values())[:4])),
            graph=_started(stack, FakeGraph(token=EVERY_SECRETS["TEST_GRAPH_TOKEN"])),
            bluesky=_started(stack, FakeBluesky(password=EVERY_SECRETS["TEST_BSKY_PASSWORD"])),
            telegram=_started(stack, FakeTelegram(token=EVERY_SECRETS["TEST_TELEGRAM_TOKEN"])),
            webhook=_started(stack, FakeReceiver(secret=EVERY_SECRETS["TEST_HOOK_SECRET"])),
            smtp=_started(stack, FakeSmtp("presse@stadt.example", EVERY_SECRETS["TEST_SMTP_PASSWORD"], cert)),
            seven=seven,
        )
        configure_channels(db, _every_channel_toml(every, cert[0]))
        approved_library(db, load_settings())  # with the public address set above
        with db.session() as session:
            session.add(
                SmsSubscriber(
                    phone=EVERY_SUBSCRIBER,
                    language="de",
                    area="",
                    status=SubscriberStatus.ACTIVE,
                    consent_at=utcnow(),
                )
            )
        yield every


def _every_channel_toml(every: EveryChannel, smtp_ca: Path) -> str:
    return EVERY_CHANNEL.format(
        mastodon=every.mastodon.url,
        x=every.x.url,
        graph=every.graph.url,
        page_id=every.graph.page_id,
        ig_user_id=every.graph.ig_user_id,
        bluesky=every.bluesky.url,
        telegram=every.telegram.url,
        webhook=every.webhook.url,
        smtp_port=every.smtp.port,
        smtp_ca=smtp_ca,
        press=json.dumps(PRESS),
        seven=every.seven.base,
    )
