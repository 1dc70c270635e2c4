"""The channel adapter contract.

An adapter declares its limits as data, lists every problem with a message before
anything is scheduled (``validate``), turns a message into what the platform gets
(``render``) and sends it (``send``), returning a :class:`Receipt` or raising
:class:`~publisher.errors.DeliveryError`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from publisher.errors import DeliveryError
from publisher.settings import Settings, envsecret, load_settings


@dataclass(frozen=True)
class Media:
    path: str  # file path under the media folder
    alt: str  # alt text; mandatory for accessibility (BITV 2.0)
    mime: str = "image/jpeg"
    public_url: str | None = None  # where platforms that fetch by URL find it


@dataclass(frozen=True)
class Message:
    """What should be said, independent of any channel."""

    text: str
    title: str | None = None
    link: str | None = None
    language: str = "de"
    kind: str = "post"  # "post" | "alert"
    level: str | None = None  # alert level: "extreme" | "severe" | "info" | "allclear"
    drill: bool = False
    expires_at: str | None = None  # ISO 8601
    media: tuple[Media, ...] = ()
    # Per-channel text variants, keyed by channel type or name.
    variants: dict[str, str] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["media"] = [asdict(m) for m in self.media]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Message:
        media = tuple(Media(**m) for m in data.get("media", ()))
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__ and k != "media"}
        return cls(media=media, **known)

    def text_for(self, channel_type: str, channel_name: str | None = None) -> str:
        """The text for one channel: its variant if the editor wrote one, else the base."""
        if channel_name and self.variants.get(channel_name):
            return self.variants[channel_name]
        return self.variants.get(channel_type) or self.text


@dataclass(frozen=True)
class Limits:
    """A channel's limits, declared as data."""

    max_length: int | None = None
    counted_as: str = "characters"  # "characters" | "graphemes" | "weighted" | "segments"
    max_media: int = 0
    alt_text_required: bool = True
    alt_text_max: int | None = None
    link_length: int | None = None  # a URL counts as this many, whatever its length


# Problems with a channel's configuration rather than with the text. A preview channel,
# which sends nothing, ignores them; a real channel reports them like any other.
CONFIG_CODES = frozenset(
    {"config", "host", "from", "list", "address", "no_recipients", "url", "public_url_missing"}
)


@dataclass(frozen=True)
class Problem:
    """One thing an editor must fix, in German, specific."""

    code: str
    text: str


@dataclass(frozen=True)
class Receipt:
    remote_id: str | None
    url: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckResult:
    """The outcome of a credential check, with the facts the platform told us on the way.

    ``expires_at``: when the token stops working, if the platform says so (Graph debug_token).
    ``balance``: prepaid credit left (SMS gateways), in ``currency``. Readiness turns these
    into warnings; an adapter only reports them. ``platform_limits``: what the platform
    states about its limits (stored with the channel; ``None``: nothing new learned).
    """

    ok: bool
    text: str
    expires_at: datetime | None = None
    balance: float | None = None
    currency: str = ""
    platform_limits: dict[str, Any] | None = None


@dataclass(frozen=True)
class ChannelConfig:
    """A channel's configuration as the adapter sees it (secrets resolved on demand)."""

    name: str
    type: str
    base_url: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    http_timeout: float = 15.0
    # What the platform states about its limits, as the readiness check last stored it.
    platform_limits: dict[str, Any] = field(default_factory=dict)
    # The settings the outbox built this configuration with: a send asks them instead of
    # reading the environment again (several times per send, in every sending thread).
    settings: Settings | None = field(default=None, compare=False, repr=False)

    def current_settings(self) -> Settings:
        """The settings this configuration was built with, else the environment's now."""
        return self.settings if self.settings is not None else load_settings()

    def secret(self, key: str) -> str:
        """Resolve credential ``key`` via ``{key}_env`` or ``{key}_file`` options.

        The value itself never lives in the configuration or the database.
        """
        env_name = self.options.get(f"{key}_env")
        if env_name:
            value = envsecret(str(env_name))
            if value:
                return value
        file_name = self.options.get(f"{key}_file")
        if file_name:
            try:
                with open(str(file_name), encoding="utf-8") as handle:
                    value = handle.read().strip()
            except OSError as exc:
                raise DeliveryError(
                    f"Zugangsdaten-Datei für {self.name} nicht lesbar: {exc.strerror}",
                    permanent=True,
                ) from exc
            if value:
                return value
        raise DeliveryError(
            f"Zugangsdaten fehlen für Kanal {self.name}: setzen Sie "
            f"{env_name or '(' + key + '_env)'} oder {key}_file",
            permanent=True,
        )

    def has_secret(self, key: str) -> bool:
        try:
            self.secret(key)
        except DeliveryError:
            return False
        return True


class ChannelAdapter(ABC):
    """Base class of every channel. Subclasses set ``type_name`` and ``limits``."""

    type_name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    limits: ClassVar[Limits] = Limits()
    # True when the platform deduplicates resends by an idempotency key, so an
    # outcome-unknown send is safe to repeat even for community posts.
    idempotent: ClassVar[bool] = False
    # Requests one send makes in a row (Instagram: container, then publish). The outbox
    # starts the longest sends of an alert first, so they do not finish last by waiting.
    requests_per_send: ClassVar[int] = 1

    def __init__(self, config: ChannelConfig) -> None:
        self.config = config
        # Which attempt of its delivery this send is (the outbox sets it): requests that
        # only matter after a failure (quota, "did it get through?") are made on retries only.
        self.attempt = 1
        # The last message's text: validate, render_text and render of the same message
        # (the alert composer calls all three) build it once.
        self._text: tuple[Message, str] | None = None

    # -- editor side -------------------------------------------------------
    def measure(self, text: str) -> int:
        """Length of ``text`` as this platform counts it."""
        return len(text)

    def validate(self, message: Message) -> list[Problem]:
        problems: list[Problem] = []
        text = self.render_text(message)
        limit = self.limits.max_length
        if limit is not None:
            used = self.measure(text)
            if used > limit:
                problems.append(Problem("too_long", self.too_long_text(used, limit)))
        if not text.strip() and not message.media:
            problems.append(Problem("empty", f"{self.label or self.type_name}: Text fehlt"))
        if len(message.media) > self.limits.max_media:
            problems.append(
                Problem(
                    "too_many_media",
                    f"{self.label or self.type_name}: {len(message.media)} Bilder, "
                    f"höchstens {self.limits.max_media} möglich",
                )
            )
        for index, media in enumerate(message.media, start=1):
            if self.limits.alt_text_required and not media.alt.strip():
                problems.append(
                    Problem("alt_missing", f"Bild {index}: Alternativtext fehlt (Barrierefreiheit)")
                )
            if self.limits.alt_text_max and len(media.alt) > self.limits.alt_text_max:
                problems.append(
                    Problem(
                        "alt_too_long",
                        f"Bild {index}: Alternativtext {len(media.alt)} von "
                        f"{self.limits.alt_text_max} Zeichen",
                    )
                )
        return problems

    def too_long_text(self, used: int, limit: int) -> str:
        unit = {"graphemes": "Zeichen (Grapheme)", "weighted": "Zeichen"}.get(
            self.limits.counted_as, "Zeichen"
        )
        extra = ""
        if self.limits.link_length:
            extra = f" — Links zählen {self.limits.link_length}"
        return f"{self.label or self.type_name}: {used} von {limit} {unit}{extra}"

    def render_text(self, message: Message) -> str:
        """The public text of ``message`` on this channel, built once per message object."""
        if self._text is not None and self._text[0] is message:
            return self._text[1]
        text = self.build_text(message)
        self._text = (message, text)
        return text

    def build_text(self, message: Message) -> str:
        # Drill and update marks are already in the text: content_calendar.crisis.compose adds them.
        text = message.text_for(self.type_name, self.config.name)
        if message.link and message.link not in text:
            text = f"{text}\n{message.link}"
        return text

    def render(self, message: Message) -> dict[str, Any]:
        """What the platform gets, as JSON-able data (stored on the delivery)."""
        return {"text": self.render_text(message)}

    # -- worker side -------------------------------------------------------
    @abstractmethod
    def send(self, rendered: dict[str, Any], message: Message, idempotency_key: str) -> Receipt:
        """Post ``rendered``; return the receipt or raise DeliveryError."""

    def check(self) -> CheckResult:
        """Verify credentials and reachability without posting."""
        return CheckResult(True, "keine Prüfung nötig")
