"""The project's vocabulary: every enumerated value, the drill and update marks, the level colours.

One place, importable from every package (``publisher`` depends on nothing of ours), so nothing
compares against a bare string literal. The enums are ``StrEnum``: their members *are* the
strings stored in the database and written into CAP, so existing rows and documents keep working.
"""

from __future__ import annotations

from enum import StrEnum


class AlertLevel(StrEnum):
    """How serious an alert is; decides colours, CAP urgency/severity and whether crisis mode starts."""

    INFO = "info"
    SEVERE = "severe"
    EXTREME = "extreme"
    ALLCLEAR = "allclear"

    @property
    def rank(self) -> int:
        return LEVEL_RANK[self]

    @property
    def label(self) -> str:
        return LEVEL_LABELS[self]


LEVEL_RANK: dict[AlertLevel, int] = {
    AlertLevel.ALLCLEAR: 0,
    AlertLevel.INFO: 1,
    AlertLevel.SEVERE: 2,
    AlertLevel.EXTREME: 3,
}
LEVEL_LABELS: dict[AlertLevel, str] = {
    AlertLevel.EXTREME: "Extreme Gefahr",
    AlertLevel.SEVERE: "Gefahr",
    AlertLevel.INFO: "Gefahreninformation",
    AlertLevel.ALLCLEAR: "Entwarnung",
}
# RGB, used by the printed notice and the alert tile.
LEVEL_COLOURS: dict[str, tuple[int, int, int]] = {
    AlertLevel.EXTREME: (139, 0, 0),
    AlertLevel.SEVERE: (192, 57, 43),
    AlertLevel.INFO: (185, 119, 14),
    AlertLevel.ALLCLEAR: (30, 132, 73),
    "exercise": (91, 44, 111),
}
NEUTRAL_COLOUR = (51, 51, 51)


def level_colour(level: str | None, drill: bool = False) -> tuple[int, int, int]:
    if drill:
        return LEVEL_COLOURS["exercise"]
    return LEVEL_COLOURS.get(level or "", NEUTRAL_COLOUR)


def hex_colour(rgb: tuple[int, int, int]) -> str:
    """``#rrggbb`` for CSS and scripts (the darksite, the website banner)."""
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def level_hex_colours() -> dict[str, str]:
    """Every level's colour (and the drill's, as ``exercise``) as ``#rrggbb``."""
    return {str(level): hex_colour(rgb) for level, rgb in LEVEL_COLOURS.items()}


class CapStatus(StrEnum):
    """CAP 1.2 ``status``: we send real alerts and drills."""

    ACTUAL = "Actual"
    EXERCISE = "Exercise"


class CapMsgType(StrEnum):
    """CAP 1.2 ``msgType``: an alert, its updates, and the all-clear that cancels the thread."""

    ALERT = "Alert"
    UPDATE = "Update"
    CANCEL = "Cancel"


class DeliveryState(StrEnum):
    PENDING = "pending"  # waiting for a worker (or for its retry time)
    SENDING = "sending"  # claimed by a worker, lease running
    SENT = "sent"  # the platform confirmed; remote id/url recorded
    PREVIEWED = "previewed"  # a preview channel rendered it; nothing reached the public
    FAILED = "failed"  # transient failure, will retry at next_attempt_at
    DEAD = "dead"  # permanent failure or attempts exhausted; a person must look
    UNKNOWN = "unknown"  # outcome unknown and not safe to resend: check the account
    CANCELLED = "cancelled"  # withdrawn before sending (post cancelled, crisis hold)

    @property
    def label(self) -> str:
        return DELIVERY_STATE_LABELS[self]


# What every page (board, dashboard, fallback console) shows for a delivery state.
DELIVERY_STATE_LABELS: dict[DeliveryState, str] = {
    DeliveryState.PENDING: "wartet",
    DeliveryState.SENDING: "wird gesendet",
    DeliveryState.SENT: "gesendet",
    DeliveryState.PREVIEWED: "Vorschau (nicht veröffentlicht)",
    DeliveryState.FAILED: "Fehler – neuer Versuch geplant",
    DeliveryState.DEAD: "fehlgeschlagen",
    DeliveryState.UNKNOWN: "unklar – bitte Konto prüfen",
    DeliveryState.CANCELLED: "abgebrochen",
}


ACTIVE_DELIVERY_STATES = (DeliveryState.PENDING, DeliveryState.SENDING, DeliveryState.FAILED)
FINAL_DELIVERY_STATES = (
    DeliveryState.SENT,
    DeliveryState.PREVIEWED,
    DeliveryState.DEAD,
    DeliveryState.UNKNOWN,
    DeliveryState.CANCELLED,
)


class Lane(StrEnum):
    CRISIS = "crisis"
    COMMUNITY = "community"


class ChannelCategory(StrEnum):
    """What a channel type is for: the one answer to "is this social, plan B, or a preview?"."""

    SOCIAL = "social"  # platforms run by others: reach, but they fail with the network
    FALLBACK = "fallback"  # plan B: ours or independent of social platforms
    PREVIEW = "preview"  # renders only; never reported as sent


CHANNEL_CATEGORIES: dict[str, ChannelCategory] = {
    "mastodon": ChannelCategory.SOCIAL,
    "x": ChannelCategory.SOCIAL,
    "facebook": ChannelCategory.SOCIAL,
    "instagram": ChannelCategory.SOCIAL,
    "bluesky": ChannelCategory.SOCIAL,
    "telegram": ChannelCategory.SOCIAL,
    "apprise": ChannelCategory.SOCIAL,
    "sms": ChannelCategory.FALLBACK,
    "email": ChannelCategory.FALLBACK,
    "webhook": ChannelCategory.FALLBACK,
    "banner": ChannelCategory.FALLBACK,
    "atom": ChannelCategory.FALLBACK,
    "cap": ChannelCategory.FALLBACK,
    "preview": ChannelCategory.PREVIEW,
}


def channel_category(channel_type: str) -> ChannelCategory:
    return CHANNEL_CATEGORIES.get(channel_type, ChannelCategory.SOCIAL)


# The marks every channel's text carries; composed in content_calendar.crisis.compose only.
DRILL_MARK = "ÜBUNG"
UPDATE_MARK = "Aktualisierung"
ALLCLEAR_MARK = "Entwarnung"
MARK_SEPARATOR = " – "


class AlertState(StrEnum):
    """Where an alert is in its lifecycle (content_calendar.crisis.lifecycle owns the transitions)."""

    ACTIVE = "active"  # issued, in force
    REPLACED = "replaced"  # an update took its place; the thread goes on
    ALL_CLEAR = "all_clear"  # ended by a public all-clear
    CLOSED = "closed"  # ended quietly, without a public message (e.g. sent by mistake, superseded)
    EXPIRED = "expired"  # ended because its time ran out


ENDED_ALERT_STATES = (AlertState.ALL_CLEAR, AlertState.CLOSED, AlertState.EXPIRED)
# Levels whose active alerts pause the community calendar unless the settings say otherwise.
DEFAULT_PAUSING_LEVELS = (AlertLevel.SEVERE, AlertLevel.EXTREME)


class InboxState(StrEnum):
    """Where a citizen's comment, mention or message is in the dialog inbox (content_calendar.dialog)."""

    NEW = "new"  # fetched, nobody has taken it
    ASSIGNED = "assigned"  # an editor takes care of it
    ANSWERED = "answered"  # a reply went (or is going) out through the outbox
    CLOSED = "closed"  # closed without an answer (nothing to say, spam, answered elsewhere)

    @property
    def label(self) -> str:
        return INBOX_STATE_LABELS[self]


INBOX_STATE_LABELS: dict[InboxState, str] = {
    InboxState.NEW: "neu",
    InboxState.ASSIGNED: "zugewiesen",
    InboxState.ANSWERED: "beantwortet",
    InboxState.CLOSED: "ohne Antwort geschlossen",
}
OPEN_INBOX_STATES = (InboxState.NEW, InboxState.ASSIGNED)


class InboxKind(StrEnum):
    """What an inbox entry is on its platform."""

    MENTION = "mention"  # @-mention of the account (Mastodon, X, Bluesky)
    REPLY = "reply"  # a reply to one of our posts (Bluesky, X)
    COMMENT = "comment"  # a comment under one of our posts (Facebook, Instagram)
    DIRECT = "direct"  # a direct message (Mastodon direct mention, Telegram bot chat)


class ReplyState(StrEnum):
    """A reply to an inbox entry: a pre-approved block goes out at once, free text waits for four eyes."""

    AWAITING_APPROVAL = "awaiting_approval"
    QUEUED = "queued"  # handed to the outbox (its delivery tells how it went)
    REJECTED = "rejected"


class ReadinessState(StrEnum):
    """Whether a channel will work when an alert goes out (publisher.readiness decides it)."""

    OK = "ok"  # the platform's own credential check passed
    WARNING = "warning"  # works now, but not for long (token expires soon, SMS credit low)
    FAILING = "failing"  # the check failed: an alert would not get through

    @property
    def label(self) -> str:
        return READINESS_LABELS[self]

    @property
    def colour(self) -> str:
        """The traffic-light class the console and dashboard use."""
        return READINESS_COLOURS[self]


READINESS_LABELS: dict[ReadinessState, str] = {
    ReadinessState.OK: "bereit",
    ReadinessState.WARNING: "Warnung",
    ReadinessState.FAILING: "gestört",
}
READINESS_COLOURS: dict[ReadinessState, str] = {
    ReadinessState.OK: "green",
    ReadinessState.WARNING: "amber",
    ReadinessState.FAILING: "red",
}
# The queue of the readiness checks: its own workers, so a slow platform never delays the lanes.
HEALTH_QUEUE = "health"
