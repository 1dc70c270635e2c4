"""Mastodon via Mastodon.py, against any instance URL.

Mastodon deduplicates statuses by the ``Idempotency-Key`` header (for an hour), so
a resend after an unknown outcome is safe: the delivery's key is always passed.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar

import requests

from publisher import http
from publisher.channels.base import (
    ChannelAdapter,
    ChannelConfig,
    CheckResult,
    Limits,
    Message,
    Receipt,
)
from publisher.errors import DeliveryError
from publisher.inbox import IN_REPLY_TO, InboxEntry, InboxPage, acquire_read, pause_reads, plain_text
from publisher.outbox import ratelimit
from publisher.rebased_session import RebasedSession
from publisher.text import mastodon as mastodon_text
from publisher.vocabulary import InboxKind

if TYPE_CHECKING:  # Mastodon.py (about 20 MB) is imported by the code that talks to Mastodon only
    from mastodon import Mastodon
    from mastodon.errors import MastodonError


READ_RATE = (
    "60/5m"  # our budget for reads (inbox, searches); Mastodon allows 300 calls per 5 minutes per account
)


class MastodonChannel(ChannelAdapter):
    type_name = "mastodon"
    label = "Mastodon"
    limits: ClassVar[Limits] = Limits(
        max_length=mastodon_text.MAX_CHARACTERS,
        max_media=4,
        alt_text_max=1500,
        link_length=mastodon_text.CHARACTERS_RESERVED_PER_URL,
    )
    idempotent = True
    # Mastodon allows 300 new statuses per account in 3 hours (and 30 media uploads in 30 min).
    default_rate = "300/3h"

    def __init__(self, config: ChannelConfig) -> None:
        super().__init__(config)
        # Instances differ (glitch-soc allows 5,000 and more): use the instance's own limits.
        self.instance = instance_limits(config)
        self.limits = replace(  # type: ignore[misc]
            self.limits,
            max_length=self.instance.max_characters,
            link_length=self.instance.characters_reserved_per_url,
        )

    def client(self) -> Mastodon:
        from mastodon import Mastodon

        if not self.config.base_url:
            raise DeliveryError(f"{self.config.name}: base_url (Instanz-URL) fehlt", permanent=True)
        return Mastodon(
            access_token=self.config.secret("token"),
            api_base_url=self.config.base_url,
            ratelimit_method="throw",
            request_timeout=self.config.http_timeout,
            # Records the last response: Mastodon.py's errors carry neither status headers nor
            # Retry-After, which the one rule for 429/503 needs.
            session=RebasedSession(
                self.config.name, self.config.base_url, self.config.base_url, self.config.http_timeout
            ),
            # A stated version spares a version lookup per client; Mastodon.py 2.3 recurses
            # endlessly when that lookup fails, which would turn a network hiccup into a crash.
            version_check_mode="created",
            mastodon_version=str(self.config.options.get("mastodon_version", "4.3.0")),
        )

    def measure(self, text: str) -> int:
        return mastodon_text.count(text, url_length=self.instance.characters_reserved_per_url)

    def render(self, message: Message) -> dict[str, Any]:
        return {
            "text": self.render_text(message),
            "language": message.language,
            "visibility": str(self.config.options.get("visibility", "public")),
        }

    def send(self, rendered: dict[str, Any], message: Message, idempotency_key: str) -> Receipt:
        from mastodon.errors import MastodonError

        client = self.client()
        ratelimit.acquire(self.config, self.default_rate)
        try:
            media_ids = [
                client.media_post(m.path, mime_type=m.mime, description=m.alt)["id"] for m in message.media
            ]
            status = client.status_post(
                rendered["text"],
                language=rendered.get("language"),
                # A reply to a direct message stays direct (extras); otherwise the channel's visibility.
                visibility=message.extras.get("visibility") or rendered.get("visibility"),
                media_ids=media_ids or None,
                idempotency_key=idempotency_key,
                in_reply_to_id=message.extras.get(IN_REPLY_TO),  # a reply threads under the citizen's status
            )
        except MastodonError as exc:
            raise self.classify(exc, client) from exc
        return Receipt(remote_id=str(status["id"]), url=status.get("url"))

    def classify(self, exc: MastodonError, client: Mastodon) -> DeliveryError:
        from mastodon.errors import (
            MastodonAPIError,
            MastodonNetworkError,
            MastodonNotFoundError,
            MastodonRatelimitError,
            MastodonServerError,
            MastodonUnauthorizedError,
        )

        name = self.config.name
        last = last_response(client)
        if isinstance(exc, MastodonRatelimitError):
            reset = client.ratelimit_reset
            wait = max(1.0, reset - time.time()) if reset else None
            headers = last.headers if last is not None and last.status_code == 429 else None
            rule = http.throttled(name, 429, headers, wait=wait, hint="Rate-Limit erreicht")
            assert rule is not None
            ratelimit.pause(self.config, rule.retry_after)  # every worker holds off, not just this one
            return rule
        if isinstance(exc, MastodonServerError) and last is not None:
            status, platform = _api_error_details(exc)
            rule = http.throttled(name, status, last.headers, platform_message=platform)
            if rule is not None:  # a 503 with Retry-After
                return rule
        if isinstance(exc, MastodonNetworkError):
            cause = exc.__context__
            unknown = not isinstance(cause, requests.ConnectionError) or isinstance(
                cause, requests.ReadTimeout
            )
            return DeliveryError(
                f"{name}: Netzwerkfehler", outcome_unknown=unknown, platform_message=str(exc)
            )
        status, platform = _api_error_details(exc)
        if isinstance(exc, MastodonUnauthorizedError):
            return DeliveryError(
                f"{name}: Zugang abgelehnt (Token prüfen)",
                permanent=True,
                platform_message=platform,
                status=status,
            )
        if isinstance(exc, MastodonServerError):
            return DeliveryError(
                f"{name}: Serverfehler HTTP {status}", platform_message=platform, status=status
            )
        if isinstance(exc, MastodonNotFoundError | MastodonAPIError):
            if status is None:
                # No status: the response body could not be read although it was a 2xx.
                return DeliveryError(
                    f"{name}: unlesbare Antwort", outcome_unknown=True, platform_message=platform
                )
            return DeliveryError(
                f"{name}: abgelehnt HTTP {status}",
                permanent=True,
                platform_message=platform,
                status=status,
            )
        return DeliveryError(f"{name}: {exc}", platform_message=str(exc))

    def fetch_inbox(self, cursor: str | None) -> InboxPage:
        """Mentions (public and direct) since ``cursor`` (the newest notification id seen)."""
        from mastodon.errors import MastodonError, MastodonRatelimitError

        client = self.client()
        acquire_read(self.config, READ_RATE)
        try:
            notes = client.notifications(types=["mention"], since_id=cursor, limit=40)
        except MastodonRatelimitError as exc:
            reset = client.ratelimit_reset
            wait = max(1.0, reset - time.time()) if reset else 60.0
            pause_reads(self.config, wait)
            raise DeliveryError(f"{self.config.name}: Rate-Limit beim Abrufen", retry_after=wait) from exc
        except MastodonError as exc:
            raise self.classify(exc, client) from exc
        entries = [self.inbox_entry(note) for note in notes if note.get("status")]
        newest = max((int(str(note["id"])) for note in notes), default=None)
        return InboxPage(entries, str(newest) if newest is not None else None)

    @staticmethod
    def inbox_entry(note: Any) -> InboxEntry:
        status, account = note["status"], note["account"]
        direct = status.get("visibility") == "direct"
        reply: dict[str, Any] = {IN_REPLY_TO: str(status["id"]), "mention": f"@{account['acct']}"}
        if direct:
            reply["visibility"] = "direct"
        return InboxEntry(
            remote_id=str(status["id"]),
            kind=InboxKind.DIRECT if direct else InboxKind.MENTION,
            text=plain_text(str(status.get("content") or "")),
            author_id=str(account["id"]),
            author_handle=f"@{account['acct']}",
            author_name=str(account.get("display_name") or ""),
            created_at=status["created_at"],
            url=status.get("url"),
            thread_id=str(status["in_reply_to_id"]) if status.get("in_reply_to_id") else None,
            reply=reply,
        )

    def check(self) -> CheckResult:
        from mastodon import Mastodon
        from mastodon.errors import MastodonError

        try:
            account = self.client().account_verify_credentials()
        except DeliveryError as exc:
            return CheckResult(False, str(exc))
        except MastodonError as exc:
            return CheckResult(False, str(self.classify(exc, Mastodon(api_base_url="http://x"))))
        return CheckResult(
            True, f"angemeldet als @{account['acct']}", platform_limits=stated_limits(self.config)
        )


def instance_limits(config: ChannelConfig) -> mastodon_text.InstanceLimits:
    """The instance's status limits: the channel's options, else what the instance said.

    ``max_characters`` and ``characters_reserved_per_url`` come from ``/api/v2/instance``
    (``configuration.statuses``). The readiness check reads them (:meth:`MastodonChannel.check`)
    and stores them with the channel (``platform_limits``); this only reads what was stored,
    so counting never waits on the network, and the editor's counter, the API validation and
    the sending adapter use the same numbers in every process. Before the first check:
    Mastodon's defaults 500/23. An option in ``channels.toml`` wins over the instance.
    """
    limits = mastodon_text.InstanceLimits.from_statuses(config.platform_limits)
    configured = {
        key: int(config.options[key])
        for key in ("max_characters", "characters_reserved_per_url")
        if config.options.get(key)
    }
    return replace(limits, **configured) if configured else limits


def stated_limits(config: ChannelConfig) -> dict[str, int] | None:
    """What the instance states now (``None`` when it does not answer: keep what is stored).

    A network call: only the readiness check makes it, outside any transaction.
    """
    if not config.base_url:
        return None
    try:
        response = http.request(
            "GET",
            config.base_url.rstrip("/") + "/api/v2/instance",
            channel=config.name,
            timeout=min(3.0, config.http_timeout),
        )
        limits = mastodon_text.InstanceLimits.from_instance(http.json_body(response, config.name))
    except DeliveryError:
        return None
    return {
        "max_characters": limits.max_characters,
        "characters_reserved_per_url": limits.characters_reserved_per_url,
    }


def last_response(client: Mastodon) -> requests.Response | None:
    session = getattr(client, "session", None)
    return session.last_response if isinstance(session, RebasedSession) else None


def _api_error_details(exc: MastodonError) -> tuple[int | None, str]:
    """Mastodon.py raises ('Mastodon API returned error', status, reason, message)."""
    args = exc.args
    if len(args) >= 4 and isinstance(args[1], int):
        return args[1], str(args[3] or args[2])
    return None, " ".join(str(a) for a in args)
