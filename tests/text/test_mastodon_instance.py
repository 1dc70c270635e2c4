"""A Mastodon instance's own limits, read from its /api/v2/instance, in every place that counts.

Mastodon states them in ``configuration.statuses`` (``max_characters``,
``characters_reserved_per_url``; docs.joinmastodon.org/entities/Instance/). The fake
instance here says 1000 characters and 30 per link; the editor's counter, the
validation that refuses a post and the adapter must all say the same.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from content_calendar.calendar.post_editing import check_channels
from publisher.channels import mastodon as mastodon_module
from publisher.channels.base import ChannelConfig, Message
from publisher.channels.mastodon import MastodonChannel, instance_limits
from publisher.models import Channel
from publisher.outbox import validate_for
from publisher.settings import load_settings
from publisher.text.mastodon import InstanceLimits, count
from tests.fakes.mastodon import FakeMastodon

LINK = "https://www.stadt-musterhausen.de/aktuelles/hochwasser"


@pytest.fixture
def instance(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeMastodon]:
    server = FakeMastodon(token="tok", max_characters=1000, characters_reserved_per_url=30)
    server.start()
    monkeypatch.setenv("T_MASTODON", "tok")
    monkeypatch.setattr(mastodon_module, "_INSTANCE_CACHE", {})
    yield server
    server.stop()


def config(instance: FakeMastodon, **options: object) -> ChannelConfig:
    return ChannelConfig(
        name="stadt", type="mastodon", base_url=instance.url, options={"token_env": "T_MASTODON", **options}
    )


def instance_lookups(instance: FakeMastodon) -> int:
    return sum(1 for r in instance.requests if r.path.rstrip("/") == "/api/v2/instance")


def test_the_adapter_takes_both_limits_from_the_instance(instance: FakeMastodon) -> None:
    channel = MastodonChannel(config(instance))
    assert (channel.limits.max_length, channel.limits.link_length) == (1000, 30)
    assert channel.measure(f"Infos: {LINK}") == 7 + 30


def test_a_post_over_the_instance_limit_is_refused_with_its_numbers(instance: FakeMastodon) -> None:
    channel = MastodonChannel(config(instance))
    fits = "a" * (1000 - 31) + " " + LINK  # 969 + 1 + 30 = 1000
    assert channel.validate(Message(text=fits)) == []
    (problem,) = channel.validate(Message(text="a" + fits))
    assert problem.text == "Mastodon: 1001 von 1000 Zeichen — Links zählen 30"


def test_the_instance_is_asked_once_and_then_cached(instance: FakeMastodon) -> None:
    for _ in range(3):
        MastodonChannel(config(instance))
    assert instance_lookups(instance) == 1


def test_options_in_the_channel_configuration_win_over_the_instance(instance: FakeMastodon) -> None:
    limits = instance_limits(config(instance, max_characters=600, characters_reserved_per_url=25))
    assert limits == InstanceLimits(600, 25)
    assert instance_lookups(instance) == 0  # a configured limit means: do not ask


def test_an_unreachable_instance_means_mastodons_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mastodon_module, "_INSTANCE_CACHE", {})
    limits = instance_limits(ChannelConfig(name="x", type="mastodon", base_url="http://127.0.0.1:9"))
    assert limits == InstanceLimits(500, 23)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"configuration": {"statuses": {"max_characters": 5000}}}, InstanceLimits(5000, 23)),
        ({"configuration": {"statuses": {"characters_reserved_per_url": 30}}}, InstanceLimits(500, 30)),
        ({"configuration": {"statuses": {"max_characters": "viel"}}}, InstanceLimits(500, 23)),
        ({"configuration": {"statuses": {"max_characters": 0}}}, InstanceLimits(500, 23)),
        ({"configuration": {"statuses": {"max_characters": True}}}, InstanceLimits(500, 23)),
        ({"uri": "alt.example"}, InstanceLimits(500, 23)),
        (["kein", "objekt"], InstanceLimits(500, 23)),
    ],
    ids=["glitch-soc 5000", "own link length", "text", "zero", "boolean", "no configuration", "a list"],
)
def test_what_an_instance_states_is_read_and_nonsense_keeps_the_default(
    body: object, expected: InstanceLimits
) -> None:
    assert InstanceLimits.from_instance(body) == expected


def test_the_editor_counter_shows_the_numbers_of_the_refusal(instance: FakeMastodon) -> None:
    channel = Channel(
        name="stadt", type="mastodon", base_url=instance.url, options={"token_env": "T_MASTODON"}
    )
    message = Message(text="ä" * 990 + " " + LINK)  # 990 + 1 + 30 = 1021
    settings = load_settings()
    (shown,) = check_channels([channel], message, settings)
    refused = [p.text for p in validate_for(channel, message, settings)]
    assert (shown.used, shown.limit) == (1021, 1000)
    assert refused == ["Mastodon: 1021 von 1000 Zeichen — Links zählen 30"]
    assert shown.problems == refused


def test_the_link_length_is_a_parameter_of_the_count() -> None:
    assert count(f"Infos: {LINK}", url_length=30) == count(f"Infos: {LINK}") + 7
