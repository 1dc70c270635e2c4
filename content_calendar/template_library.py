"""Alert templates shipped with Ernstfall (German municipal practice)."""

from __future__ import annotations

from typing import Any

ALL_SOCIAL = ["mastodon", "facebook", "instagram", "x", "bluesky", "telegram"]

TEMPLATES: list[dict[str, Any]] = [
    {
        "key": "unwetter",
        "name": "Unwetterwarnung",
        "event": "Unwetter",
        "level": "severe",
        "cap": {
            "category": "Met",
            "urgency": "Expected",
            "severity": "Severe",
            "certainty": "Likely",
            "responseType": "Prepare",
        },
        "channel_names": ALL_SOCIAL,
        "placeholders": {
            "gebiet": {"type": "area", "label": "Gebiet"},
            "von": {"type": "time", "label": "Beginn"},
            "bis": {"type": "time", "label": "Ende"},
        },
        "texts": {
            "de": {
                "headline": "Unwetterwarnung für {gebiet}",
                "text": "Unwetterwarnung für {gebiet} von {von} bis {bis} Uhr. Bleiben Sie "
                "in Gebäuden, meiden Sie Bäume und sichern Sie lose Gegenstände.",
            },
            "en": {
                "headline": "Severe weather warning for {gebiet}",
                "text": "Severe weather warning for {gebiet} from {von} to {bis}. Stay "
                "indoors, keep away from trees and secure loose objects.",
            },
            "de-x-ls": {
                "headline": "Sturm in {gebiet}",
                "text": "Es kommt ein starker Sturm. Von {von} bis {bis} Uhr. "
                "Bleiben Sie im Haus. Gehen Sie nicht unter Bäume.",
            },
        },
    },
    {
        "key": "stromausfall",
        "name": "Stromausfall mit Anlaufstellen",
        "event": "Stromausfall",
        "level": "severe",
        "cap": {
            "category": "Infra",
            "urgency": "Immediate",
            "severity": "Severe",
            "certainty": "Observed",
            "responseType": "Shelter",
        },
        "channel_names": ALL_SOCIAL,
        "placeholders": {
            "gebiet": {"type": "area", "label": "Gebiet"},
            "leuchttuerme": {"type": "place_list", "label": "Anlaufstellen (Leuchttürme)"},
            "telefon": {"type": "phone", "label": "Bürgertelefon"},
        },
        "texts": {
            "de": {
                "headline": "Stromausfall in {gebiet}",
                "text": "Stromausfall in {gebiet}. Notfall-Anlaufstellen (Leuchttürme): "
                "{leuchttuerme}. Bürgertelefon: {telefon}.",
            },
            "en": {
                "headline": "Power cut in {gebiet}",
                "text": "Power cut in {gebiet}. Emergency meeting points: {leuchttuerme}. "
                "Hotline: {telefon}.",
            },
            "de-x-ls": {
                "headline": "Kein Strom in {gebiet}",
                "text": "In {gebiet} gibt es keinen Strom. Hilfe bekommen Sie hier: "
                "{leuchttuerme}. Telefon: {telefon}.",
            },
        },
    },
    {
        "key": "entwarnung",
        "name": "Entwarnung",
        "event": "Entwarnung",
        "level": "allclear",
        "cap": {
            "category": "Safety",
            "urgency": "Past",
            "severity": "Minor",
            "certainty": "Observed",
            "responseType": "AllClear",
        },
        "channel_names": ALL_SOCIAL,
        "placeholders": {"gebiet": {"type": "area", "label": "Gebiet"}},
        "texts": {
            "de": {
                "headline": "Entwarnung für {gebiet}",
                "text": "Entwarnung für {gebiet}: Die Gefahr ist vorüber.",
            },
            "en": {
                "headline": "All clear for {gebiet}",
                "text": "All clear for {gebiet}: the danger is over.",
            },
            "de-x-ls": {
                "headline": "Keine Gefahr mehr in {gebiet}",
                "text": "In {gebiet} ist die Gefahr vorbei.",
            },
        },
    },
]
