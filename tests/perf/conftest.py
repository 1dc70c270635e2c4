"""Fixtures for the performance behaviour tests (not timed): fake Graph and Bluesky on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from publisher.channels import bluesky as bluesky_module
from publisher.channels import instagram as instagram_module
from tests.fakes.bluesky import FakeBluesky
from tests.fakes.graph import FakeGraph

GRAPH_TOKEN = "graph-token"
BSKY_PASSWORD = "app-pass-1234"


@pytest.fixture
def graph(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGraph]:
    fake = FakeGraph(token=GRAPH_TOKEN)
    fake.start()
    monkeypatch.setenv("TEST_GRAPH_TOKEN", GRAPH_TOKEN)
    monkeypatch.setattr(instagram_module, "_memory_containers", {})
    yield fake
    fake.stop()


@pytest.fixture
def bsky(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeBluesky]:
    fake = FakeBluesky(password=BSKY_PASSWORD)
    fake.start()
    monkeypatch.setenv("TEST_BSKY_PASSWORD", BSKY_PASSWORD)
    monkeypatch.setattr(bluesky_module, "_memory_cache", {})
    yield fake
    fake.stop()


def social_channels(graph: FakeGraph, bsky: FakeBluesky) -> str:
    return f"""
[channels.instagram]
type = "instagram"
base_url = "{graph.url}"
ig_user_id = "{graph.ig_user_id}"
access_token_env = "TEST_GRAPH_TOKEN"

[channels.bluesky]
type = "bluesky"
base_url = "{bsky.url}"
handle = "stadt.bsky.social"
app_password_env = "TEST_BSKY_PASSWORD"
"""
