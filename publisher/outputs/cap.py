"""CAP 1.2 documents: the one writer for the public CAP channel and the MoWaS hand-over.

A municipality usually cannot trigger the national warning system (MoWaS) itself;
the district control centre can, from a CAP file. Both that file and the public
CAP feed are built here from ``Message.extras`` (identifier, sender, sent, status,
msg_type, references, texts with one ``<info>`` per language, cap: the template's
category/urgency/... plus ``ars`` and ``bbk_event_code``) and a :class:`CapProfile`
(what the municipality configured once: its name, area, ARS).

Rules of OASIS CAP 1.2 (http://docs.oasis-open.org/emergency/cap/v1.2/) kept here:
times carry seconds and a numeric offset, never "Z" and no fractions, and UTC is
written ``-00:00`` (spec section 3.3.2); ``references`` is a space-separated list
of ``sender,identifier,sent`` of each earlier message, where ``sent`` is exactly
that message's own ``<sent>``; identifiers contain no spaces, commas or ``<&``.

Facts of the BBK profile for MoWaS, as seen in the documents warnung.bund.de
publishes: ``<eventCode>`` with valueName ``profile:DE-BBK-EVENTCODE`` and a value
``BBK-EVC-nnn``; ``<parameter>`` ``warnVerwaltungsbereiche`` with the 12-digit
Amtlicher Regionalschlüssel (ARS), several separated by commas; the area's
``<geocode>`` ``SHN`` with the same ARS; ``sender_langname`` naming the issuer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypedDict
from zoneinfo import ZoneInfo

from lxml import etree

from publisher.channels.base import Message
from publisher.vocabulary import DRILL_MARK, AlertLevel, CapMsgType, CapStatus

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
# CAP 1.2, 3.3.2: "The timezone for UTC MUST be represented as '-00:00'".
UTC_DESIGNATOR = "-00:00"
FORBIDDEN_IN_IDENTIFIER = re.compile(r"[\s,<&]")
LANGUAGE_RE = re.compile(r"^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$")
# Our language keys → RFC 3066 values for <language> (de-x-ls: Leichte Sprache, private use).
LANGUAGES = {"de": "de-DE", "en": "en-GB", "de-x-ls": "de-DE-x-ls", "tr": "tr-TR", "uk": "uk-UA", "ar": "ar"}
# Alert level → (urgency, severity, certainty) when the template names none.
LEVEL_DEFAULTS: dict[str, tuple[str, str, str]] = {
    AlertLevel.EXTREME: ("Immediate", "Extreme", "Observed"),
    AlertLevel.SEVERE: ("Expected", "Severe", "Likely"),
    AlertLevel.INFO: ("Future", "Minor", "Possible"),
    AlertLevel.ALLCLEAR: ("Past", "Minor", "Observed"),
}
MSG_TYPES = (*(t.value for t in CapMsgType), "Ack", "Error")

ARS_RE = re.compile(r"^\d{12}$")
BBK_EVENT_CODE_RE = re.compile(r"^BBK-EVC-\d{3}$")
BBK_EVENT_PROFILE = "profile:DE-BBK-EVENTCODE"
# The code NINA clients fall back to when a warning names none; templates should name theirs.
DEFAULT_BBK_EVENT_CODE = "BBK-EVC-001"
ARS_PARAMETER = "warnVerwaltungsbereiche"
ARS_GEOCODE = "SHN"
SENDER_NAME_PARAMETER = "sender_langname"


class CapReference(TypedDict):
    """One earlier message of the thread, as CAP ``references`` names it."""

    sender: str
    identifier: str
    sent: str  # exactly the string of that message's own <sent>


class CapError(ValueError):
    """A CAP document cannot be written as configured; the message says what to fix, in German."""


def cap_time(value: str | datetime, timezone: str) -> str:
    """A CAP date-time: seconds, numeric offset, no fraction, never "Z", UTC as ``-00:00``.

    The one formatter for sent, effective, onset, expires and references. A naive
    value is taken as UTC (the database stores UTC).
    """
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    local = when.astimezone(ZoneInfo(timezone)).replace(microsecond=0)
    text = local.isoformat()
    if local.utcoffset() == timedelta(0):
        return text[: -len("+00:00")] + UTC_DESIGNATOR
    return text


def reference_to(sender: str, identifier: str, sent: str | datetime, timezone: str) -> CapReference:
    """The reference to an earlier message; ``sent`` formatted exactly as its own ``<sent>``."""
    return CapReference(sender=sender, identifier=clean_identifier(identifier), sent=cap_time(sent, timezone))


def references_text(references: Any, timezone: str) -> str:
    """CAP ``references``: ``sender,identifier,sent`` per earlier message, separated by spaces.

    ``references`` is a list of :class:`CapReference` mappings; anything else is refused
    with a :class:`CapError` instead of being written as a malformed document.
    """
    if isinstance(references, str | bytes) or not isinstance(references, Iterable):
        raise CapError("CAP-Verweise müssen eine Liste von {sender, identifier, sent} sein")
    entries = []
    for number, ref in enumerate(references, start=1):
        if not isinstance(ref, Mapping):
            raise CapError(f"CAP-Verweis Nr. {number}: {{sender, identifier, sent}} erwartet, nicht {ref!r}")
        missing = [key for key in ("sender", "identifier", "sent") if not str(ref.get(key) or "").strip()]
        if missing:
            raise CapError(f"CAP-Verweis Nr. {number}: {', '.join(missing)} fehlt")
        sender = str(ref["sender"])
        if FORBIDDEN_IN_IDENTIFIER.search(sender):
            raise CapError(f"CAP-Verweis Nr. {number}: Absender {sender!r} enthält Leerzeichen oder Kommas")
        identifier = clean_identifier(str(ref["identifier"]))
        try:
            sent = cap_time(ref["sent"], timezone)
        except (TypeError, ValueError) as exc:
            raise CapError(
                f"CAP-Verweis Nr. {number}: Zeitpunkt {ref['sent']!r} ist kein Datum mit Uhrzeit"
            ) from exc
        entries.append(f"{sender},{identifier},{sent}")
    return " ".join(entries)


def cap_language(key: str) -> str:
    value = LANGUAGES.get(key, key)
    return value if LANGUAGE_RE.match(value) else LANGUAGES["de"]


def clean_identifier(value: str) -> str:
    return FORBIDDEN_IN_IDENTIFIER.sub("-", value)


def ars_values(value: Any) -> tuple[str, ...]:
    """The ARS of a template or channel option: one string, a comma-separated string or a list."""
    if value is None or value == "":
        return ()
    items = value.split(",") if isinstance(value, str) else list(value)
    return tuple(str(item).strip() for item in items if str(item).strip())


def ars_problems(values: Iterable[str]) -> list[str]:
    """One German message per ARS that is not the 12-digit Amtlicher Regionalschlüssel."""
    return [
        f"Amtlicher Regionalschlüssel {value!r} muss genau 12 Ziffern haben "
        "(z. B. 053150000000 für Köln; 5-stellige Kreisschlüssel mit Nullen auffüllen)"
        for value in values
        if not ARS_RE.match(value)
    ]


def event_code_problem(code: str) -> str | None:
    if BBK_EVENT_CODE_RE.match(code):
        return None
    return f"BBK-Ereigniscode {code!r} hat nicht die Form BBK-EVC-nnn (z. B. BBK-EVC-001)"


@dataclass(frozen=True)
class CapProfile:
    """What a municipality configures once for its CAP documents (the ``[channels.cap]`` options)."""

    timezone: str = "Europe/Berlin"
    sender_name: str = ""  # the city, e.g. "Stadt Musterstadt": <senderName> and sender_langname
    area_desc: str = ""
    ars: tuple[str, ...] = ()  # default ARS for every alert; a template's cap.ars replaces it
    geocodes: Mapping[str, str] = field(default_factory=dict)  # further geocodes, name → value
    contact: str = ""
    source: str = ""
    fallback_sender: str = ""  # only for a message that carries no sender

    @classmethod
    def from_options(cls, options: Mapping[str, Any], timezone: str) -> CapProfile:
        return cls(
            timezone=timezone,
            sender_name=str(options.get("sender_name") or ""),
            area_desc=str(options.get("area_desc") or ""),
            ars=ars_values(options.get("ars")),
            geocodes={str(k): str(v) for k, v in dict(options.get("geocodes") or {}).items()},
            contact=str(options.get("contact") or ""),
            source=str(options.get("source") or ""),
            fallback_sender=str(options.get("sender") or ""),
        )

    def problems(self) -> list[str]:
        """Configuration problems, in German, for the channel's readiness check."""
        return ars_problems(self.ars)


def message_sender(message: Message, profile: CapProfile) -> str:
    """The one CAP sender: the producer's (``cap_sender()``), else the configured fallback."""
    return str(message.extras.get("sender") or profile.fallback_sender or "")


def message_ars(message: Message, profile: CapProfile) -> tuple[str, ...]:
    """The template's ARS if it names any, else the municipality's."""
    return ars_values((message.extras.get("cap") or {}).get("ars")) or profile.ars


def message_event_code(message: Message) -> str:
    cap = message.extras.get("cap") or {}
    return str(cap.get("bbk_event_code") or DEFAULT_BBK_EVENT_CODE)


def message_texts(message: Message) -> dict[str, dict[str, str]]:
    """Headline and text per language; the message's own language as the composer marked it.

    The composer puts the drill and update marks ("ÜBUNG – Aktualisierung – …") into the
    message's title and text, so CAP says what every other channel says.
    """
    texts = message.extras.get("texts") or {}
    if not texts:
        if message.text.strip():
            return {message.language: {"headline": message.title or "", "text": message.text}}
        return {}
    out = {str(k): {p: str(t) for p, t in dict(v).items()} for k, v in texts.items()}
    own = out.get(message.language)
    if own is not None:
        own.update(
            {
                "headline": message.title or own.get("headline", ""),
                "text": message.text or own.get("text", ""),
            }
        )
    return out


# Problem codes about the set-up or the thread rather than the text. A template check renders a
# sample without sender or thread and ignores "config"; sending refuses every problem.
CONFIG = "config"


def document_problems(message: Message, profile: CapProfile) -> list[tuple[str, str]]:
    """Every reason (code, German text) why ``message`` would not make a correct CAP document."""
    extras = message.extras
    problems: list[tuple[str, str]] = []
    sender = message_sender(message, profile)
    if not sender or FORBIDDEN_IN_IDENTIFIER.search(sender):
        problems.append(
            (
                CONFIG,
                "CAP: Absender fehlt oder enthält Leerzeichen/Kommas "
                "(ERNSTFALL_CAP_SENDER, z. B. warnung@stadt.de)",
            )
        )
    msg_type = str(extras.get("msg_type") or CapMsgType.ALERT)
    if msg_type not in MSG_TYPES:
        problems.append(("msg_type", f"CAP: msgType {msg_type!r} ungültig"))
    if msg_type in (CapMsgType.UPDATE, CapMsgType.CANCEL) and not extras.get("references"):
        problems.append((CONFIG, f"CAP: {msg_type} braucht den Verweis auf die ursprüngliche Warnung"))
    elif extras.get("references"):
        try:
            references_text(extras["references"], profile.timezone)
        except CapError as exc:
            problems.append(("references", f"CAP: {exc}"))
    if not (extras.get("cap") or {}).get("areaDesc") and not profile.area_desc and not extras.get("area"):
        problems.append(("area", "CAP: Gebietsbeschreibung (area_desc) fehlt"))
    template_ars = ars_values((extras.get("cap") or {}).get("ars"))
    ars_code = "ars" if template_ars else CONFIG  # the template's own ARS, or the channel's set-up
    problems += [(ars_code, f"CAP: {text}") for text in ars_problems(message_ars(message, profile))]
    event_problem = event_code_problem(message_event_code(message))
    if event_problem:
        problems.append(("event_code", f"CAP: {event_problem}"))
    return problems


def cap_document(message: Message, profile: CapProfile, *, fallback_identifier: str = "preview") -> bytes:
    """The CAP 1.2 document of ``message``; raises :class:`CapError` if references or ARS are wrong."""
    ars = message_ars(message, profile)
    if ars_problems(ars):
        raise CapError("; ".join(ars_problems(ars)))
    root = etree.Element(f"{{{CAP_NS}}}alert", nsmap={None: CAP_NS})
    _alert_head(root, message, profile, fallback_identifier)
    for language, parts in message_texts(message).items():
        _info(root, message, profile, language, parts, ars)
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return data


def _add(parent: etree._Element, tag: str, text: Any) -> etree._Element | None:
    if text is None or str(text) == "":
        return None
    element = etree.SubElement(parent, f"{{{CAP_NS}}}{tag}")
    element.text = str(text)
    return element


def _pair(parent: etree._Element, tag: str, name: str, value: str) -> None:
    element = etree.SubElement(parent, f"{{{CAP_NS}}}{tag}")
    _add(element, "valueName", name)
    _add(element, "value", value)


def _alert_head(
    root: etree._Element, message: Message, profile: CapProfile, fallback_identifier: str
) -> None:
    """The ``<alert>`` elements before the first ``<info>``, in the schema's order."""
    extras = message.extras
    drill = message.drill or extras.get("status") == CapStatus.EXERCISE
    _add(
        root,
        "identifier",
        clean_identifier(str(extras.get("identifier") or f"ernstfall-{fallback_identifier}")),
    )
    _add(root, "sender", message_sender(message, profile) or "ernstfall@invalid")
    _add(root, "sent", cap_time(extras.get("sent") or datetime.now(UTC), profile.timezone))
    _add(root, "status", CapStatus.EXERCISE if drill else str(extras.get("status") or CapStatus.ACTUAL))
    _add(root, "msgType", str(extras.get("msg_type") or CapMsgType.ALERT))
    _add(root, "source", profile.source)
    _add(root, "scope", "Public")
    if drill:
        _add(root, "note", f"{DRILL_MARK} / Exercise")
    references = extras.get("references") or []
    if references:
        _add(root, "references", references_text(references, profile.timezone))


def _info(
    root: etree._Element,
    message: Message,
    profile: CapProfile,
    language: str,
    parts: Mapping[str, str],
    ars: tuple[str, ...],
) -> None:
    """One ``<info>`` block, elements in the order the schema requires."""
    extras = message.extras
    cap: Mapping[str, Any] = extras.get("cap") or {}
    tz = profile.timezone
    urgency, severity, certainty = LEVEL_DEFAULTS.get(message.level or "", LEVEL_DEFAULTS[AlertLevel.INFO])
    info = etree.SubElement(root, f"{{{CAP_NS}}}info")
    _add(info, "language", cap_language(language))
    _add(info, "category", cap.get("category") or "Safety")
    _add(info, "event", cap.get("event") or extras.get("event") or message.title or "Warnung")
    allclear = message.level == AlertLevel.ALLCLEAR
    _add(info, "responseType", "AllClear" if allclear else cap.get("responseType"))
    _add(info, "urgency", cap.get("urgency") or urgency)
    _add(info, "severity", cap.get("severity") or severity)
    _add(info, "certainty", cap.get("certainty") or certainty)
    _pair(info, "eventCode", BBK_EVENT_PROFILE, message_event_code(message))
    for tag in ("effective", "onset"):
        if extras.get(tag):
            _add(info, tag, cap_time(extras[tag], tz))
    if message.expires_at:
        _add(info, "expires", cap_time(message.expires_at, tz))
    _add(info, "senderName", profile.sender_name)
    _add(info, "headline", parts.get("headline") or message.title)
    _add(info, "description", parts.get("text"))
    _add(info, "instruction", parts.get("instruction"))
    _add(info, "web", message.link)
    _add(info, "contact", profile.contact)
    if ars:
        _pair(info, "parameter", ARS_PARAMETER, ",".join(ars))
    if profile.sender_name:
        _pair(info, "parameter", SENDER_NAME_PARAMETER, profile.sender_name)
    area = etree.SubElement(info, f"{{{CAP_NS}}}area")
    _add(area, "areaDesc", cap.get("areaDesc") or extras.get("area") or profile.area_desc or "Gemeindegebiet")
    for value in ars:
        _pair(area, "geocode", ARS_GEOCODE, value)
    for name, value in profile.geocodes.items():
        _pair(area, "geocode", name, value)
