"""The one place that builds what each channel gets for an alert.

Preview (console), approval (template check and the hash the crisis user confirms), sending
(deliveries), CAP, the audit log and the blackout pack all take their text from here, so what a
person saw and approved is what goes out. The pipeline, each step a small pure function:

    template texts --fill(values)--> texts per language
                   --mark(drill, msg_type)--> headline and text with "ÜBUNG – " / "Aktualisierung – "
                   --alert_message()--> one channel-independent Message
                   --render_for(channels)--> each adapter's own rendering (shaping, links, limits)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from content_calendar.crisis.models import Alert
from content_calendar.crisis.placeholders import fill
from publisher.channels.base import Message
from publisher.models import Channel
from publisher.outbox import adapter_for
from publisher.settings import Settings
from publisher.vocabulary import (
    ALLCLEAR_MARK,
    DRILL_MARK,
    MARK_SEPARATOR,
    UPDATE_MARK,
    CapMsgType,
    CapStatus,
)

PRIMARY_LANGUAGE = "de"
VARIANT_PREFIX = "channel:"
# Problems that say a channel is not set up, not that the text does not fit: a preview ignores them.
CONFIG_PROBLEMS = frozenset({"no_recipients", "config"})


def fill_texts(
    template_texts: dict[str, dict[str, str]], values: dict[str, str]
) -> dict[str, dict[str, str]]:
    """Every language's parts with the placeholders filled and whitespace normalised."""
    return {
        lang: {part: " ".join(fill(text, values).split()) for part, text in parts.items()}
        for lang, parts in template_texts.items()
    }


def marks(*, drill: bool, msg_type: str) -> list[str]:
    """The marks a message carries, in reading order."""
    found = [DRILL_MARK] if drill else []
    if msg_type == CapMsgType.UPDATE:
        found.append(UPDATE_MARK)
    return found


def mark(text: str, *, drill: bool, msg_type: str) -> str:
    """Prefix ``text`` with the marks it lacks ("ÜBUNG – Aktualisierung – …")."""
    missing = [m for m in marks(drill=drill, msg_type=msg_type) if not text.startswith(m) and m not in text]
    return MARK_SEPARATOR.join([*missing, text]) if missing else text


def is_drill(alert: Alert) -> bool:
    return alert.status == CapStatus.EXERCISE


def language_texts(alert: Alert, language: str) -> dict[str, str]:
    return alert.texts.get(language) or alert.texts.get(PRIMARY_LANGUAGE) or next(iter(alert.texts.values()))


def alert_message(
    alert: Alert,
    *,
    language: str = PRIMARY_LANGUAGE,
    references: Iterable[Any] = (),
    sender: str = "",
    extras: dict[str, Any] | None = None,
) -> Message:
    """The channel-independent message of ``alert`` in ``language``, marks applied once, here."""
    texts = language_texts(alert, language)
    drill = is_drill(alert)

    def marked(text: str) -> str:
        return mark(text, drill=drill, msg_type=alert.msg_type)

    template = alert.template
    return Message(
        text=marked(texts["text"]),
        title=marked(texts.get("headline", alert.headline)),
        link=alert.link,
        language=language,
        kind="alert",
        level=alert.level,
        drill=drill,
        expires_at=alert.expires_at.isoformat() if alert.expires_at else None,
        variants={
            k[len(VARIANT_PREFIX) :]: marked(v) for k, v in texts.items() if k.startswith(VARIANT_PREFIX)
        },
        extras={
            "alert_id": alert.id,
            "identifier": alert.identifier,
            "sender": sender,
            "msg_type": alert.msg_type,
            "status": alert.status,
            "references": list(references),
            "texts": alert.texts,
            # Every other language, marked like the main text (the banner shows the reader's).
            "translations": {
                lang: {
                    "headline": marked(parts.get("headline", alert.headline)),
                    "text": marked(parts["text"]),
                }
                for lang, parts in alert.texts.items()
                if lang != language and parts.get("text")
            },
            "cap": dict(template.cap) if template is not None else {},
            "event": template.event if template is not None else alert.headline,
            "sent": alert.created_at.isoformat(timespec="seconds"),
            # Full precision: orders an update sent within the same second as its alert.
            "issued_at": alert.created_at.isoformat(),
            **(extras or {}),
        },
    )


@dataclass(frozen=True)
class Rendering:
    """What one channel gets: the adapter's own rendering and the public text in it."""

    channel: Channel
    text: str
    rendered: dict[str, Any]
    problems: tuple[str, ...]
    config_problems: tuple[str, ...]


def render_for(channels: Iterable[Channel], message: Message, settings: Settings) -> list[Rendering]:
    """Each channel's rendering of ``message``, with the problems its adapter finds.

    One adapter per channel; its ``validate``, ``render_text`` and ``render`` share the text it
    builds once for this message (``ChannelAdapter.render_text``).
    """
    out = []
    for channel in channels:
        adapter = adapter_for(channel, settings)
        found = adapter.validate(message)
        out.append(
            Rendering(
                channel=channel,
                text=adapter.render_text(message),
                rendered=adapter.render(message),
                problems=tuple(p.text for p in found if p.code not in CONFIG_PROBLEMS),
                config_problems=tuple(p.text for p in found if p.code in CONFIG_PROBLEMS),
            )
        )
    return out


def approval_hash(renderings: Iterable[Rendering]) -> str:
    """A fingerprint of the public text every channel gets.

    Only the text people will read goes in (not ids or timestamps, which differ between preview and
    send), so "what I saw in the preview" and "what is sent" can be compared exactly.
    """
    payload = sorted((r.channel.name, r.text) for r in renderings)
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode("utf-8")).hexdigest()


def allclear_text(headline: str, note: str | None) -> dict[str, str]:
    """An all-clear without a template: the alert's headline, marked, plus the staff's note."""
    text = f"{ALLCLEAR_MARK}: {headline}"
    return {"headline": text, "text": f"{text}. {note.strip()}" if note and note.strip() else text}
