"""The life of an alert template: versions, the four-eyes approval, rendering checks.

Editing never changes an approved version: it adds a new version that is not usable
until a second person approved it. Until then the previous approved version stays the
``current`` one, so the library is usable in a crisis while someone edits. Every
version stays in the table, and the audit log records each with its full content.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from content_calendar.accounts.models import audit
from content_calendar.catalogues import N_, Msg
from content_calendar.crisis.compose import alert_message, fill_texts
from content_calendar.crisis.models import Alert, AlertTemplate
from content_calendar.crisis.placeholders import TYPES, fields_in, sample_values
from content_calendar.crisis.template_library import REQUIRED_LANGUAGES, TEMPLATES
from content_calendar.refusal import Refused
from publisher.channels.base import ChannelAdapter, ChannelConfig, Message
from publisher.channels.registry import UnknownChannelType, adapter_class
from publisher.db import utcnow
from publisher.models import Channel
from publisher.settings import Settings
from publisher.vocabulary import LEVEL_LABELS, CapMsgType, CapStatus, Lane

LEVELS: dict[str, str] = {str(level): label for level, label in LEVEL_LABELS.items()}
CAP_VALUES = {
    "category": {
        "Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health",
        "Env", "Transport", "Infra", "CBRNE", "Other",
    },
    "urgency": {"Immediate", "Expected", "Future", "Past", "Unknown"},
    "severity": {"Extreme", "Severe", "Moderate", "Minor", "Unknown"},
    "certainty": {"Observed", "Likely", "Possible", "Unlikely", "Unknown"},
    "responseType": {
        "Shelter", "Evacuate", "Prepare", "Execute", "Avoid", "Monitor", "Assess", "AllClear", "None",
    },
}  # fmt: skip
LANGUAGE_LABELS = {
    "de": N_("Deutsch"),
    "en": N_("Englisch"),
    "de-x-ls": N_("Leichte Sprache"),
    "tr": N_("Türkisch"),
    "ar": N_("Arabisch"),
    "uk": N_("Ukrainisch"),
    "ru": N_("Russisch"),
    "pl": N_("Polnisch"),
}
KEY_RE = re.compile(r"^[a-z0-9_]{2,60}$")
SMS_MAX_SEGMENTS = 2
# Checked at approval whatever channels are configured today: the promise made to
# citizens (SMS fits in two segments, the X text fits, the banner headline is short).
BASELINE_TYPES = ("sms", "x", "bluesky", "banner")
# Problems about a channel's set-up, not the template's text: not the approver's business.
CONFIG_PROBLEMS = {"no_recipients", "provider", "bad_recipient", "credentials", "config", "not_configured"}


class TemplateError(Refused):
    """A refused request (see content_calendar.refusal)."""


def validate_spec(spec: dict[str, Any]) -> dict[str, str]:
    """Every problem with a template's content, keyed by field, in German."""
    problems: dict[str, str] = {}
    if not KEY_RE.match(str(spec.get("key", ""))):
        problems["key"] = Msg("Kürzel: 2–60 Kleinbuchstaben, Ziffern oder _")
    for name, label in (("name", Msg("Name")), ("event", Msg("Ereignis"))):
        value = str(spec.get(name) or "").strip()
        if not value:
            problems[name] = Msg("%(label)s fehlt", label=label)
        elif len(value) > 200:
            problems[name] = Msg("%(label)s: höchstens 200 Zeichen", label=label)
    if spec.get("level") not in LEVELS:
        problems["level"] = Msg("Warnstufe wählen: %(levels)s", levels=", ".join(LEVELS.values()))
    cap = spec.get("cap") or {}
    for name, allowed in CAP_VALUES.items():
        if cap.get(name) not in allowed:
            allowed_text = ", ".join(sorted(allowed))
            problems[f"cap.{name}"] = Msg(
                "CAP %(name)s: einer von %(allowed)s", name=name, allowed=allowed_text
            )
    placeholders = spec.get("placeholders") or {}
    for name, meta in placeholders.items():
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,39}", name):
            problems[f"placeholder.{name}"] = Msg(
                "Platzhalter %(name)r: nur Kleinbuchstaben, Ziffern, _", name=name
            )
        elif meta.get("type", "text") not in TYPES:
            problems[f"placeholder.{name}"] = Msg(
                "Platzhalter %(name)s: unbekannter Typ %(type)r", name=name, type=meta.get("type")
            )
    texts = spec.get("texts") or {}
    for lang in REQUIRED_LANGUAGES:
        if lang not in texts:
            problems[f"texts.{lang}"] = Msg("Text in %(language)s fehlt", language=Msg(LANGUAGE_LABELS[lang]))
    for lang, parts in texts.items():
        label = Msg(LANGUAGE_LABELS.get(lang, lang))
        if not str(parts.get("headline") or "").strip():
            problems[f"texts.{lang}.headline"] = Msg("%(language)s: Überschrift fehlt", language=label)
        if not str(parts.get("text") or "").strip():
            problems[f"texts.{lang}.text"] = Msg("%(language)s: Text fehlt", language=label)
        for part, text in parts.items():
            try:
                used = fields_in(str(text))
            except ValueError:
                problems[f"texts.{lang}.{part}"] = Msg(
                    "%(language)s: geschweifte Klammern passen nicht zusammen", language=label
                )
                continue
            unknown = sorted(used - set(placeholders))
            if unknown:
                problems[f"texts.{lang}.{part}"] = Msg(
                    "%(language)s: Platzhalter %(names)s ist nicht definiert",
                    language=label,
                    names=", ".join("{" + u + "}" for u in unknown),
                )
    return problems


def template_spec(template: AlertTemplate) -> dict[str, Any]:
    """The content of a version, as stored in the audit log and offered for editing."""
    return {
        "key": template.key,
        "name": template.name,
        "event": template.event,
        "level": template.level,
        "cap": dict(template.cap),
        "channel_names": list(template.channel_names),
        "texts": {lang: dict(parts) for lang, parts in template.texts.items()},
        "placeholders": {name: dict(meta) for name, meta in template.placeholders.items()},
        "link": template.link,
    }


def versions(session: Session, key: str) -> list[AlertTemplate]:
    return list(
        session.scalars(
            select(AlertTemplate).where(AlertTemplate.key == key).order_by(AlertTemplate.version.desc())
        )
    )


def create_version(
    session: Session, spec: dict[str, Any], user_id: int | None, note: str = ""
) -> AlertTemplate:
    """Add a new, unapproved version of ``spec['key']`` (version 1 for a new template)."""
    problems = validate_spec(spec)
    if problems:
        raise TemplateError(Msg("Vorlage unvollständig oder ungültig"), problems)
    latest = session.scalar(select(func.max(AlertTemplate.version)).where(AlertTemplate.key == spec["key"]))
    template = AlertTemplate(
        key=spec["key"],
        version=(latest or 0) + 1,
        name=spec["name"].strip(),
        event=spec["event"].strip(),
        level=spec["level"],
        cap=dict(spec["cap"]),
        channel_names=list(spec.get("channel_names") or []),
        texts={
            lang: {k: str(v).strip() for k, v in parts.items() if str(v).strip()}
            for lang, parts in spec["texts"].items()
        },
        placeholders=dict(spec.get("placeholders") or {}),
        link=spec.get("link") or None,
        current=False,  # becomes current when approved
        created_by_id=user_id,
        change_note=note or None,
        created_at=utcnow(),
    )
    session.add(template)
    session.flush()
    audit(session, "template.version_created", user_id, template, spec=template_spec(template), note=note)
    return template


@dataclass
class CheckReport:
    """What each channel's adapter said about the renderings, per language."""

    problems: dict[str, str] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    renderings: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"problems": self.problems, "notes": self.notes, "renderings": self.renderings}


def _adapters(session: Session, template: AlertTemplate, settings: Settings) -> dict[str, ChannelAdapter]:
    from publisher.outbox import adapter_for

    found: dict[str, ChannelAdapter] = {}
    wanted = set(template.channel_names)
    for channel in session.scalars(select(Channel).where(Channel.enabled.is_(True))):
        if channel.serves(Lane.CRISIS) and (
            channel.name in wanted or channel.type in wanted or channel.type == "banner"
        ):
            try:
                found[channel.name] = adapter_for(channel, settings)
            except (UnknownChannelType, ImportError):
                continue
    covered = {a.type_name for a in found.values()} | {
        str(a.config.options.get("imitates")) for a in found.values()
    }
    for channel_type in BASELINE_TYPES:
        if channel_type in covered:
            continue
        try:
            cls = adapter_class(channel_type)
        except (UnknownChannelType, ImportError):
            continue
        options = {"max_segments": SMS_MAX_SEGMENTS} if channel_type == "sms" else {}
        found[channel_type] = cls(ChannelConfig(name=channel_type, type=channel_type, options=options))
    return found


def sample_message(
    template: AlertTemplate, lang: str, drill: bool = False, msg_type: str = CapMsgType.ALERT
) -> Message:
    """The message the composer would build with the longest allowed values (marks included)."""
    texts = fill_texts(template.texts, sample_values(template.placeholders))
    draft = Alert(
        id=0,
        identifier="pruefung",
        msg_type=msg_type,
        status=CapStatus.EXERCISE if drill else CapStatus.ACTUAL,
        level=template.level,
        headline=texts[lang].get("headline", template.name),
        texts=texts,
        link=template.link,
        created_at=utcnow(),
    )
    draft.template = template
    return alert_message(draft, language=lang)


def check_renderings(session: Session, template: AlertTemplate, settings: Settings) -> CheckReport:
    """Render every language for every channel with the longest allowed values.

    Uses the adapters' own ``validate`` (one place counts length per channel); the SMS
    check runs with ``max_segments = 2``, because that is what we promise to pay for.
    """
    report = CheckReport()
    adapters = _adapters(session, template, settings)
    for missing in (t for t in BASELINE_TYPES if t not in {a.type_name for a in adapters.values()}):
        if not any(a.config.options.get("imitates") == missing for a in adapters.values()):
            report.notes[missing] = f"Kanaltyp {missing} ist nicht installiert — nicht geprüft"
    for lang in template.texts:
        # "ÜBUNG – " and "Aktualisierung – " must fit as well: the composer adds them.
        for drill, msg_type in (
            (False, CapMsgType.ALERT),
            (True, CapMsgType.ALERT),
            (True, CapMsgType.UPDATE),
        ):
            message = sample_message(template, lang, drill, msg_type)
            for name, adapter in adapters.items():
                extra = (", Übung" if drill else "") + (
                    ", Aktualisierung" if msg_type == CapMsgType.UPDATE else ""
                )
                key = f"{name} ({LANGUAGE_LABELS.get(lang, lang)}{extra})"
                found = [p.text for p in adapter.validate(message) if p.code not in CONFIG_PROBLEMS]
                if found:
                    report.problems[key] = "; ".join(dict.fromkeys(found))
                if not drill and msg_type == CapMsgType.ALERT and lang == "de":
                    report.renderings[name] = adapter.render_text(message)
    return report


def approve(session: Session, template: AlertTemplate, approver_id: int, settings: Settings) -> CheckReport:
    """Four eyes: a second person approves after every channel accepted the renderings."""
    if template.approved_at is not None:
        raise TemplateError(
            Msg("Version %(version)s ist bereits freigegeben", version=template.version), status=409
        )
    newest = versions(session, template.key)[0]
    if newest.id != template.id:
        newer = Msg("Es gibt eine neuere Version (%(version)s); bitte diese prüfen", version=newest.version)
        raise TemplateError(newer, status=409)
    if template.created_by_id is not None and template.created_by_id == approver_id:
        raise TemplateError(
            Msg("Vier-Augen-Prinzip: Wer eine Vorlage bearbeitet hat, kann sie nicht selbst freigeben"),
            status=403,
        )
    report = check_renderings(session, template, settings)
    template.check_report = report.as_dict()
    if report.problems:
        audit(session, "template.check_failed", approver_id, template, problems=report.problems)
        raise TemplateError(Msg("Die Vorlage passt nicht in alle Kanäle"), report.problems)
    for older in versions(session, template.key):
        older.current = False
    template.current = True
    template.approved_by_id = approver_id
    template.approved_at = utcnow()
    audit(session, "template.approved", approver_id, template, version=template.version)
    return report


def load_library(session: Session, user_id: int | None = None) -> list[AlertTemplate]:
    """Add the shipped templates that are not there yet, as unapproved version 1."""
    existing = set(session.scalars(select(AlertTemplate.key)))
    return [
        create_version(session, spec, user_id, note="Mitgelieferte Vorlage")
        for spec in TEMPLATES
        if spec["key"] not in existing
    ]


def library(session: Session) -> list[tuple[AlertTemplate | None, AlertTemplate]]:
    """Per key: the usable version (or None) and the newest version."""
    rows: dict[str, list[AlertTemplate]] = {}
    for template in session.scalars(
        select(AlertTemplate).order_by(AlertTemplate.key, AlertTemplate.version.desc())
    ):
        rows.setdefault(template.key, []).append(template)
    result = []
    for items in rows.values():
        usable = next((t for t in items if t.usable), None)
        result.append((usable, items[0]))
    return sorted(result, key=lambda pair: pair[1].name)
