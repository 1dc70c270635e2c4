"""Fixtures: fake Mastodon and seven.io on loopback, channels, the approved library."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from publisher.db import Database
from publisher.settings import Settings
from tests.conftest import configure_channels
from tests.crisis.helpers import approved_library
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.sms import FakeSeven


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
