"""Posts: validation against every chosen channel, and the approval workflow."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from content_calendar.accounts.models import audit
from content_calendar.accounts.policy import Permission, allows, refusal
from content_calendar.calendar.limits import TEXT_MAX, THEME_MAX, TITLE_MAX, link_problem, too_long
from content_calendar.calendar.post_model import Post, PostState, Setting
from content_calendar.calendar.scheduling import message_for_post
from content_calendar.catalogues import Msg
from content_calendar.refusal import Refused
from publisher.db import utcnow
from publisher.models import Channel
from publisher.outbox import validate_for
from publisher.settings import Settings
from publisher.vocabulary import Lane

P = PostState

# Which transitions a person may make, and which permission (any one of them) it takes.
TRANSITIONS: dict[tuple[str, str], frozenset[Permission]] = {
    (P.DRAFT, P.REVIEW): frozenset({Permission.SUBMIT_POSTS}),
    (P.REVIEW, P.APPROVED): frozenset({Permission.APPROVE_POSTS}),
    # sent back by an approver, or withdrawn by an editor
    (P.REVIEW, P.DRAFT): frozenset({Permission.APPROVE_POSTS, Permission.PLAN_POSTS}),
    (P.APPROVED, P.DRAFT): frozenset({Permission.PLAN_POSTS, Permission.APPROVE_POSTS}),
    # publish now / reschedule after a hold
    (P.HELD, P.APPROVED): frozenset({Permission.DECIDE_HELD_POSTS}),
    (P.EXPIRED, P.DRAFT): frozenset({Permission.PLAN_POSTS}),
}
CANCELLABLE = {P.DRAFT, P.REVIEW, P.APPROVED, P.HELD, P.EXPIRED}


class PostError(Refused):
    """A refused request (see content_calendar.refusal)."""


@dataclass
class PostInput:
    text: str
    channel_names: list[str]
    publish_at: datetime
    title: str = ""
    theme: str | None = None
    link: str | None = None
    variants: dict[str, str] = field(default_factory=dict)
    media: list[dict[str, Any]] = field(default_factory=list)


def draft_post(data: PostInput, channel_ids: list[int] | None = None) -> Post:
    """An unsaved post from the editor's input (for checks, previews and saving)."""
    return Post(
        title=data.title,
        text=data.text,
        theme=data.theme,
        link=data.link,
        variants=data.variants,
        media=data.media,
        publish_at=data.publish_at,
        channel_ids=channel_ids or [],
    )


def community_channels(session: Session, names: list[str]) -> list[Channel]:
    found = {
        c.name: c
        for c in session.scalars(select(Channel).where(Channel.name.in_(names)))
        if c.enabled and c.serves(Lane.COMMUNITY)
    }
    missing = [n for n in names if n not in found]
    if missing:
        unknown = Msg("Unbekannter oder inaktiver Kanal: %(names)s", names=", ".join(missing))
        raise PostError(unknown, {"channels": unknown})
    return [found[n] for n in names]


def limit_problems(data: PostInput) -> dict[str, str]:
    """The shared input limits (calendar/limits.py): refused with a message, never cut off."""
    found = {
        "title": too_long(Msg("Titel"), data.title, TITLE_MAX),
        "text": too_long(Msg("Text"), data.text, TEXT_MAX),
        "theme": too_long(Msg("Thema"), data.theme or "", THEME_MAX),
        "link": link_problem(data.link) if data.link else None,
    }
    found.update(
        {
            f"variant:{k}": too_long(Msg("Text für %(channel)s", channel=k), v, TEXT_MAX)
            for k, v in data.variants.items()
        }
    )
    return {field: message for field, message in found.items() if message}


def check_post(session: Session, data: PostInput, settings: Settings) -> tuple[Post, list[Channel]]:
    problems: dict[str, str] = {}
    if not data.text.strip():
        problems["text"] = Msg("Text fehlt")
    problems.update(limit_problems(data))
    if not data.channel_names:
        problems["channels"] = Msg("Mindestens einen Kanal wählen")
    if data.publish_at.tzinfo is None:
        problems["publish_at"] = Msg("Zeit ohne Zeitzone")
    elif data.publish_at <= utcnow():
        problems["publish_at"] = Msg("Zeitpunkt liegt in der Vergangenheit")
    if problems:
        raise PostError(Msg("Beitrag unvollständig oder ungültig"), problems)
    channels = community_channels(session, data.channel_names)
    post = draft_post(data, [c.id for c in channels])
    message = message_for_post(post)
    for channel in channels:
        found = validate_for(channel, message, settings)
        if found:
            problems[f"channel:{channel.name}"] = "; ".join(p.text for p in found)
    if problems:
        raise PostError(Msg("Text passt nicht in alle gewählten Kanäle"), problems)
    return post, channels


def create_post(
    session: Session, data: PostInput, settings: Settings, author_id: int, submit: bool = True
) -> Post:
    post, _ = check_post(session, data, settings)
    post.author_id = author_id
    post.state = P.REVIEW if submit else P.DRAFT
    session.add(post)
    session.flush()
    audit(session, "post.created", author_id, post, state=post.state)
    return post


def self_approval_allowed(session: Session) -> bool:
    row = session.get(Setting, "allow_self_approval")
    return bool(row and row.value)


def transition(
    session: Session, post: Post, target: str, user_id: int, roles: list[str], comment: str = ""
) -> None:
    """Move a post through the workflow, enforcing the policy and the four-eyes rule."""
    if target == P.CANCELLED:
        if post.state not in CANCELLABLE:
            raise PostError(
                Msg(
                    "Ein Beitrag im Zustand „%(state)s“ kann nicht abgebrochen werden",
                    state=Msg(P.LABELS[post.state]),
                ),
                status=409,
            )
        needed = frozenset({Permission.CANCEL_POSTS})
    else:
        allowed = TRANSITIONS.get((post.state, target))
        if allowed is None:
            raise PostError(
                Msg(
                    "Von „%(old)s“ nach „%(new)s“ ist nicht möglich",
                    old=Msg(P.LABELS[post.state]),
                    new=Msg(P.LABELS[target]),
                ),
                status=409,
            )
        needed = allowed
    if not allows(roles, *needed):
        raise PostError(refusal(*sorted(needed)), status=403)
    if target == P.APPROVED and post.state == P.REVIEW:
        if post.author_id == user_id and not self_approval_allowed(session):
            raise PostError(
                Msg("Vier-Augen-Prinzip: Eigene Beiträge kann nur eine zweite Person freigeben"),
                status=403,
            )
        if post.publish_at <= utcnow():
            raise PostError(
                Msg("Der Veröffentlichungszeitpunkt ist schon vorbei — bitte neu planen"), status=409
            )
        post.approver_id = user_id
        post.approved_at = utcnow()
    if target == P.APPROVED and post.state == P.HELD:
        post.held_reason = None
    previous = post.state
    post.state = target
    audit(session, "post.transition", user_id, post, **{"from": previous, "to": target, "comment": comment})
