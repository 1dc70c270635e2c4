"""Channels are configured in a TOML file; credentials only by reference.

Example::

    [channels.mastodon]
    type = "mastodon"
    base_url = "https://social.example.de"
    lanes = ["crisis", "community"]
    token_env = "ERNSTFALL_MASTODON_TOKEN"   # or token_file = "/run/secrets/mastodon"

    [channels.facebook]
    type = "facebook"
    preview = true          # records what would be posted, sends nothing
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from publisher.channels.registry import ADAPTERS
from publisher.models import Channel
from publisher.vocabulary import Lane

RESERVED = {"type", "base_url", "lanes", "enabled", "drill", "preview"}
# Keys that would hold a secret in plain text: refused, with the way to do it right.
SECRET_WORDS = ("token", "password", "secret", "api_key", "apikey", "access_key", "auth")


class ChannelConfigError(ValueError):
    pass


@dataclass
class ChannelSpec:
    name: str
    type: str
    base_url: str | None = None
    lanes: list[str] = field(default_factory=lambda: [lane.value for lane in Lane])
    enabled: bool = True
    drill: bool = False
    options: dict[str, Any] = field(default_factory=dict)


def _is_plain_secret(key: str) -> bool:
    lowered = key.lower()
    if lowered.endswith("_env") or lowered.endswith("_file"):
        return False
    return any(word in lowered for word in SECRET_WORDS)


def parse_channels(text: str, source: str = "channels.toml") -> list[ChannelSpec]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ChannelConfigError(f"{source}: kein gültiges TOML: {exc}") from exc
    table = data.get("channels", {})
    if not isinstance(table, dict):
        raise ChannelConfigError(f"{source}: [channels] muss eine Tabelle sein")
    specs: list[ChannelSpec] = []
    errors: list[str] = []
    for name, entry in table.items():
        if not isinstance(entry, dict):
            errors.append(f"Kanal {name}: Eintrag muss eine Tabelle sein")
            continue
        declared = str(entry.get("type", ""))
        if declared not in ADAPTERS:
            errors.append(
                f"Kanal {name}: unbekannter Typ {declared!r} (bekannt: {', '.join(sorted(ADAPTERS))})"
            )
            continue
        lanes = entry.get("lanes", [lane.value for lane in Lane])
        bad_lanes = [lane for lane in lanes if lane not in tuple(Lane)]
        if not isinstance(lanes, list) or bad_lanes or not lanes:
            errors.append(f"Kanal {name}: lanes muss eine Auswahl aus {[lane.value for lane in Lane]} sein")
            continue
        options = {k: v for k, v in entry.items() if k not in RESERVED}
        plain = [k for k in options if _is_plain_secret(k)]
        if plain:
            errors.append(
                f"Kanal {name}: {', '.join(plain)} im Klartext ist nicht erlaubt — "
                f"nutzen Sie {plain[0]}_env (Umgebungsvariable) oder {plain[0]}_file (Datei)"
            )
            continue
        channel_type = declared
        if entry.get("preview"):
            options["imitates"] = declared
            channel_type = "preview"
        specs.append(
            ChannelSpec(
                name=name,
                type=channel_type,
                base_url=entry.get("base_url"),
                lanes=lanes,
                enabled=bool(entry.get("enabled", True)),
                drill=bool(entry.get("drill", False)),
                options=options,
            )
        )
    if errors:
        raise ChannelConfigError("; ".join(errors))
    return specs


def load_channels_file(path: Path) -> list[ChannelSpec]:
    if not path.exists():
        raise ChannelConfigError(f"Kanaldatei {path} fehlt")
    return parse_channels(path.read_text(encoding="utf-8"), str(path))


def sync_channels(session: Session, specs: list[ChannelSpec]) -> list[Channel]:
    """Create or update channels from the file; channels no longer listed are disabled."""
    existing = {c.name: c for c in session.scalars(select(Channel))}
    result = []
    for spec in specs:
        channel = existing.pop(spec.name, None) or Channel(name=spec.name)
        channel.type = spec.type
        channel.base_url = spec.base_url
        channel.lanes = ",".join(spec.lanes)
        channel.enabled = spec.enabled
        channel.drill = spec.drill
        channel.options = spec.options
        session.add(channel)
        result.append(channel)
    for leftover in existing.values():
        leftover.enabled = False
    session.flush()
    return result
