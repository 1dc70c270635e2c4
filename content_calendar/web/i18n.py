"""German and English pages: which language a request gets, and dates in that language.

The language of a page, first match wins:

1. the logged-in user's own setting (``users.language``, chosen in the header);
2. ``?lang=de|en`` on any page, remembered in the session for the next pages;
3. for someone not logged in (the public pages): the browser's ``Accept-Language``;
4. German.

Staff without a setting get German even if their browser asks for English: a crisis team
shares screens and instructions, and German is the working language of the city.

Every user-facing string goes through gettext: ``_("…")`` in Python, ``{{ _('…') }}`` in
templates; the German text is the message id. The catalogues live in ``translations/``
(``babel.cfg`` at the top of the repository says what is extracted; README "Languages").
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import flask_babel
from babel import Locale
from babel.dates import format_date, format_skeleton
from flask import Blueprint, Flask, flash, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import Babel, get_locale
from flask_login import current_user

from content_calendar.accounts.models import User, audit
from content_calendar.catalogues import DEFAULT_LANGUAGE, N_, Msg, compile_catalogues

SUPPORTED_LANGUAGES = ("de", "en")
LANGUAGE_NAMES = {"de": "Deutsch", "en": "English"}  # each in its own language, never translated
SESSION_KEY = "lang"

bp = Blueprint("i18n", __name__)


def gettext(message: str, **variables: Any) -> str:
    """``message`` (German) in the page's language, ``%(name)s`` filled in from ``variables``."""
    return str(flask_babel.gettext(message, **variables))


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    """Singular or plural in the page's language; ``%(num)d`` is ``num``."""
    return str(flask_babel.ngettext(singular, plural, num, **variables))


def localize(message: str) -> str:
    """A message from a deeper layer in the page's language.

    A ``Msg`` (domain packages) is translated from its msgid with its parameters; a plain
    string is looked up as a msgid (a static text marked with ``N_``) and otherwise shown as
    it is (a platform's own error text, say).
    """
    if isinstance(message, Msg):  # a value that is itself a Msg (a label) is shown translated too
        params = {k: localize(v) if isinstance(v, Msg) else v for k, v in message.params.items()}
        return gettext(message.msgid, **params)
    return str(flask_babel.gettext(message)) if message else message


_ = gettext
babel = Babel()


def init_app(app: Flask) -> None:
    """Flask-Babel with our locale selection; compiles a missing catalogue (fresh clone)."""
    compile_catalogues()
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", app.config["ERNSTFALL_SETTINGS"].timezone)
    babel.init_app(app, locale_selector=select_language)
    app.register_blueprint(bp)
    app.before_request(_remember_asked_language)
    app.context_processor(_language_context)
    app.add_template_filter(localize, "localize")


def _user_setting() -> str | None:
    """The logged-in user's chosen language, if any (the user row is already loaded)."""
    if not current_user.is_authenticated:
        return None
    from content_calendar.web.helpers import db_session

    user = db_session().get(User, current_user.id)
    language = user.language if user is not None else None
    return language if language in SUPPORTED_LANGUAGES else None


def select_language() -> str:
    """The language of this request (the order is in the module docstring)."""
    chosen = _user_setting()
    if chosen:
        return chosen
    remembered = session.get(SESSION_KEY)
    if remembered in SUPPORTED_LANGUAGES:
        return str(remembered)
    if not current_user.is_authenticated:
        best = request.accept_languages.best_match(SUPPORTED_LANGUAGES)
        if best:
            return best
    return DEFAULT_LANGUAGE


def _remember_asked_language() -> None:
    """``?lang=`` switches the language and keeps it for the following pages."""
    asked = request.args.get("lang")
    if asked is None or request.path.startswith(("/api/", "/static/")):
        return
    if asked in SUPPORTED_LANGUAGES:
        session[SESSION_KEY] = asked
        return
    flash(_unknown_language_message(asked), "error")


def _unknown_language_message(asked: str) -> str:
    offered = ", ".join(f"{LANGUAGE_NAMES[code]} ({code})" for code in SUPPORTED_LANGUAGES)
    return _(
        "Die Sprache „%(asked)s“ gibt es hier nicht. Angeboten: %(offered)s.",
        asked=asked[:20],
        offered=offered,
    )


def current_language() -> str:
    """The language of the page being rendered (``de`` outside a request)."""
    locale = get_locale()
    return locale.language if locale is not None else DEFAULT_LANGUAGE


def _language_context() -> dict[str, object]:
    return {
        "current_language": current_language,
        "language_names": LANGUAGE_NAMES,
        "weekday_short": weekday_short,
        "language_switch_url": language_switch_url,
    }


# -- labels that live next to their enums ----------------------------------------------------
# publisher is a library without gettext, and the domain packages hold German labels next to
# their enums. They are marked here so extraction finds them; pages show them via gettext.
# tests/i18n checks that this list and the tables are the same, so a new label cannot hide.
DOMAIN_LABELS = (
    # publisher.vocabulary.LEVEL_LABELS
    N_("Extreme Gefahr"),
    N_("Gefahr"),
    N_("Gefahreninformation"),
    N_("Entwarnung"),
    # publisher.vocabulary.DELIVERY_STATE_LABELS
    N_("wartet"),
    N_("wird gesendet"),
    N_("gesendet"),
    N_("Vorschau (nicht veröffentlicht)"),
    N_("Fehler – neuer Versuch geplant"),
    N_("fehlgeschlagen"),
    N_("unklar – bitte Konto prüfen"),
    N_("abgebrochen"),
    # publisher.vocabulary.READINESS_LABELS
    N_("bereit"),
    N_("Warnung"),
    N_("gestört"),
    # publisher.vocabulary: the marks a follow-up carries
    N_("Aktualisierung"),
    # content_calendar.crisis.lifecycle.STATE_LABELS
    N_("aktiv"),
    N_("aktualisiert (ersetzt)"),
    N_("entwarnt"),
    N_("still beendet"),
    N_("abgelaufen"),
    # content_calendar.crisis.placeholders.TYPE_LABELS
    N_("Text"),
    N_("Gebiet"),
    N_("Ort"),
    N_("Ortsliste (mit ; trennen)"),
    N_(
        "Uhrzeit / Zeitpunkt, z. B. sofort, 14 Uhr, 14:30 (HH:MM), heute/morgen/übermorgen 9 Uhr, "
        "24.12. 18:30 oder 24.12.2026 18:30"
    ),
    N_("Telefonnummer"),
    N_("Link"),
)


def translated_labels(labels: dict[Any, str]) -> dict[str, str]:
    """A label table (enum value -> German) in the reader's language, e.g. for a page's script."""
    return {str(key): _(label) for key, label in labels.items()}


# -- dates and times in the reader's language --------------------------------------------


def _locale() -> Locale:
    return get_locale() or Locale.parse(DEFAULT_LANGUAGE)


def weekday_short(day: date | datetime) -> str:
    """The short weekday standing alone, in the reader's language: "Mo" in German, "Mon" in English."""
    return str(format_date(day, "ccc", locale=_locale()))


def short_date(day: date) -> str:
    """``07.12.2026`` in German, ``12/7/2026`` in English."""
    return str(format_skeleton("yMMdd", day, locale=_locale()))


def weekday_names() -> list[str]:
    """Monday to Sunday, written out, in the reader's language."""
    names = _locale().days["format"]["wide"]
    return [str(names[index]) for index in range(7)]


def _skeleton(strftime_format: str) -> tuple[str, str]:
    """A strftime format as CLDR skeletons for its date part and time part.

    The templates say what they want to show (day and month, seconds …) in strftime terms;
    Babel decides the order and separators of the reader's language.
    """
    date_part = ("y" if "%Y" in strftime_format else "") + ("MMdd" if "%m" in strftime_format else "")
    time_part = "".join(
        letter for code, letter in (("%H", "H"), ("%M", "m"), ("%S", "s")) if code in strftime_format
    )
    return date_part, time_part


def local_datetime(value: datetime | None, timezone: str, fmt: str = "%d.%m.%Y %H:%M") -> str:
    """``value`` in the city's time zone, written the way the reader's language writes dates."""
    if value is None:
        return "—"
    locale = _locale()
    date_part, time_part = _skeleton(fmt)
    local = value.astimezone(ZoneInfo(timezone))
    parts = [str(format_skeleton(s, local, locale=locale)) for s in (date_part, time_part) if s]
    if len(parts) == 2:
        glue = str(locale.datetime_formats.get("medium", "{1} {0}"))
        return glue.replace("{1}", parts[0]).replace("{0}", parts[1])
    return parts[0] if parts else local.isoformat()


# -- the language switch in the header ------------------------------------------------------


def _back_to(target: str | None) -> str:
    """Only a path on this site; anything else -> the start."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("auth.login")
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else url_for("auth.login")


@bp.post("/sprache")
def choose() -> ResponseReturnValue:
    """Keep the chosen language: on the user for staff, in the session for everyone else."""
    language = request.form.get("language", "")
    back = _back_to(request.form.get("next"))
    if language not in SUPPORTED_LANGUAGES:
        flash(_unknown_language_message(language), "error")
        return redirect(back)
    session[SESSION_KEY] = language
    if current_user.is_authenticated:
        _save_user_language(language)
    return redirect(back)


def _save_user_language(language: str) -> None:
    from content_calendar.web.helpers import db_session

    db = db_session()
    user = db.get(User, current_user.id)
    if user is not None and user.language != language:
        user.language = language
        audit(db, "user.language", user.id, user, language=language)
        db.commit()


def language_switch_url(language: str) -> str:
    """The current page in ``language`` (for pages outside the header, e.g. the SMS page)."""
    args: dict[str, Any] = {**request.args, "lang": language}
    return url_for(request.endpoint or "auth.login", **(request.view_args or {}), **args)
