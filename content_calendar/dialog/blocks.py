"""Reply blocks (Antwortbausteine): pre-approved answers with typed placeholders, four eyes.

Like alert templates (content_calendar.crisis.templates): editing adds a new version that is
not usable until a second person approved it; until then the previous approved version stays
current, so staff can keep answering while someone edits. Every version stays in the table and
the audit log records each. Replying with an approved block needs no further sign-off.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from content_calendar.accounts.models import audit
from content_calendar.catalogues import Msg
from content_calendar.crisis.placeholders import TYPES, fields_in, fill, sample_values, validate_values
from content_calendar.dialog.models import ReplyBlock
from content_calendar.refusal import Refused
from publisher.db import utcnow

KEY_RE = re.compile(r"^[a-z0-9_]{2,60}$")
NAME_RE = re.compile(r"[a-z_][a-z0-9_]{0,39}")
TEXT_MAX = 2000
# The shortest platform limit a reply must fit (Bluesky: 300 graphemes); checked per channel at send.
SHORTEST_REPLY = 300


class BlockError(Refused):
    """A refused request (see content_calendar.refusal)."""


@dataclass(frozen=True)
class BlockSpec:
    key: str
    name: str
    text: str
    placeholders: dict[str, dict[str, Any]]
    alert_template_key: str | None = None


def validate_spec(spec: BlockSpec) -> dict[str, str]:
    """Every problem with a block's content, keyed by field, in German."""
    problems: dict[str, str] = {}
    if not KEY_RE.match(spec.key):
        problems["key"] = Msg("Kürzel: 2–60 Kleinbuchstaben, Ziffern oder _")
    if not spec.name.strip():
        problems["name"] = Msg("Name fehlt")
    elif len(spec.name) > 200:
        problems["name"] = Msg("Name: höchstens 200 Zeichen")
    if not spec.text.strip():
        problems["text"] = Msg("Antworttext fehlt")
    elif len(spec.text) > TEXT_MAX:
        problems["text"] = Msg(
            "Antworttext: %(used)d von höchstens %(max)d Zeichen", used=len(spec.text), max=TEXT_MAX
        )
    for name, meta in spec.placeholders.items():
        if not NAME_RE.fullmatch(name):
            problems[f"placeholder.{name}"] = Msg(
                "Platzhalter %(name)s: nur Kleinbuchstaben, Ziffern, _", name=repr(name)
            )
        elif meta.get("type", "text") not in TYPES:
            problems[f"placeholder.{name}"] = Msg(
                "Platzhalter %(name)s: unbekannter Typ %(type)s", name=name, type=repr(meta.get("type"))
            )
    if "text" not in problems:
        try:
            unknown = sorted(fields_in(spec.text) - set(spec.placeholders))
        except ValueError:
            problems["text"] = Msg("Antworttext: geschweifte Klammern passen nicht zusammen")
        else:
            if unknown:
                names = ", ".join("{" + u + "}" for u in unknown)
                problems["text"] = Msg("Antworttext: Platzhalter %(names)s ist nicht definiert", names=names)
    return problems


def create_version(session: Session, spec: BlockSpec, user_id: int | None, note: str = "") -> ReplyBlock:
    """A new, unapproved version of ``spec.key`` (version 1 for a new block)."""
    problems = validate_spec(spec)
    if problems:
        raise BlockError(Msg("Antwortbaustein unvollständig oder ungültig"), problems)
    latest = session.scalar(select(func.max(ReplyBlock.version)).where(ReplyBlock.key == spec.key))
    block = ReplyBlock(
        key=spec.key,
        version=(latest or 0) + 1,
        name=spec.name.strip(),
        text=spec.text.strip(),
        placeholders=dict(spec.placeholders),
        alert_template_key=spec.alert_template_key or None,
        current=False,
        created_by_id=user_id,
        change_note=note or None,
        created_at=utcnow(),
    )
    session.add(block)
    session.flush()
    audit(session, "reply_block.version_created", user_id, block, text=block.text, note=note)
    return block


def versions(session: Session, key: str) -> list[ReplyBlock]:
    return list(
        session.scalars(select(ReplyBlock).where(ReplyBlock.key == key).order_by(ReplyBlock.version.desc()))
    )


def approve(session: Session, block: ReplyBlock, approver_id: int) -> None:
    """Four eyes: a second person approves; the filled text must fit the shortest reply limit."""
    if block.approved_at is not None:
        raise BlockError(
            Msg("Version %(version)d ist bereits freigegeben", version=block.version), status=409
        )
    if versions(session, block.key)[0].id != block.id:
        raise BlockError(Msg("Es gibt eine neuere Version; bitte diese prüfen"), status=409)
    if block.created_by_id is not None and block.created_by_id == approver_id:
        raise BlockError(
            Msg(
                "Vier-Augen-Prinzip: Wer einen Antwortbaustein bearbeitet hat, "
                "kann ihn nicht selbst freigeben"
            ),
            status=403,
        )
    longest = fill(block.text, sample_values(block.placeholders))
    if len(longest) > SHORTEST_REPLY:
        raise BlockError(
            Msg(
                "Mit den längsten erlaubten Angaben hat die Antwort %(used)d Zeichen; "
                "sie muss in %(max)d Zeichen passen (Bluesky)",
                used=len(longest),
                max=SHORTEST_REPLY,
            ),
            {"text": longest},
        )
    for older in versions(session, block.key):
        older.current = False
    block.current = True
    block.approved_by_id = approver_id
    block.approved_at = utcnow()
    audit(session, "reply_block.approved", approver_id, block, version=block.version)


def usable(session: Session, key: str) -> ReplyBlock | None:
    return session.scalar(select(ReplyBlock).where(ReplyBlock.key == key, ReplyBlock.current.is_(True)))


def library(session: Session) -> list[tuple[ReplyBlock | None, ReplyBlock]]:
    """Per key: the usable version (or None) and the newest version, by name."""
    rows: dict[str, list[ReplyBlock]] = {}
    for block in session.scalars(select(ReplyBlock).order_by(ReplyBlock.key, ReplyBlock.version.desc())):
        rows.setdefault(block.key, []).append(block)
    pairs = [(next((b for b in items if b.usable), None), items[0]) for items in rows.values()]
    return sorted(pairs, key=lambda pair: pair[1].name)


def filled(block: ReplyBlock, values: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """The block's text with checked values (PlaceholderError names every bad one)."""
    clean = validate_values(block.placeholders, values)
    return fill(block.text, clean), clean


# Shipped blocks: loaded unapproved, like the alert template library; a second person approves.
SHIPPED: tuple[BlockSpec, ...] = (
    BlockSpec(
        "danke",
        "Danke für den Hinweis",
        "Danke für Ihren Hinweis! Wir geben ihn an die zuständige Stelle weiter.",
        {},
    ),
    BlockSpec(
        "zustaendig",
        "Zuständige Stelle",
        "Dafür ist {stelle} zuständig, erreichbar unter {telefon}.",
        {
            "stelle": {"type": "text", "label": "Stelle", "max_length": 80},
            "telefon": {"type": "phone", "label": "Telefon"},
        },
    ),
    BlockSpec(
        "leuchtturm",
        "Nächster Leuchtturm",
        "Der nächste Katastrophenschutz-Leuchtturm für Sie ist {ort}. Dort gibt es Informationen "
        "und Hilfe, auch ohne Strom und Netz.",
        {"ort": {"type": "place", "label": "Leuchtturm", "max_length": 80}},
        alert_template_key="stromausfall",
    ),
    BlockSpec(
        "trinkwasser",
        "Ist das Wasser sicher?",
        "Aktueller Stand zum Trinkwasser: {stand} Alle Informationen: {link}",
        {
            "stand": {"type": "text", "label": "Stand", "max_length": 120},
            "link": {"type": "url", "label": "Link", "max_length": 60},
        },
        alert_template_key="trinkwasser_abkochen",
    ),
    BlockSpec(
        "wen_anrufen",
        "Wen anrufen?",
        "Bürgertelefon: {telefon}. In Lebensgefahr immer 112.",
        {"telefon": {"type": "phone", "label": "Bürgertelefon"}},
        alert_template_key="hochwasser",
    ),
)


def load_shipped(session: Session, user_id: int | None = None) -> list[ReplyBlock]:
    existing = set(session.scalars(select(ReplyBlock.key)))
    return [
        create_version(session, spec, user_id, note="Mitgelieferter Baustein")
        for spec in SHIPPED
        if spec.key not in existing
    ]
