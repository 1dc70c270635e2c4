"""Who an SMS delivery goes to, as a *definition* the worker resolves while it sends.

An alert to 100,000 subscribers must not load, normalise or store 100,000 numbers
inside the alert request. The delivery carries an :class:`Audience` (languages and
areas) and a count taken with one ``count(*)``; the worker reads the numbers page by
page (keyset on the subscriber id, each page in its own short read) while the
batches go out.

``publisher`` is a library and imports nothing from ``content_calendar``: the
application registers the one :class:`AudienceSource` that knows its subscriber
table (``content_calendar.subscribers.audience``). A delivery that names an
audience in a process where no source was registered fails loudly instead of
reaching nobody.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from publisher.db import Database
from publisher.errors import DeliveryError

EXTRAS_KEY = "audience"  # Message.extras["audience"]: the definition
COUNT_KEY = "audience_count"  # Message.extras["audience_count"]: subscribers when it was made


@dataclass(frozen=True)
class Audience:
    """Active subscribers filtered by language and area; empty filters mean "everyone"."""

    languages: tuple[str, ...] = ()  # only these languages
    except_languages: tuple[str, ...] = ()  # not these (they get their own delivery)
    areas: tuple[str, ...] = ()  # stored area values, exactly as stored

    def to_dict(self) -> dict[str, list[str]]:
        return {
            "languages": list(self.languages),
            "except_languages": list(self.except_languages),
            "areas": list(self.areas),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Audience:
        def strings(name: str) -> tuple[str, ...]:
            return tuple(str(v) for v in data.get(name) or ())

        return cls(strings("languages"), strings("except_languages"), strings("areas"))


class AudienceSource(Protocol):
    """Reads an audience's numbers (E.164, as stored at sign-up) from the application's data."""

    def count(self, db: Database, audience: Audience) -> int:
        """How many subscribers the audience has now (one ``count(*)``)."""

    def page(self, db: Database, audience: Audience, after: int, limit: int) -> Sequence[tuple[int, str]]:
        """Up to ``limit`` (id, number) pairs with id > ``after``, ordered by id, in one short read."""


_source: AudienceSource | None = None


def register(source: AudienceSource) -> None:
    global _source
    _source = source


def registered() -> AudienceSource:
    if _source is None:
        raise DeliveryError(
            "SMS: Abonnentenliste in diesem Prozess nicht verfügbar "
            "(content_calendar.subscribers.audience nicht geladen) — niemand wurde benachrichtigt",
            permanent=True,
        )
    return _source


def audience_of(extras: Mapping[str, Any]) -> Audience | None:
    data = extras.get(EXTRAS_KEY)
    return Audience.from_dict(data) if isinstance(data, Mapping) else None
