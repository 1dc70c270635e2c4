from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from publisher.db import Database
from tests.conftest import configure_channels, login
from tests.fakes.mastodon import FakeMastodon


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeMastodon]:
    server = FakeMastodon(token="richtig").start()
    yield server
    server.stop()


def test_channel_page_shows_references_never_secrets(
    client: FlaskClient, db: Database, fake: FakeMastodon, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADMIN_TEST_TOKEN", "richtig")
    configure_channels(
        db,
        f'[channels.mastodon]\ntype = "mastodon"\nbase_url = "{fake.url}"\ntoken_env = "ADMIN_TEST_TOKEN"\n',
    )
    login(client, "admin")
    page = client.get("/kanaele/").get_data(as_text=True)
    assert "token_env = ADMIN_TEST_TOKEN" in page
    assert "richtig" not in page


def test_check_button_reports_the_verdict_without_posting(
    client: FlaskClient, db: Database, fake: FakeMastodon, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADMIN_TEST_TOKEN", "falsch")
    configure_channels(
        db,
        f'[channels.mastodon]\ntype = "mastodon"\nbase_url = "{fake.url}"\ntoken_env = "ADMIN_TEST_TOKEN"\n',
    )
    login(client, "admin")
    page = client.post("/kanaele/1/pruefen", follow_redirects=True).get_data(as_text=True)
    assert "mastodon: FEHLER" in page and "Token prüfen" in page
    monkeypatch.setenv("ADMIN_TEST_TOKEN", "richtig")
    page = client.post("/kanaele/1/pruefen", follow_redirects=True).get_data(as_text=True)
    assert "mastodon: in Ordnung" in page and "@stadt" in page
    assert fake.posted() == []


def test_editors_cannot_open_channel_settings(client: FlaskClient) -> None:
    login(client, "redaktion")
    assert client.get("/kanaele/").status_code == 403
