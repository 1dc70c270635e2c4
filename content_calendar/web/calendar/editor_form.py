"""Reading the post editor's form: text, variants, channels, time (with DST choice), images.

Everything the editor typed is kept in :class:`EditorForm` so a refused form is shown
again with all input intact — nothing typed is ever lost.

The publish time is one text field read by the same parser as the crisis console
(``timeutil.parse_moment``): "morgen 9 Uhr", "14:30", "24.12. 18:30", "sofort" … Older
clients (calendar links, scripts) may still send ``date`` and ``time`` separately; the two
are joined and read by the same parser.
"""

from __future__ import annotations

import json
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from werkzeug.datastructures import FileStorage, MultiDict

from content_calendar.calendar.media import MediaError, check_alt, media_path, store_image
from content_calendar.calendar.post_model import Post
from content_calendar.calendar.posts import PostInput
from content_calendar.calendar.timeutil import (
    NOW_WORDS,
    AmbiguousLocalTime,
    FoldOption,
    LocalTimeError,
    Recurrence,
    local_to_utc,
    parse_date,
    parse_moment,
    to_local,
)
from content_calendar.catalogues import Msg
from content_calendar.web.i18n import gettext, localize
from publisher.db import utcnow
from publisher.models import Channel
from publisher.settings import Settings


@dataclass
class EditorForm:
    title: str = ""
    text: str = ""
    link: str = ""
    theme: str = ""
    channels: list[str] = field(default_factory=list)
    variants: dict[str, str] = field(default_factory=dict)
    when: str = ""  # as typed: "morgen 9 Uhr", "24.12.2026 18:30" …
    fold: str = ""
    media: list[dict[str, Any]] = field(default_factory=list)
    repeat: str = ""
    repeat_count: str = ""
    repeat_until: str = ""
    contribution_id: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    fold_options: list[FoldOption] = field(default_factory=list)

    @property
    def media_json(self) -> str:
        return json.dumps(self.media, ensure_ascii=False)


def form_from_post(post: Post, channels: list[Channel], tz_name: str) -> EditorForm:
    by_id = {c.id: c.name for c in channels}
    local = to_local(post.publish_at, tz_name)
    return EditorForm(
        title=post.title,
        text=post.text,
        link=post.link or "",
        theme=post.theme or "",
        channels=[by_id[i] for i in post.channel_ids if i in by_id],
        variants=dict(post.variants or {}),
        when=moment_text(local),
        fold=str(local.fold),
        media=list(post.media or []),
    )


def read_form(data: MultiDict[str, str], channel_names: list[str]) -> EditorForm:
    form = EditorForm(
        title=data.get("title", "").strip(),
        text=data.get("text", ""),
        link=data.get("link", "").strip(),
        theme=data.get("theme", "").strip(),
        channels=[n for n in data.getlist("channels") if n],
        variants={
            name: data.get(f"variant_{name}", "")
            for name in channel_names
            if data.get(f"variant_{name}", "").strip()
        },
        when=typed_moment(data),
        fold=data.get("fold", "").strip(),
        repeat=data.get("repeat", "").strip(),
        repeat_count=data.get("repeat_count", "").strip(),
        repeat_until=data.get("repeat_until", "").strip(),
        contribution_id=data.get("contribution_id", "").strip(),
    )
    form.media = _kept_media(data, form)
    return form


def _kept_media(data: MultiDict[str, str], form: EditorForm) -> list[dict[str, Any]]:
    """Images already uploaded (carried in a hidden field), with edited alt texts."""
    try:
        raw = json.loads(data.get("media_json") or "[]")
    except json.JSONDecodeError:
        raw = []
    kept = []
    for index, item in enumerate(raw if isinstance(raw, list) else []):
        if not isinstance(item, dict) or data.get(f"media_remove_{index}"):
            continue
        name = str(item.get("path", ""))
        alt = data.get(f"media_alt_{index}", str(item.get("alt", "")))
        kept.append({**item, "path": name, "alt": alt.strip()})
    return kept


def attach_upload(form: EditorForm, upload: FileStorage | None, alt: str, settings: Settings) -> None:
    """Store a newly uploaded image; a missing alt text refuses it with a German message."""
    if upload is None or not upload.filename:
        if alt.strip():
            form.errors["image"] = Msg("Alternativtext ohne Bild: bitte auch eine Bilddatei auswählen")
        return
    try:
        stored = store_image(upload.read(), alt, settings)
    except MediaError as exc:
        form.errors["image"] = exc.message
        return
    form.media.append(stored.as_media())


def check_media(form: EditorForm, settings: Settings) -> None:
    for index, item in enumerate(form.media, start=1):
        if media_path(str(item.get("path", "")), settings) is None:
            form.errors["image"] = Msg(
                "Bild %(index)d ist nicht mehr vorhanden — bitte erneut hochladen", index=index
            )
            continue
        try:
            item["alt"] = check_alt(str(item.get("alt", "")))
        except MediaError as exc:
            form.errors["image"] = gettext(
                "Bild %(index)d: %(problem)s", index=index, problem=localize(exc.message)
            )


def moment_text(local: datetime) -> str:
    """A local time as the time field shows it, in a form the parser reads back."""
    return local.strftime("%d.%m.%Y %H:%M")


def typed_moment(data: MultiDict[str, str]) -> str:
    """The time field as typed; ``date`` + ``time`` from older clients joined into one."""
    typed = data.get("when", "").strip()
    if typed or "when" in data:
        return typed
    day, clock = data.get("date", "").strip(), data.get("time", "").strip()
    if not day:
        return clock
    with suppress(LocalTimeError):  # if it is no date, the parser says what is wrong with it
        day = parse_date(day).strftime("%d.%m.%Y")
    return f"{day} {clock}".strip()


def local_moment(form: EditorForm, tz_name: str) -> datetime:
    """The typed time as naive local wall-clock time; raises :class:`LocalTimeError`."""
    return typed_local_time(form.when, tz_name)


def typed_local_time(typed: str, tz_name: str) -> datetime:
    """A time as typed ("morgen 9 Uhr" …), as naive local wall-clock time.

    "sofort" means the next full minute: a post cannot be planned in the past, and the
    scheduler picks it up within seconds.
    """
    now = to_local(utcnow(), tz_name).replace(tzinfo=None)
    moment = parse_moment(typed, now)
    if " ".join(typed.lower().split()) in NOW_WORDS:
        moment += timedelta(minutes=1)
    return moment


def publish_time(form: EditorForm, tz_name: str) -> datetime | None:
    """UTC publish time, or None with ``form.errors['publish_at']`` (and fold options) set."""
    if not form.when:
        form.errors["publish_at"] = Msg(
            "Bitte einen Zeitpunkt angeben, z. B. morgen 9 Uhr (oder „In die Warteschlange“)"
        )
        return None
    fold = int(form.fold) if form.fold in ("0", "1") else None
    try:
        return local_to_utc(local_moment(form, tz_name), tz_name, fold)
    except AmbiguousLocalTime as exc:
        form.errors["publish_at"] = exc.message
        form.fold_options = exc.options
    except LocalTimeError as exc:
        form.errors["publish_at"] = exc.message
    return None


def local_start(form: EditorForm, tz_name: str) -> datetime:
    return local_moment(form, tz_name)


def recurrence(form: EditorForm) -> Recurrence | None:
    if form.repeat not in ("weekly", "monthly"):
        return None
    count = int(form.repeat_count) if form.repeat_count.isdigit() else None
    until: date | None = None
    if form.repeat_until:
        try:
            until = parse_date(form.repeat_until)
        except LocalTimeError as exc:
            form.errors["repeat"] = exc.message
    if not count and not until:
        form.errors.setdefault("repeat", Msg("Wiederholung: bitte Anzahl oder Enddatum angeben"))
    return Recurrence(form.repeat, count=count, until=until)


def post_input(form: EditorForm, when: datetime) -> PostInput:
    return PostInput(
        text=form.text,
        channel_names=form.channels,
        publish_at=when,
        title=form.title,
        theme=form.theme or None,
        link=form.link or None,
        variants=form.variants,
        media=form.media,
    )
