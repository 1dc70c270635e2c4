"""Alert templates shipped with Ernstfall (German municipal practice).

The templates themselves are data, in ``template_library.toml`` beside this module (read
it: one ``[[template]]`` per alert). Every template has German, English and Leichte
Sprache (``de-x-ls``) texts; some add Turkish, Arabic or Ukrainian. ``channel:sms`` is a
short variant for SMS (at most two GSM-7 segments). Placeholders are typed and limited in
length so that the approval check can test the longest allowed input against every
channel, with the drill and update marks the composer adds ("ÜBUNG – Aktualisierung – ").

They are loaded as version 1 *without* approval: a second person approves each one
on the template admin page ("Mitgelieferte Vorlagen anlegen", then "freigeben").
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

LIBRARY_FILE = Path(__file__).with_name("template_library.toml")

# Matched against a channel's name or type (see alerts.alert_channels); "all" in the file.
ALL_CHANNELS = [
    "mastodon",
    "facebook",
    "instagram",
    "x",
    "bluesky",
    "telegram",
    "email",
    "webhook",
    "apprise",
]

REQUIRED_LANGUAGES = ("de", "en", "de-x-ls")


def load_shipped(path: Path = LIBRARY_FILE) -> list[dict[str, Any]]:
    """The shipped templates as dictionaries (``channel_names = "all"`` spelled out)."""
    with path.open("rb") as source:
        templates: list[dict[str, Any]] = tomllib.load(source)["template"]
    for template in templates:
        if template["channel_names"] == "all":
            template["channel_names"] = list(ALL_CHANNELS)
    return templates


TEMPLATES: list[dict[str, Any]] = load_shipped()
