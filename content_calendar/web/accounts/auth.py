"""Login and logout."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from content_calendar.accounts.auth import LoginRefused, authenticate, end_sessions
from content_calendar.accounts.models import User, audit
from content_calendar.web.helpers import LoginUser, db_session
from content_calendar.web.i18n import SESSION_KEY as LANGUAGE_KEY
from content_calendar.web.i18n import current_language, gettext, ngettext
from content_calendar.web.start import start_page

bp = Blueprint("auth", __name__, template_folder="templates")


def safe_next(target: str | None) -> str:
    """Where to go after the login: only a path on this site, anything else -> the overview.

    Browsers drop tabs and line breaks inside URLs and read ``\\`` as ``/``, so
    ``/\\t/evil.example`` would become ``//evil.example`` (another host); a line break
    would also break the Location header. Such targets are refused outright.
    """
    fallback = url_for("dashboard.index")
    if not target or not target.startswith("/") or target.startswith("//"):
        return fallback
    if "\\" in target or any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return fallback
    return target


def refusal_text(exc: LoginRefused) -> str:
    """Why the login failed, in the page's language."""
    if exc.lock is None:
        return gettext(exc.message)  # WRONG_CREDENTIALS, marked in content_calendar/accounts/auth.py
    minutes = max(1, -(-exc.lock.retry_after_seconds // 60))
    return ngettext(
        "Zu viele fehlgeschlagene Anmeldungen. Die Anmeldung ist vorübergehend gesperrt — "
        "bitte in %(num)d Minute erneut versuchen.",
        "Zu viele fehlgeschlagene Anmeldungen. Die Anmeldung ist vorübergehend gesperrt — "
        "bitte in %(num)d Minuten erneut versuchen.",
        minutes,
    )


def _client_address() -> str:
    return request.remote_addr or "unbekannt"


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        db = db_session()
        try:
            user = authenticate(db, username, password, _client_address())
        except LoginRefused as exc:
            db.commit()  # the failure and its audit entry are kept
            flash(refusal_text(exc), "error")
            if exc.lock is not None:
                headers = {"Retry-After": str(exc.lock.retry_after_seconds)}
                return render_template("login.html"), 429, headers
            return render_template("login.html")
        db.commit()
        language = session.get(LANGUAGE_KEY)
        session.clear()
        if language:
            session[LANGUAGE_KEY] = language  # the language chosen before logging in stays
        login_user(LoginUser(user))
        target = request.args.get("next")
        if target is None or target == url_for("dashboard.index"):  # no particular page asked for
            return redirect(start_page())
        return redirect(safe_next(target))
    return render_template("login.html")


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    goodbye, language = gettext("Sie sind abgemeldet."), current_language()  # before the user is gone
    if current_user.is_authenticated:
        db = db_session()
        user = db.get(User, current_user.id)
        if user is not None:
            end_sessions(db, user)
            audit(db, "user.logout", user.id, user)
            db.commit()
    logout_user()
    session.clear()
    session[LANGUAGE_KEY] = language  # the login page stays in the language just used
    flash(goodbye, "info")
    return redirect(url_for("auth.login"))
