"""Request-scoped helpers shared by the views."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, current_app, g, jsonify
from flask_login import UserMixin, current_user
from sqlalchemy.orm import Session

from content_calendar.accounts.models import User
from content_calendar.accounts.policy import Permission, allows, refusal
from publisher.db import Database
from publisher.outbox.dispatch import Dispatcher
from publisher.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])


class LoginUser(UserMixin):
    """What flask-login keeps: the user's id and roles, detached from any session.

    The session cookie holds ``id:nonce``; logging out or deactivating the user changes
    the nonce in the database, so a copied cookie stops working at once.
    """

    def __init__(self, user: User) -> None:
        self.id = user.id
        self.username = user.username
        self.display_name = user.display_name
        self.roles = user.role_list()
        self.session_nonce = user.session_nonce

    def get_id(self) -> str:
        return f"{self.id}:{self.session_nonce}"

    def has_role(self, *roles: str) -> bool:
        return "admin" in self.roles or bool(set(self.roles).intersection(roles))

    def can(self, *permissions: Permission | str) -> bool:
        """True if the policy grants this user at least one of ``permissions``."""
        return allows(self.roles, *permissions)


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


def permission_required(*permissions: Permission) -> Callable[[F], F]:
    """Refuse the view unless the policy grants one of ``permissions``.

    Below ``token_required`` (API) it checks the token's user and answers a JSON problem;
    elsewhere it checks the logged-in user: anonymous -> login page, refused -> 403.
    The permissions are kept on the view so tests can walk every route against the policy.
    """

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            api_user: User | None = g.get("api_user")
            if api_user is not None:
                if not allows(api_user.role_list(), *permissions):
                    return jsonify(error=refusal(*permissions)), 403
                return view(*args, **kwargs)
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
            if not current_user.can(*permissions):
                abort(403, refusal(*permissions))
            return view(*args, **kwargs)

        wrapped.required_permissions = frozenset(permissions)  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


def local_time(value: Any, fmt: str = "%d.%m.%Y %H:%M") -> str:
    """``value`` in the city's time zone, written as the reader's language writes dates (Babel);
    ``fmt`` only says which parts to show (date, seconds …)."""
    from content_calendar.web.i18n import local_datetime

    return local_datetime(value, settings().timezone, fmt)
