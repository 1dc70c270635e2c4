"""Request-scoped helpers shared by the views."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from flask import abort, current_app, g
from flask_login import UserMixin, current_user
from sqlalchemy.orm import Session

from content_calendar.accounts.models import User
from publisher.db import Database
from publisher.outbox.dispatch import Dispatcher
from publisher.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])


class LoginUser(UserMixin):
    """What flask-login keeps: the user's id and roles, detached from any session."""

    def __init__(self, user: User) -> None:
        self.id = user.id
        self.username = user.username
        self.display_name = user.display_name
        self.roles = user.role_list()

    def has_role(self, *roles: str) -> bool:
        return "admin" in self.roles or bool(set(self.roles).intersection(roles))


def settings() -> Settings:
    value: Settings = current_app.config["ERNSTFALL_SETTINGS"]
    return value


def database() -> Database:
    value: Database = current_app.extensions["ernstfall_db"]
    return value


def dispatcher() -> Dispatcher:
    value: Dispatcher = current_app.extensions["ernstfall_dispatcher"]
    return value


def db_session() -> Session:
    if "db_session" not in g:
        g.db_session = database().sessionmaker()
    session: Session = g.db_session
    return session


def role_required(*roles: str) -> Callable[[F], F]:
    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def local_time(value: Any, fmt: str = "%d.%m.%Y %H:%M") -> str:
    if value is None:
        return "—"
    return str(value.astimezone(ZoneInfo(settings().timezone)).strftime(fmt))
