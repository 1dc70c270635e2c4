"""Typed request and response bodies of /api/v1.

These models are the one description of the API: every request is validated against them
and the OpenAPI document at /api/v1/openapi.json is generated from them (spec.py). A field's
``title`` is its German label in error messages; ``item_messages`` says what a wrong entry
inside a list or mapping field gets.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Self

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from content_calendar.calendar.limits import (
    CHANNELS_MAX,
    IDEMPOTENCY_KEY_MAX,
    LINK_MAX,
    TEXT_MAX,
    THEME_MAX,
    TITLE_MAX,
    VARIABLES_MAX,
    link_problem,
)
from content_calendar.crisis.models import Alert
from publisher.models import Delivery
from publisher.vocabulary import AlertLevel, AlertState, CapMsgType, CapStatus, DeliveryState

DELIVERIES_LIMIT_MAX = 1000
# Error types raised by our own validators; their message is already German and complete.
CUSTOM_ERROR_PREFIX = "ernstfall_"


class ApiModel(BaseModel):
    """Unknown fields are ignored, as before the models existed (clients may send more)."""

    model_config = ConfigDict(extra="ignore")
    item_messages: ClassVar[dict[str, str]] = {}


def _aware_datetime(value: object) -> object:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise PydanticCustomError(
            f"{CUSTOM_ERROR_PREFIX}time_type", "Zeit als Text im Format ISO 8601 erwartet"
        )
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise PydanticCustomError(
            f"{CUSTOM_ERROR_PREFIX}time_format",
            "Zeit im Format ISO 8601 mit Zeitzone, z. B. 2026-12-01T10:00:00+01:00",
        ) from None
    if when.tzinfo is None:
        raise PydanticCustomError(
            f"{CUSTOM_ERROR_PREFIX}time_naive", "Zeit ohne Zeitzone: bitte mit Versatz angeben (+01:00)"
        )
    try:
        return when.astimezone(UTC)
    except OverflowError:  # e.g. 9999-12-31T23:00:00-05:00 is past the last representable instant
        raise PydanticCustomError(
            f"{CUSTOM_ERROR_PREFIX}time_range", "Zeit außerhalb des darstellbaren Bereichs"
        ) from None


def _web_link(value: str) -> str:
    problem = link_problem(value)
    if problem:
        raise PydanticCustomError(f"{CUSTOM_ERROR_PREFIX}link", problem)
    return value


def _clamp_limit(value: int) -> int:
    return min(DELIVERIES_LIMIT_MAX, max(1, value))


AwareDateTime = Annotated[datetime, BeforeValidator(_aware_datetime)]
StrictText = Annotated[str, Field(strict=True)]
WebLink = Annotated[str, Field(strict=True, max_length=LINK_MAX), AfterValidator(_web_link)]


# Requests ---------------------------------------------------------------------------------


class PostIn(ApiModel):
    """A community post; it goes to review unless ``submit`` is false."""

    item_messages: ClassVar[dict[str, str]] = {
        "channels": "Kanäle: Liste von Namen erwartet",
        "variants": "Varianten: Texte erwartet",
    }

    text: Annotated[StrictText, Field(title="Text", max_length=TEXT_MAX)]
    channels: Annotated[list[StrictText], Field(title="Kanäle", max_length=CHANNELS_MAX)]
    publish_at: Annotated[
        AwareDateTime, Field(title="Veröffentlichungszeit", description="ISO 8601 mit Zeitzone")
    ]
    title: Annotated[StrictText | None, Field(title="Titel", max_length=TITLE_MAX)] = None
    theme: Annotated[StrictText | None, Field(title="Thema", max_length=THEME_MAX)] = None
    link: Annotated[WebLink | None, Field(title="Link", description="nur http:// oder https://")] = None
    variants: Annotated[
        dict[str, Annotated[StrictText, Field(max_length=TEXT_MAX)]] | None,
        Field(title="Varianten", description="eigener Text je Kanalname", max_length=CHANNELS_MAX),
    ] = None
    submit: Annotated[
        bool | None, Field(strict=True, title="Zur Freigabe", description="gleich zur Freigabe (Standard)")
    ] = None


class AlertIn(ApiModel):
    """An alert from an approved template."""

    item_messages: ClassVar[dict[str, str]] = {"variables": "Variablen: Texte erwartet"}

    template: Annotated[
        StrictText, Field(title="Vorlage", description="Schlüssel der Vorlage", max_length=80)
    ]
    variables: Annotated[
        dict[str, Annotated[StrictText, Field(max_length=TEXT_MAX)]] | None,
        Field(title="Variablen", max_length=VARIABLES_MAX),
    ] = None
    idempotency_key: Annotated[
        StrictText | None,
        Field(
            title="Idempotenzschlüssel",
            description="oder Header Idempotency-Key; gleicher Schlüssel = eine Warnung",
            max_length=IDEMPOTENCY_KEY_MAX,
        ),
    ] = None
    drill: Annotated[bool | None, Field(strict=True, title="Übung")] = None
    confirm_parallel: Annotated[
        bool | None,
        Field(
            strict=True,
            title="Zweite Warnung bestätigt",
            description="nötig, wenn aus derselben Vorlage schon eine Warnung aktiv ist",
        ),
    ] = None


class AlertHeaders(ApiModel):
    idempotency_key: Annotated[
        str | None,
        Field(alias="Idempotency-Key", title="Idempotenzschlüssel", max_length=IDEMPOTENCY_KEY_MAX),
    ] = None


class DeliveryQuery(ApiModel):
    state: Annotated[DeliveryState | None, Field(title="Zustand")] = None
    limit: Annotated[
        int, Field(title="Anzahl", description=f"1 bis {DELIVERIES_LIMIT_MAX}"), AfterValidator(_clamp_limit)
    ] = 100


# Responses --------------------------------------------------------------------------------


class Problem(BaseModel):
    """An error as an RFC 9457 (formerly 7807) problem document, in German.

    ``error`` repeats ``detail`` for clients written before the problem members existed;
    ``problems`` names each bad field with its message.
    """

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    error: str
    problems: dict[str, str] | None = None


class RowOut(BaseModel):
    """An answer read from an object's attributes of the same names (a row, a dataclass)."""

    model_config = ConfigDict(from_attributes=True)

    @classmethod
    def of(cls, row: object) -> Self:
        return cls.model_validate(row)


class PostOut(RowOut):
    id: int
    title: str
    text: str
    theme: str | None
    state: str
    publish_at: datetime
    channel_ids: Annotated[list[int], BeforeValidator(lambda ids: list(ids or []))]
    held_reason: str | None


class DeliverySource(BaseModel):
    kind: str
    id: int | None


class DeliveryOut(BaseModel):
    id: int
    channel: str
    channel_type: str
    lane: str
    source: DeliverySource
    state: DeliveryState
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    platform_message: str | None
    remote_id: str | None
    remote_url: str | None
    dispatched_inline: bool
    rendered: dict[str, Any] | None
    sent_at: datetime | None

    @classmethod
    def of(cls, d: Delivery) -> DeliveryOut:
        return cls(
            id=d.id,
            channel=d.channel.name,
            channel_type=d.channel.type,
            lane=d.lane,
            source=DeliverySource(kind=d.source_kind, id=d.source_id),
            state=DeliveryState(d.state),
            attempts=d.attempts,
            next_attempt_at=d.next_attempt_at,
            last_error=d.last_error,
            platform_message=d.platform_message,
            remote_id=d.remote_id,
            remote_url=d.remote_url,
            dispatched_inline=d.dispatched_inline,
            rendered=d.rendered,
            sent_at=d.sent_at,
        )


class DeliveryList(BaseModel):
    deliveries: list[DeliveryOut]


class AlertOut(BaseModel):
    id: int
    identifier: str
    msg_type: CapMsgType
    status: CapStatus
    level: AlertLevel
    state: AlertState
    headline: str
    texts: dict[str, dict[str, str]]
    active: bool
    created_at: datetime
    deliveries: list[DeliveryOut]

    @classmethod
    def of(cls, alert: Alert, deliveries: list[Delivery]) -> AlertOut:
        return cls(
            id=alert.id,
            identifier=alert.identifier,
            msg_type=CapMsgType(alert.msg_type),
            status=CapStatus(alert.status),
            level=AlertLevel(alert.level),
            state=AlertState(alert.state),
            headline=alert.headline,
            texts=alert.texts,
            active=alert.active,
            created_at=alert.created_at,
            deliveries=[DeliveryOut.of(d) for d in deliveries],
        )
