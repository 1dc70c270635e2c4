"""SMS provider adapters behind the one ``sms`` channel type, chosen by ``provider = "..."``.

Each provider sends one batch of E.164 recipients and answers with a result per
recipient; it raises :class:`~publisher.errors.DeliveryError` only when the whole
request failed (or :class:`BatchInterrupted` when a per-recipient provider stopped
part-way). It also verifies and parses its own delivery reports.

Each provider declares how many batches may be on their way at once
(``default_concurrency``, at most ``max_concurrency``, from its documentation;
the channel option ``concurrency`` picks a value in between).
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Mapping
from importlib import import_module
from typing import Any, ClassVar

import requests

from publisher import http
from publisher.channels.base import ChannelConfig, CheckResult
from publisher.channels.sms_providers.replay import ReplayWindow
from publisher.errors import DeliveryError
from publisher.outbox.sms_status import RecipientResult, Report

PROVIDERS = {
    "seven": "publisher.channels.sms_providers.seven:SevenProvider",
    "gatewayapi": "publisher.channels.sms_providers.gatewayapi:GatewayApiProvider",
    "twilio": "publisher.channels.sms_providers.twilio:TwilioProvider",
}


class BatchInterrupted(Exception):
    """A per-recipient provider stopped inside a batch; ``done`` already have an answer."""

    def __init__(self, error: DeliveryError, done: list[RecipientResult]) -> None:
        super().__init__(str(error))
        self.error = error
        self.done = done


class InvalidReport(ValueError):
    """A delivery report whose signature or shape we cannot trust (answered with 4xx)."""


class SmsProvider(ABC):
    name: ClassVar[str] = ""
    default_base_url: ClassVar[str] = ""
    default_batch_size: ClassVar[int] = 1
    default_concurrency: ClassVar[int] = 1
    max_concurrency: ClassVar[int] = 1

    def __init__(self, config: ChannelConfig) -> None:
        self.config = config
        self._local = threading.local()  # one kept-alive session per sending thread

    @property
    def base_url(self) -> str:
        return (self.config.base_url or self.default_base_url).rstrip("/")

    @property
    def batch_size(self) -> int:
        return max(1, int(self.config.options.get("batch_size", self.default_batch_size)))

    @property
    def concurrency(self) -> int:
        """Batches on their way at once: the channel's ``concurrency``, within the provider's limit."""
        wanted = int(self.config.options.get("concurrency", self.default_concurrency))
        return max(1, min(self.max_concurrency, wanted))

    @property
    def sender(self) -> str | None:
        value = self.config.options.get("sender")
        return str(value) if value else None

    def label(self) -> str:
        return f"{self.config.name} ({self.name})"

    @abstractmethod
    def credentials(self) -> dict[str, Any]:
        """How this provider authenticates: ``{"auth": ...}`` or ``{"headers": ...}``."""

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """One request to the provider's API (``path`` under ``base_url``), authenticated."""
        return http.request(
            method,
            f"{self.base_url}{path}",
            channel=self.label(),
            timeout=self.config.http_timeout,
            session=self._session(),
            **self.credentials(),
            **kwargs,
        )

    def _session(self) -> requests.Session:
        """This thread's session: a new TCP (and TLS) handshake per SMS halved Twilio's rate."""
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    @abstractmethod
    def send_batch(
        self, text: str, recipients: list[str], *, encoding: str, reference: str
    ) -> list[RecipientResult]:
        """Send one text to these recipients; one result per recipient."""

    @abstractmethod
    def check(self) -> CheckResult:
        """Verify the account without sending."""

    @abstractmethod
    def parse_reports(
        self, *, url: str, method: str, headers: Mapping[str, str], body: bytes, form: Mapping[str, str]
    ) -> list[Report]:
        """Verify a delivery-report request and turn it into reports, or raise InvalidReport."""

    def replay_window(self, headers: Mapping[str, str]) -> ReplayWindow | None:
        """For a report ``parse_reports`` accepted: its fingerprint and until when a repeat
        must be refused; None when the provider's reports carry nothing to tell them apart."""
        return None


def provider_for(config: ChannelConfig) -> SmsProvider:
    name = str(config.options.get("provider", "")).lower()
    target = PROVIDERS.get(name)
    if target is None:
        raise DeliveryError(
            f"{config.name}: provider {name!r} unbekannt (möglich: {', '.join(sorted(PROVIDERS))})",
            permanent=True,
        )
    module, cls = target.split(":")
    provider: SmsProvider = getattr(import_module(module), cls)(config)
    return provider


def header(headers: Mapping[str, Any], name: str) -> str:
    """Case-insensitive header lookup on any mapping."""
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return str(value)
    return ""
