"""Cancelling a post needs the cancel permission, by API and on the web, like approve and return."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from content_calendar.accounts.policy import Permission, allows
from content_calendar.calendar.post_model import Post, PostState
from publisher.db import Database
from tests.accounts.conftest import ROLE_USER, session_as
from tests.calendar.calendar_helpers import CHANNELS_TOML, add_post, channel_ids
from tests.conftest import api_token, configure_channels


def _state(db: Database, post_id: int) -> str:
    with db.session() as session:
        post = session.get(Post, post_id)
        assert post is not None
        return post.state


@pytest.fixture
def approved_post(db: Database, everyone: dict[str, int]) -> int:
    configure_channels(db, CHANNELS_TOML)
    return add_post(db, channels=channel_ids(db, "mastodon"), author_id=everyone["redaktion"])


@pytest.mark.parametrize("role", ["crisis", "fallback", "contributor"])
def test_it_refuses_an_api_cancel_without_the_permission_with_a_german_message(
    client: FlaskClient, db: Database, approved_post: int, role: str
) -> None:
    token = api_token(db, ROLE_USER[role])
    response = client.post(
        f"/api/v1/posts/{approved_post}/cancel", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 403
    assert "Beiträge abbrechen" in response.get_data(as_text=True)
    assert _state(db, approved_post) == PostState.APPROVED


@pytest.mark.parametrize("role", ["editor", "approver", "admin"])
def test_it_cancels_by_api_for_roles_the_policy_allows(
    client: FlaskClient, db: Database, approved_post: int, role: str
) -> None:
    assert allows([role], Permission.CANCEL_POSTS)
    token = api_token(db, ROLE_USER[role])
    response = client.post(
        f"/api/v1/posts/{approved_post}/cancel", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.json
    assert _state(db, approved_post) == PostState.CANCELLED


def test_a_crisis_user_cannot_drop_a_held_post_on_the_web_either(
    app: FlaskClient, db: Database, everyone: dict[str, int]
) -> None:
    configure_channels(db, CHANNELS_TOML)
    post_id = add_post(db, channels=channel_ids(db, "mastodon"), state=PostState.HELD)
    client = app.test_client()  # type: ignore[attr-defined]
    session_as(client, db, "krisenstab")
    response = client.post("/angehalten/", data={"post": post_id, "action": "drop"})
    assert response.status_code == 403
    assert _state(db, post_id) == PostState.HELD
