"""Input limits for posts, shared by the editor form, the CSV import and the API.

One number per field, taken from the database column where there is one, so a value that
would not fit is refused with a message instead of being cut off (or, on PostgreSQL,
failing inside the database). The messages are German: they are shown to people.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from content_calendar.catalogues import Msg

TITLE_MAX = 200  # posts.title is String(200)
TEXT_MAX = 10_000  # far above every platform limit; guards storage and rendering
THEME_MAX = 100  # posts.theme is String(100)
DEPARTMENT_MAX = 200  # contributions.department is String(200)
LINK_MAX = 1_000  # posts.link is String(1000)
CHANNELS_MAX = 50  # more names than any installation has channels
IDEMPOTENCY_KEY_MAX = 200  # alerts.idempotency_key is String(200)
VARIABLES_MAX = 50  # placeholders of one alert template
JSON_DEPTH_MAX = 16  # our request bodies nest two levels; anything deeper is an attack or a bug

LINK_SCHEMES = ("http", "https")
LINK_MESSAGE = Msg("Link muss mit http:// oder https:// beginnen")


def too_long(label: str, value: str, maximum: int) -> str | None:
    """The German message for a text over its limit, or None when it fits."""
    if len(value) <= maximum:
        return None
    return Msg("%(label)s: %(n)d von höchstens %(max)d Zeichen", label=label, n=len(value), max=maximum)


def link_problem(link: str) -> str | None:
    """Why a link may not be published (German), or None.

    Only web links: a ``javascript:`` or ``data:`` link in a post would run or show
    arbitrary content for everyone who follows it.
    """
    if any(c.isspace() for c in link):
        return Msg("Link darf keine Leerzeichen enthalten")
    parts = urlsplit(link)
    if parts.scheme.lower() not in LINK_SCHEMES:
        return LINK_MESSAGE
    if not parts.netloc:
        return Msg("Link ohne Adresse: nach http:// oder https:// fehlt der Server")
    return too_long(Msg("Link"), link, LINK_MAX)
