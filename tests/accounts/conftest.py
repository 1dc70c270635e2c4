"""Fixtures for access and session tests: every role (contributor too) as a user."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from content_calendar.accounts.auth import create_user
from content_calendar.accounts.models import User
from publisher.db import Database
from tests.conftest import PASSWORD

# One user per role of the policy; the shared fixture ``users`` has all but the contributor.
ROLE_USER = {
    "admin": "admin",
    "editor": "redaktion",
    "approver": "freigabe",
    "crisis": "krisenstab",
    "fallback": "fallback",
    "contributor": "ideen",
}


@pytest.fixture
def everyone(db: Database, users: dict[str, int]) -> dict[str, int]:
    """User ids by user name, a contributor included."""
    with db.session() as session:
        contributor = create_user(session, "ideen", ["contributor"], PASSWORD)
        return {**users, "ideen": contributor.id}


def session_as(client: FlaskClient, db: Database, username: str) -> None:
    """Log the client in without the login form (the matrix makes hundreds of requests).

    The cookie carries ``id:nonce`` exactly as a real login writes it.
    """
    with db.session() as session:
        user = session.scalar(select(User).where(User.username == username))
        assert user is not None
        cookie_id = f"{user.id}:{user.session_nonce}"
    with client.session_transaction() as flask_session:
        flask_session["_user_id"] = cookie_id
        flask_session["_fresh"] = True
