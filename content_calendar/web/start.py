"""Where each role starts, and the small German formatters every page uses.

The person on duty lands where their work is, not on a general overview: crisis staff on
the console, the fallback operator on the active alerts with the blackout pack, editors on
the week. The roles and their permissions live in content_calendar.accounts.policy; a test
checks that every start page is one the role may open.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import Blueprint, current_app, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from content_calendar.accounts.policy import ADMIN
from content_calendar.web.i18n import gettext, weekday_short
from publisher.vocabulary import AlertLevel

bp = Blueprint("start", __name__)

# Most urgent work first: a person with several roles lands where a crisis needs them.
# Admins hold every permission and start on the overview.
START_PAGES: tuple[tuple[str, str], ...] = (
    ("crisis", "crisis.index"),  # the console: one click on a prepared template
    ("fallback", "fallback.index"),  # active alerts, failed channels, the blackout pack
    ("editor", "calendar_views.week"),  # this week's posts
    ("approver", "calendar_views.review_queue"),  # what waits for a second pair of eyes
    ("contributor", "contributions.index"),  # ideas for posts
)
OVERVIEW = "dashboard.index"


def start_endpoint(roles: Iterable[str]) -> str:
    """The endpoint a user with ``roles`` lands on after logging in."""
    held = set(roles)
    if ADMIN in held:
        return OVERVIEW
    return next((endpoint for role, endpoint in START_PAGES if role in held), OVERVIEW)


def start_page() -> str:
    """The logged-in user's start page as a path."""
    return url_for(start_endpoint(current_user.roles))


@bp.route("/start")
def start() -> ResponseReturnValue:
    """The role's start page; the brand link in the header leads here."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()  # type: ignore[attr-defined,no-any-return]
    return redirect(start_page())


def level_label(level: str | None) -> str:
    """The label of an alert level in the reader's language (``severe`` -> "Gefahr"/"Danger");
    an unknown value as it is."""
    try:
        return gettext(AlertLevel(level or "").label)
    except ValueError:
        return level or "—"


def channel_label(channel_type: str | None) -> str:
    """The platform's own name for a channel type ("instagram" -> "Instagram")."""
    from publisher.channels.registry import UnknownChannelType, adapter_class

    try:
        return adapter_class(channel_type or "").label
    except (UnknownChannelType, ImportError):
        return channel_type or "—"


def media_src(url: str | None) -> str | None:
    """An image of our own media folder as a path on this site (the page's CSP allows only 'self')."""
    if not url or "/media/" not in url:
        return None
    name = url.rsplit("/media/", 1)[1]
    return url_for("post_editor.media", name=name) if name and "/" not in name else None


def rendered_text(rendered: dict[str, object] | None) -> str:
    """The public text inside a channel's rendering (Instagram calls it caption, Apprise body)."""
    rendered = rendered or {}
    for key in ("text", "caption", "body"):
        value = rendered.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def legal_links() -> list[tuple[str, str]]:
    """Impressum and Datenschutz of the city, as configured; public pages link them."""
    from content_calendar.web.helpers import settings

    config = settings()
    links = [(gettext("Impressum"), config.impressum_url), (gettext("Datenschutz"), config.privacy_url)]
    return [(label, url) for label, url in links if url]


@bp.app_context_processor
def _formatters() -> dict[str, object]:
    return {
        "weekday_short": weekday_short,
        "level_label": level_label,
        "channel_label": channel_label,
        "media_src": media_src,
        "rendered_text": rendered_text,
        "legal_links": legal_links,
    }
