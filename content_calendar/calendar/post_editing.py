"""Editing posts after creation: save, live channel checks, comments, send back,
held-post decisions, quick moves, recurring series.

The workflow rules themselves (who may move a post where, four eyes) stay in
:mod:`content_calendar.calendar.posts`; this module is what the editor and calendar call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from content_calendar.accounts.models import audit
from content_calendar.calendar.models import PostComment, PostSeries
from content_calendar.calendar.office_hours import office_hours_warning
from content_calendar.calendar.post_model import Post, PostState
from content_calendar.calendar.posts import PostError, PostInput, check_post, draft_post, transition
from content_calendar.calendar.scheduling import message_for_post
from content_calendar.calendar.settings import office_hours, themes
from content_calendar.calendar.timeutil import Recurrence, expand
from content_calendar.catalogues import N_, Msg
from publisher.channels.base import ChannelAdapter, Message
from publisher.db import utcnow
from publisher.models import Channel
from publisher.outbox import adapter_for
from publisher.settings import Settings
from publisher.vocabulary import Lane

P = PostState
EDITABLE = {P.DRAFT, P.REVIEW, P.APPROVED, P.EXPIRED}
MOVABLE = {P.DRAFT, P.REVIEW, P.APPROVED}


@dataclass
class ChannelCheck:
    """What the editor shows under the text for one channel."""

    channel: str
    label: str
    used: int
    limit: int | None
    unit: str
    problems: list[str] = field(default_factory=list)
    preview: str = ""  # the text exactly as this channel will post it
    note: str = ""  # e.g. SMS segments and cost

    def to_json(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "label": self.label,
            "used": self.used,
            "limit": self.limit,
            "unit": self.unit,
            "problems": self.problems,
            "preview": self.preview,
            "note": self.note,
        }


def counting_adapter(adapter: ChannelAdapter) -> ChannelAdapter:
    """A preview channel counts with the rules of the platform it imitates."""
    imitated = getattr(adapter, "imitated", None)
    inner = imitated() if callable(imitated) else None
    return inner if isinstance(inner, ChannelAdapter) else adapter


def check_channels(channels: list[Channel], message: Message, settings: Settings) -> list[ChannelCheck]:
    """Per-channel counters and problems, straight from each channel's adapter."""
    results = []
    for channel in channels:
        adapter = adapter_for(channel, settings)
        counter = counting_adapter(adapter)
        text = counter.render_text(message)
        rendered = counter.render(message)
        unit = {"graphemes": N_("Zeichen (Grapheme)"), "weighted": N_("Zeichen (gewichtet)")}.get(
            counter.limits.counted_as, N_("Zeichen")
        )
        results.append(
            ChannelCheck(
                channel=channel.name,
                label=f"{channel.name} ({counter.label or counter.type_name})",
                used=counter.measure(text),
                limit=counter.limits.max_length,
                unit=unit,
                problems=[p.text for p in adapter.validate(message)],
                preview=str(rendered.get("text", text)),
                note=str(rendered.get("summary", "")),
            )
        )
    return results


def community_channel_list(session: Session) -> list[Channel]:
    return [
        c
        for c in session.scalars(select(Channel).order_by(Channel.name))
        if c.enabled and c.serves(Lane.COMMUNITY)
    ]


def preview_message(data: PostInput) -> Message:
    return message_for_post(draft_post(data))


def schedule_warnings(session: Session, when: datetime, settings: Settings) -> list[str]:
    """Office-hours warning; raises if the admin configured office hours to block."""
    hours = office_hours(session)
    warning = office_hours_warning(when, hours, settings.timezone)
    if warning and hours.block:
        raise PostError(warning, {"publish_at": warning})
    return [warning] if warning else []


def _check_theme(session: Session, theme: str | None) -> None:
    if theme and theme not in themes(session):
        unknown = Msg("Unbekanntes Thema „%(theme)s“", theme=theme)
        raise PostError(unknown, {"theme": unknown})


def save_post(
    session: Session,
    post: Post | None,
    data: PostInput,
    settings: Settings,
    user_id: int,
    submit: bool,
    roles: tuple[str, ...] | list[str] = ("editor",),
) -> tuple[Post, list[str]]:
    """Create or update a post after validating it against every chosen channel.

    Editing an approved post withdraws the approval: what was approved is the content.
    Returns the post and warnings (e.g. outside office hours).
    """
    _check_theme(session, data.theme)
    warnings = schedule_warnings(session, data.publish_at, settings)
    checked, _ = check_post(session, data, settings)
    if post is None:
        post = checked
        post.author_id = user_id
        post.state = P.DRAFT
        session.add(post)
        session.flush()
        audit(session, "post.created", user_id, post)
    else:
        if post.state not in EDITABLE:
            raise PostError(
                Msg(
                    "Ein Beitrag im Zustand „%(state)s“ kann nicht mehr bearbeitet werden",
                    state=Msg(P.LABELS[post.state]),
                ),
                status=409,
            )
        for name in ("title", "text", "theme", "link", "variants", "media", "publish_at", "channel_ids"):
            setattr(post, name, getattr(checked, name))
        if post.state in (P.APPROVED, P.EXPIRED):
            post.state = P.DRAFT
            post.approver_id = None
            post.approved_at = None
            post.held_reason = None
        audit(session, "post.edited", user_id, post)
    if submit and post.state == P.DRAFT:
        transition(session, post, P.REVIEW, user_id, list(roles))
    return post, warnings


def add_comment(session: Session, post: Post, user_id: int, text: str, kind: str = "comment") -> PostComment:
    text = text.strip()
    if not text:
        raise PostError(Msg("Kommentar ist leer"), {"comment": Msg("Bitte einen Kommentar eingeben")})
    comment = PostComment(post_id=post.id, user_id=user_id, kind=kind, text=text)
    session.add(comment)
    audit(session, "post.comment", user_id, post, kind=kind)
    return comment


def comments_for(session: Session, post_id: int) -> list[PostComment]:
    return list(
        session.scalars(select(PostComment).where(PostComment.post_id == post_id).order_by(PostComment.id))
    )


def send_back(session: Session, post: Post, user_id: int, roles: list[str], reason: str) -> None:
    """An approver returns a post to its author with the reason what to change."""
    if not reason.strip():
        raise PostError(
            Msg("Bitte begründen, was geändert werden soll"), {"comment": Msg("Begründung fehlt")}, status=422
        )
    transition(session, post, P.DRAFT, user_id, roles, comment=reason)
    add_comment(session, post, user_id, reason, kind="returned")


def approve(session: Session, post: Post, user_id: int, roles: list[str], comment: str = "") -> None:
    transition(session, post, P.APPROVED, user_id, roles, comment=comment)
    if comment.strip():
        add_comment(session, post, user_id, comment, kind="approved")


def _future(when: datetime) -> None:
    if when <= utcnow():
        raise PostError(
            Msg("Der Zeitpunkt liegt in der Vergangenheit"), {"publish_at": Msg("Zeitpunkt vorbei")}
        )


def decide_held(
    session: Session,
    post: Post,
    decision: str,
    user_id: int,
    roles: list[str],
    settings: Settings,
    new_time: datetime | None = None,
) -> list[str]:
    """A person's decision on a held post: publish now, reschedule, or discard."""
    if post.state != P.HELD:
        raise PostError(Msg("Nur angehaltene Beiträge warten auf diese Entscheidung"), status=409)
    if decision == "publish_now":
        transition(session, post, P.APPROVED, user_id, roles, comment="jetzt veröffentlichen")
        post.publish_at = utcnow()
        return []
    if decision == "reschedule":
        if new_time is None:
            raise PostError(Msg("Neue Zeit fehlt"), {"publish_at": Msg("Bitte neue Zeit angeben")})
        _future(new_time)
        warnings = schedule_warnings(session, new_time, settings)
        transition(session, post, P.APPROVED, user_id, roles, comment="neu geplant")
        post.publish_at = new_time
        return warnings
    if decision == "discard":
        transition(session, post, P.CANCELLED, user_id, roles, comment="verworfen")
        return []
    raise PostError(Msg("Unbekannte Entscheidung „%(decision)s“", decision=decision), status=400)


def move_post(
    session: Session, post: Post, new_time: datetime, user_id: int, settings: Settings
) -> list[str]:
    """Quick move on the calendar. The approval stays: the content did not change."""
    if post.state not in MOVABLE:
        raise PostError(
            Msg(
                "Ein Beitrag im Zustand „%(state)s“ kann nicht verschoben werden",
                state=Msg(P.LABELS[post.state]),
            ),
            status=409,
        )
    _future(new_time)
    warnings = schedule_warnings(session, new_time, settings)
    old = post.publish_at
    post.publish_at = new_time
    audit(session, "post.moved", user_id, post, old=old.isoformat(), new=new_time.isoformat())
    return warnings


def create_series(
    session: Session,
    data: PostInput,
    start_local: datetime,
    recurrence: Recurrence,
    settings: Settings,
    user_id: int,
    submit: bool,
    fold: int | None = None,
    roles: tuple[str, ...] | list[str] = ("editor",),
) -> tuple[PostSeries, list[Post], list[str]]:
    """Expand a recurring post into one post per occurrence, all or none."""
    occurrences = expand(start_local, recurrence, settings.timezone, fold)
    posts: list[Post] = []
    warnings: list[str] = []
    for when in occurrences:
        one = PostInput(**{**data.__dict__, "publish_at": when})
        post, found = save_post(session, None, one, settings, user_id, submit, roles)
        posts.append(post)
        warnings.extend(found)
    series = PostSeries(
        rrule=recurrence.rrule_text(start_local),
        timezone=settings.timezone,
        post_ids=[p.id for p in posts],
        created_by_id=user_id,
    )
    session.add(series)
    return series, posts, sorted(set(warnings))
