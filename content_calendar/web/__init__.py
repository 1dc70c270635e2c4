"""The Flask app factory."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from flask import Flask, g
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from werkzeug.routing import IntegerConverter

from content_calendar.accounts.models import User
from content_calendar.database import get_database
from publisher.db import Database
from publisher.outbox.dispatch import Dispatcher
from publisher.settings import Settings, load_settings

csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Bitte melden Sie sich an."


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

    from content_calendar.web import api, dashboard, errors, public
    from content_calendar.web.accounts import auth as auth_views

    app.register_blueprint(auth_views.bp)
    app.register_blueprint(dashboard.bp)
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
    errors.register(app)

    @app.teardown_appcontext
    def _close(_: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()

    return app


@login_manager.user_loader
def _load_user(user_id: str) -> Any:
    from content_calendar.web.helpers import LoginUser, db_session

    user = db_session().get(User, int(user_id)) if user_id.isdigit() else None
    return LoginUser(user) if user and user.active else None


def template_folder() -> Path:
    return Path(__file__).parent / "templates"


__all__ = ["create_app", "Database"]
