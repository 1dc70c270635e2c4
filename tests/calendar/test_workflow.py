"""Workflow transitions, the four-eyes rule and its small-team exception."""

from __future__ import annotations

from datetime import timedelta

import pytest

from content_calendar.calendar.post_editing import approve, decide_held, move_post, send_back
from content_calendar.calendar.post_model import Post, PostState
from content_calendar.calendar.posts import PostError, transition
from content_calendar.calendar.settings import set_value
from publisher.db import Database, utcnow
from publisher.settings import Settings
from tests.calendar.calendar_helpers import add_post, user_id

P = PostState


def test_full_happy_path_draft_review_approved(db: Database, users: dict[str, int]) -> None:
    post_id = add_post(db, state=P.DRAFT, author_id=users["redaktion"])
    with db.session() as session:
        post = session.get(Post, post_id)
        transition(session, post, P.REVIEW, users["redaktion"], ["editor"])
        approve(session, post, users["freigabe"], ["approver"], "passt")
        assert post.state == P.APPROVED
        assert post.approver_id == users["freigabe"] and post.approved_at is not None


def test_author_cannot_approve_own_post(db: Database, users: dict[str, int]) -> None:
    post_id = add_post(db, state=P.REVIEW, author_id=users["admin"])
    with db.session() as session:
        with pytest.raises(PostError) as caught:
            approve(session, session.get(Post, post_id), users["admin"], ["admin"])
        assert caught.value.status == 403
        assert "Vier-Augen-Prinzip" in caught.value.message


def test_small_team_setting_allows_self_approval(db: Database, users: dict[str, int]) -> None:
    post_id = add_post(db, state=P.REVIEW, author_id=users["admin"])
    with db.session() as session:
        set_value(session, "allow_self_approval", True)
        post = session.get(Post, post_id)
        approve(session, post, users["admin"], ["admin"])
        assert post.state == P.APPROVED


def test_editor_without_approver_role_cannot_approve(db: Database, users: dict[str, int]) -> None:
    post_id = add_post(db, state=P.REVIEW, author_id=users["redaktion"])
    with db.session() as session, pytest.raises(PostError, match="Rolle"):
        approve(session, session.get(Post, post_id), users["redaktion2"], ["editor"])


def test_cannot_jump_from_draft_to_approved(db: Database, users: dict[str, int]) -> None:
    post_id = add_post(db, state=P.DRAFT, author_id=users["redaktion"])
    with db.session() as session, pytest.raises(PostError) as caught:
        approve(session, session.get(Post, post_id), users["freigabe"], ["approver"])
    assert caught.value.status == 409
    assert "Von „Entwurf“ nach „Freigegeben“ ist nicht möglich" in caught.value.message


def test_approving_after_the_time_has_passed_is_refused(db: Database, users: dict[str, int]) -> None:
    post_id = add_post(db, utcnow() - timedelta(minutes=1), state=P.REVIEW, author_id=users["redaktion"])
    with db.session() as session, pytest.raises(PostError, match="schon vorbei"):
        approve(session, session.get(Post, post_id), users["freigabe"], ["approver"])


def test_send_back_returns_to_draft_with_reason(db: Database, users: dict[str, int]) -> None:
    post_id = add_post(db, state=P.REVIEW, author_id=users["redaktion"])
    with db.session() as session:
        post = session.get(Post, post_id)
        with pytest.raises(PostError, match="begründen"):
            send_back(session, post, users["freigabe"], ["approver"], " ")
        send_back(session, post, users["freigabe"], ["approver"], "Foto fehlt")
        assert post.state == P.DRAFT


def test_published_post_cannot_be_cancelled(db: Database, users: dict[str, int]) -> None:
    post_id = add_post(db, state=P.PUBLISHED)
    with db.session() as session, pytest.raises(PostError) as caught:
        transition(session, session.get(Post, post_id), P.CANCELLED, users["redaktion"], ["editor"])
    assert caught.value.status == 409


def test_held_post_decisions(db: Database, users: dict[str, int], instance: Settings) -> None:
    late = utcnow() - timedelta(hours=3)
    ids = [add_post(db, late, state=P.HELD) for _ in range(3)]
    new_time = utcnow() + timedelta(days=3)
    with db.session() as session:
        editor = user_id(session, "redaktion")
        posts = [session.get(Post, i) for i in ids]
        decide_held(session, posts[0], "publish_now", editor, ["editor"], instance)
        decide_held(session, posts[1], "reschedule", editor, ["editor"], instance, new_time)
        decide_held(session, posts[2], "discard", editor, ["editor"], instance)
        assert [p.state for p in posts] == [P.APPROVED, P.APPROVED, P.CANCELLED]
        assert posts[1].publish_at == new_time
        assert posts[0].held_reason is None


def test_quick_move_keeps_approval_but_not_for_published(
    db: Database, users: dict[str, int], instance: Settings
) -> None:
    approved = add_post(db, state=P.APPROVED)
    published = add_post(db, state=P.PUBLISHED)
    target = utcnow() + timedelta(days=5)
    with db.session() as session:
        post = session.get(Post, approved)
        move_post(session, post, target, users["redaktion"], instance)
        assert post.state == P.APPROVED and post.publish_at == target
        with pytest.raises(PostError, match="kann nicht verschoben werden"):
            move_post(session, session.get(Post, published), target, users["redaktion"], instance)
