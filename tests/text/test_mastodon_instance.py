"""A Mastodon instance's own limits, read from its /api/v2/instance, in every place that counts.

Mastodon states them in ``configuration.statuses`` (``max_characters``,
``characters_reserved_per_url``; docs.joinmastodon.org/entities/Instance/). The readiness
check reads them and stores them with the channel; counting only reads what is stored, so no
request and no transaction ever waits on the instance. The fake instance here says 1000
characters and 30 per link; the editor's counter, the validation that refuses a post and the
adapter must all say the same.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from content_calendar.calendar.post_editing import check_channels
from publisher.channels.base import ChannelConfig, Message
from publisher.channels.mastodon import MastodonChannel, instance_limits, stated_limits
from publisher.db import Database
from publisher.models import Channel
from publisher.outbox import validate_for
from publisher.readiness import check_channels as check_readiness
from publisher.settings import Settings, load_settings
from publisher.text.mastodon import InstanceLimits, count
from tests.conftest import configure_channels
from tests.fakes.mastodon import FakeMastodon

LINK = "https://www.stadt-musterhausen.de/aktuelles/hochwasser"


@pytest.fixture
def fake_instance(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeMastodon]:
    server = FakeMastodon(token="tok", max_characters=1000, characters_reserved_per_url=30)
    server.start()
    monkeypatch.setenv("T_MASTODON", "tok")
    yield server
    server.stop()


def config(server: FakeMastodon, **options: object) -> ChannelConfig:
    return ChannelConfig(
        name="stadt", type="mastodon", base_url=server.url, options={"token_env": "T_MASTODON", **options}
    )


def learned(server: FakeMastodon, **options: object) -> ChannelConfig:
    """The configuration as the adapter gets it after a readiness check stored the limits."""
    plain = config(server, **options)
    stored = stated_limits(plain)
    assert stored is not None
    return ChannelConfig(**{**plain.__dict__, "platform_limits": stored})


def instance_lookups(server: FakeMastodon) -> int:
    return sum(1 for r in server.requests if r.path.rstrip("/") == "/api/v2/instance")


def stored_channel(db: Database, server: FakeMastodon) -> Channel:
    configure_channels(
        db,
        f"""
[channels.stadt]
type = "mastodon"
base_url = "{server.url}"
token_env = "T_MASTODON"
""",
    )
    with db.session() as session:
        channel = session.scalars(select(Channel).where(Channel.name == "stadt")).one()
        session.expunge(channel)
    return channel


def test_the_adapter_takes_both_limits_from_the_instance(fake_instance: FakeMastodon) -> None:
    channel = MastodonChannel(learned(fake_instance))
    assert (channel.limits.max_length, channel.limits.link_length) == (1000, 30)
    assert channel.measure(f"Infos: {LINK}") == 7 + 30


def test_a_post_over_the_instance_limit_is_refused_with_its_numbers(fake_instance: FakeMastodon) -> None:
    channel = MastodonChannel(learned(fake_instance))
    fits = "a" * (1000 - 31) + " " + LINK  # 969 + 1 + 30 = 1000
    assert channel.validate(Message(text=fits)) == []
    (problem,) = channel.validate(Message(text="a" + fits))
    assert problem.text == "Mastodon: 1001 von 1000 Zeichen — Links zählen 30"


def test_counting_never_asks_the_instance(fake_instance: FakeMastodon) -> None:
    for _ in range(3):
        MastodonChannel(config(fake_instance)).validate(Message(text="Hallo"))
    assert instance_lookups(fake_instance) == 0
    assert instance_limits(config(fake_instance)) == InstanceLimits(500, 23)  # nothing learned yet


def test_the_readiness_check_learns_the_limits_and_stores_them_with_the_channel(
    db: Database, instance: Settings, fake_instance: FakeMastodon
) -> None:
    before = stored_channel(db, fake_instance)
    assert before.platform_limits is None
    check_readiness(db, instance)
    after = stored_channel(db, fake_instance)
    assert after.platform_limits == {"max_characters": 1000, "characters_reserved_per_url": 30}
    assert instance_lookups(fake_instance) == 1


def test_an_instance_that_stops_answering_keeps_what_was_learned(
    db: Database, instance: Settings, fake_instance: FakeMastodon
) -> None:
    stored_channel(db, fake_instance)
    check_readiness(db, instance)
    fake_instance.max_characters = "kaputt"  # type: ignore[assignment]
    assert stated_limits(config(fake_instance)) == {"max_characters": 500, "characters_reserved_per_url": 30}
    assert stated_limits(ChannelConfig(name="x", type="mastodon", base_url="http://127.0.0.1:9")) is None


def test_options_in_the_channel_configuration_win_over_the_instance(fake_instance: FakeMastodon) -> None:
    limits = instance_limits(learned(fake_instance, max_characters=600, characters_reserved_per_url=25))
    assert limits == InstanceLimits(600, 25)


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


def test_the_editor_counter_shows_the_numbers_of_the_refusal(
    db: Database, instance: Settings, fake_instance: FakeMastodon
) -> None:
    stored_channel(db, fake_instance)
    check_readiness(db, instance)
    channel = stored_channel(db, fake_instance)
    message = Message(text="ä" * 990 + " " + LINK)  # 990 + 1 + 30 = 1021
    settings = load_settings()
    (shown,) = check_channels([channel], message, settings)
    refused = [p.text for p in validate_for(channel, message, settings)]
    assert (shown.used, shown.limit) == (1021, 1000)
    assert refused == ["Mastodon: 1021 von 1000 Zeichen — Links zählen 30"]
    assert shown.problems == refused


def test_the_link_length_is_a_parameter_of_the_count() -> None:
    assert count(f"Infos: {LINK}", url_length=30) == count(f"Infos: {LINK}") + 7
