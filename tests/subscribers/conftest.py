"""Fixtures: a fake seven.io gateway, the SMS and banner channels, the approved library."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from content_calendar.crisis.alerts import AlertResult
from content_calendar.crisis.lifecycle import issue
from publisher.db import Database
from publisher.settings import Settings
from tests.conftest import configure_channels
from tests.crisis.helpers import approved_library
from tests.fakes.sms import FakeSeven

CHANNELS = """
[channels.banner]
type = "banner"
lanes = ["crisis"]

[channels.sms]
type = "sms"
provider = "seven"
base_url = "{seven}"
api_key_env = "TEST_SEVEN_KEY"
lanes = ["crisis"]
"""


@pytest.fixture
def seven(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSeven]:
    fake = FakeSeven(api_key="seven-key")
    fake.start()
    monkeypatch.setenv("TEST_SEVEN_KEY", "seven-key")
    monkeypatch.setenv("ERNSTFALL_SMS_INBOUND_TOKEN", "inbound-secret")
    yield fake
    fake.stop()


@pytest.fixture
def sms_setup(db: Database, instance: Settings, users: dict[str, int], seven: FakeSeven) -> Database:
    configure_channels(db, CHANNELS.format(seven=seven.base))
    approved_library(db, instance)
    return db


def send_alert(app: Flask, user_id: int, template: str, variables: dict[str, str], key: str) -> AlertResult:
    """The crisis staff's alert as the console, the API and the CLI issue it: one
    transaction, committed, then the deliveries are dispatched."""
    return issue(
        app.extensions["ernstfall_db"],
        app.config["ERNSTFALL_SETTINGS"],
        app.extensions["ernstfall_dispatcher"],
        template_key=template,
        variables=variables,
        idempotency_key=key,
        user_id=user_id,
    )
