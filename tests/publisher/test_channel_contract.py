"""Every registered adapter honours the contract; config keeps secrets out."""

from __future__ import annotations

import importlib

import pytest

from publisher.channel_config import ChannelConfigError, parse_channels
from publisher.channels.base import ChannelAdapter, ChannelConfig, Limits, Message
from publisher.channels.registry import ADAPTERS, UnknownChannelType, adapter_class
from publisher.errors import DeliveryError


def available_types() -> list[str]:
    found = []
    for name, target in ADAPTERS.items():
        module = target.split(":")[0]
        try:
            importlib.import_module(module)
        except ModuleNotFoundError:
            continue
        found.append(name)
    return found


@pytest.mark.parametrize("channel_type", available_types())
def test_adapter_declares_limits_and_validates(channel_type: str) -> None:
    cls = adapter_class(channel_type)
    assert issubclass(cls, ChannelAdapter)
    assert cls.type_name == channel_type
    assert isinstance(cls.limits, Limits)
    adapter = cls(ChannelConfig(name="k", type=channel_type, base_url="http://127.0.0.1:9"))
    problems = adapter.validate(Message(text="Kurzer Test"))
    assert all(p.text for p in problems)
    rendered = adapter.render(Message(text="Kurzer Test"))
    assert isinstance(rendered, dict)


def test_unknown_type_is_refused_with_the_known_ones() -> None:
    with pytest.raises(UnknownChannelType, match="bekannt: .*mastodon"):
        adapter_class("myspace")


def test_too_long_text_names_the_counts() -> None:
    adapter = adapter_class("mastodon")(ChannelConfig(name="m", type="mastodon"))
    problems = adapter.validate(Message(text="a" * 501))
    assert [p.text for p in problems] == ["Mastodon: 501 von 500 Zeichen — Links zählen 23"]


def test_links_count_as_23_on_mastodon() -> None:
    adapter = adapter_class("mastodon")(ChannelConfig(name="m", type="mastodon"))
    text = "a" * 470 + " https://www.example.de/" + "x" * 200
    assert adapter.measure(text) == 470 + 1 + 23
    assert adapter.validate(Message(text=text)) == []


def test_missing_alt_text_is_a_problem() -> None:
    from publisher.channels.base import Media

    adapter = adapter_class("mastodon")(ChannelConfig(name="m", type="mastodon"))
    problems = adapter.validate(Message(text="Bild", media=(Media(path="/x.jpg", alt=" "),)))
    assert "Bild 1: Alternativtext fehlt (Barrierefreiheit)" in [p.text for p in problems]


def test_variant_overrides_base_text_per_channel() -> None:
    message = Message(text="Basis", variants={"mastodon": "Nur Mastodon"})
    assert message.text_for("mastodon") == "Nur Mastodon"
    assert message.text_for("x") == "Basis"


def test_adapters_keep_the_composers_drill_mark_and_add_none_of_their_own() -> None:
    adapter = adapter_class("mastodon")(ChannelConfig(name="m", type="mastodon"))
    text = adapter.render(Message(text="ÜBUNG – Probe", drill=True))["text"]
    assert text == "ÜBUNG – Probe"


def test_secret_comes_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_TOKEN", "abc")
    config = ChannelConfig(name="m", type="mastodon", options={"token_env": "MY_TOKEN"})
    assert config.secret("token") == "abc"


def test_secret_comes_from_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "token"
    path.write_text("from-file\n")
    config = ChannelConfig(name="m", type="mastodon", options={"token_file": str(path)})
    assert config.secret("token") == "from-file"


def test_missing_secret_is_permanent_and_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOPE", raising=False)
    config = ChannelConfig(name="m", type="mastodon", options={"token_env": "NOPE"})
    with pytest.raises(DeliveryError, match="NOPE") as err:
        config.secret("token")
    assert err.value.permanent


def test_config_refuses_plain_text_secrets() -> None:
    with pytest.raises(ChannelConfigError, match="access_token im Klartext ist nicht erlaubt"):
        parse_channels('[channels.m]\ntype = "mastodon"\naccess_token = "abc"\n')


def test_config_reports_every_bad_entry() -> None:
    text = '[channels.a]\ntype = "fax"\n[channels.b]\ntype = "mastodon"\nlanes = ["urgent"]\n'
    with pytest.raises(ChannelConfigError) as err:
        parse_channels(text)
    assert "Kanal a: unbekannter Typ 'fax'" in str(err.value)
    assert "Kanal b: lanes" in str(err.value)


def test_config_preview_keeps_the_imitated_type() -> None:
    (spec,) = parse_channels('[channels.fb]\ntype = "facebook"\npreview = true\n')
    assert spec.type == "preview"
    assert spec.options["imitates"] == "facebook"


def test_broken_toml_is_reported() -> None:
    with pytest.raises(ChannelConfigError, match="kein gültiges TOML"):
        parse_channels("[channels.a\n")


def test_preview_ignores_configuration_problems_but_not_text_problems() -> None:
    preview = adapter_class("preview")(
        ChannelConfig(name="fb", type="preview", options={"imitates": "facebook"})
    )
    assert preview.validate(Message(text="Hallo")) == []  # no page_id: irrelevant for a preview
    real = adapter_class("facebook")(ChannelConfig(name="fb", type="facebook"))
    assert [p.code for p in real.validate(Message(text="Hallo"))] == ["config"]
    x_preview = adapter_class("preview")(ChannelConfig(name="x", type="preview", options={"imitates": "x"}))
    assert "X: 281 von 280 Zeichen" in x_preview.validate(Message(text="a" * 281))[0].text
