"""The Flask app factory."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g
from flask.wrappers import Response
from flask_babel import gettext
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from werkzeug.routing import IntegerConverter

from content_calendar.accounts.models import User
from content_calendar.catalogues import N_
from content_calendar.database import get_database
from publisher.db import Database
from publisher.outbox.dispatch import Dispatcher
from publisher.settings import Settings, load_settings

csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = N_("Bitte melden Sie sich an.")
login_manager.localize_callback = gettext  # the message in the page's language


def _secret_key(settings: Settings) -> str:
    """From ERNSTFALL_SECRET_KEY(_FILE), else a random key kept in the instance folder."""
    if settings.secret_key:
        return settings.secret_key
    path = settings.home / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


class BoundedInt(IntegerConverter):
    """``<int:…>`` limited to what the database can hold: larger ids are a 404, not a crash."""

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(url_map, *args, **kwargs)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    settings = load_settings()
    app = Flask(__name__)
    app.url_map.converters["int"] = BoundedInt
    app.config.update(
        SECRET_KEY=_secret_key(settings),
        ERNSTFALL_SETTINGS=settings,
        MAX_CONTENT_LENGTH=16 * 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        JSON_AS_ASCII=False,
    )
    if test_config:
        app.config.update(test_config)
    db = get_database(settings)
    app.extensions["ernstfall_db"] = db
    app.extensions["ernstfall_dispatcher"] = Dispatcher(settings, db)
    settings.public_dir.mkdir(parents=True, exist_ok=True)

    csrf.init_app(app)
    login_manager.init_app(app)
    from content_calendar.web import i18n

    i18n.init_app(app)  # German or English per request; before the blueprints use gettext

    from content_calendar.web import api, dashboard, errors, public, start
    from content_calendar.web.accounts import auth as auth_views

    app.register_blueprint(auth_views.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(start.bp)
    app.register_blueprint(public.bp)
    app.register_blueprint(api.bp)
    from content_calendar.web.accounts import channels as channel_admin

    app.register_blueprint(channel_admin.bp)
    csrf.exempt(api.bp)
    from content_calendar.web.calendar import register_calendar

    register_calendar(app)
    from content_calendar.web.public import sms_webhooks

    app.register_blueprint(sms_webhooks.bp)
    csrf.exempt(sms_webhooks.bp)  # providers cannot send a CSRF token; reports are signed
    from content_calendar.web.public import feeds as public_feeds

    app.register_blueprint(public_feeds.bp)
    from content_calendar.web.crisis import register_crisis

    register_crisis(app)
    from content_calendar.web.dialog import register_dialog

    register_dialog(app)  # dialog pages (issue 14) and the public reply hours
    from content_calendar.web import metrics

    app.register_blueprint(metrics.bp)  # /metrics for Prometheus: token or loopback only
    errors.register(app)
    app.after_request(security_headers)

    @app.teardown_appcontext
    def _close(_: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()

    return app


# No inline scripts or styles in the templates, so none are allowed: an injected
# <script> or style="" does nothing. Framing is refused (clickjacking on the send button).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    # Feed tokens live in some URLs: never send a URL to another site.
    headers.setdefault("Referrer-Policy", "same-origin")
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


@login_manager.user_loader
def _load_user(session_id: str) -> Any:
    """``id:nonce`` from the cookie; a wrong nonce (after logout) or an inactive user is no one."""
    from content_calendar.web.helpers import LoginUser, db_session

    user_id, _, nonce = session_id.partition(":")
    user = db_session().get(User, int(user_id)) if user_id.isascii() and user_id.isdigit() and nonce else None
    if user is None or not user.active or not secrets.compare_digest(user.session_nonce or "", nonce):
        return None
    return LoginUser(user)


def template_files() -> list[Path]:
    """Every page template: the shared layout in ``web/templates``, the rest beside its blueprint
    in ``web/<area>/templates``. Flask looks a name up in all of them, so names are unique."""
    return sorted(Path(__file__).parent.glob("**/templates/*.html"))


__all__ = ["create_app", "Database"]
