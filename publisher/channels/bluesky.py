"""Bluesky through the atproto client, with a cached session and idempotent posts.

Session: ``createSession`` is rate-limited hard (a few dozen per 5 minutes per account),
so the adapter never logs in per send. The session (access + refresh JWT) is cached in
Redis, shared by every worker on every machine, encrypted with a key derived from the
app password (a Redis dump alone does not yield usable tokens). The atproto client
refreshes the access token itself; every new session it gets is written back. Without
Redis the cache lives in the process. If the server rejects the cached session
(``ExpiredToken``/``InvalidToken``) the adapter logs in once with the app password.

Idempotency: ``render()`` picks the record key (a TID) once, and it is stored with the
delivery. On a retry (never on the first attempt, the hot path of an alert) the adapter
first asks for a record with that key; if it exists, an earlier attempt got through and
its receipt is returned. A first attempt cannot have a predecessor, and even if a lost
answer made us repeat a create, the PDS refuses a second record under the same key. So a
resend after an unknown outcome cannot publish twice, and the channel is ``idempotent``.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from publisher.channels.base import ChannelAdapter, CheckResult, Limits, Message, Problem, Receipt
from publisher.errors import DeliveryError
from publisher.inbox import IN_REPLY_TO, InboxEntry, InboxPage, acquire_read, parse_time
from publisher.outbox import ratelimit
from publisher.outbox.shared_value import SharedValue
from publisher.settings import Settings
from publisher.text import bluesky as bluesky_text
from publisher.vocabulary import InboxKind

if TYPE_CHECKING:  # atproto (about 26 MB) is imported by the code that talks to Bluesky only
    from atproto import Client
    from atproto_client.client.session import Session, SessionEvent
    from atproto_client.exceptions import RequestErrorBase

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://bsky.social"
POST_COLLECTION = "app.bsky.feed.post"
MAX_IMAGE_BYTES = 1_000_000
SESSION_KEY = "ernstfall:bluesky:session:{channel}"
# Logged-in clients, one per channel and process, shared by its sends (issue 16: a new
# atproto client builds an httpx client with its own TLS context, about 25 ms of CPU, and
# restores the session, on every send). The client refreshes its own access token; a
# session the server refuses drops the client (``with_session``).
CLIENTS: dict[tuple[str, str, str, float], Client] = {}
CLIENTS_LOCK = threading.Lock()
SESSION_TTL = 60 * 24 * 3600  # refresh tokens live about two months
SESSION_ERRORS = {"ExpiredToken", "InvalidToken", "AuthenticationRequired"}
TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"

_memory_cache: dict[str, bytes] = {}
T = TypeVar("T")


def new_tid() -> str:
    """A record key in atproto's TID format: microseconds and a random clock id, base32-sortable."""
    value = (int(time.time() * 1_000_000) << 10) | int.from_bytes(os.urandom(2), "big") & 0x3FF
    value &= (1 << 63) - 1
    return "".join(TID_ALPHABET[(value >> shift) & 31] for shift in range(60, -1, -5))


READ_RATE = "300/5m"  # our budget for reads (inbox, searches) per account


class SessionCache:
    """The encrypted session string of one channel, in Redis or (without Redis) in memory."""

    def __init__(self, channel: str, password: str, settings: Settings | None = None) -> None:
        self.key = SESSION_KEY.format(channel=channel)
        self.stored = SharedValue(self.key, SESSION_TTL, _memory_cache, "bluesky session", settings)
        from cryptography.fernet import Fernet

        digest = hashlib.sha256(b"ernstfall-bluesky-session\0" + password.encode()).digest()
        self.fernet = Fernet(base64.urlsafe_b64encode(digest))

    def load(self) -> str | None:
        from cryptography.fernet import InvalidToken

        token = self._read()
        if token is None:
            return None
        try:
            return self.fernet.decrypt(token).decode()
        except InvalidToken:  # the app password changed: the old session is useless anyway
            return None

    def save(self, session_string: str) -> None:
        self._write(self.fernet.encrypt(session_string.encode()))

    def clear(self) -> None:
        self.stored.clear()

    def _read(self) -> bytes | None:
        return self.stored.get()

    def _write(self, token: bytes) -> None:
        self.stored.set(token)


class BlueskyChannel(ChannelAdapter):
    type_name = "bluesky"
    label = "Bluesky"
    limits: ClassVar[Limits] = Limits(
        max_length=bluesky_text.MAX_GRAPHEMES, counted_as="graphemes", max_media=4, alt_text_max=2000
    )
    idempotent = True
    default_rate = "1000/1h"  # far below the PDS's 5,000 points per hour (a post costs 3)

    # -- editor side -------------------------------------------------------
    def measure(self, text: str) -> int:
        return bluesky_text.graphemes(text)

    def validate(self, message: Message) -> list[Problem]:
        problems = super().validate(message)
        size = bluesky_text.utf8_length(self.render_text(message))
        if size > bluesky_text.MAX_BYTES:
            problems.append(
                Problem("too_many_bytes", f"Bluesky: {size} von {bluesky_text.MAX_BYTES} Bytes (UTF-8)")
            )
        for index, media in enumerate(message.media, start=1):
            path = Path(media.path)
            if path.exists() and path.stat().st_size > MAX_IMAGE_BYTES:
                problems.append(
                    Problem(
                        "image_too_large",
                        f"Bluesky: Bild {index} hat {path.stat().st_size // 1000} kB, höchstens 1000 kB",
                    )
                )
        return problems

    def render(self, message: Message) -> dict[str, Any]:
        text = self.render_text(message)
        return {
            "text": text,
            "facets": bluesky_text.facets(text),
            "langs": [message.language],
            "rkey": new_tid(),
        }

    # -- worker side -------------------------------------------------------
    def new_client(self) -> Client:
        import httpx
        from atproto import Client
        from atproto_client.request import Request

        timeout = httpx.Timeout(self.config.http_timeout)
        return Client(base_url=self.config.base_url or DEFAULT_BASE_URL, request=Request(timeout=timeout))

    def session_cache(self) -> SessionCache:
        return SessionCache(self.config.name, self.config.secret("app_password"), self.config.settings)

    def client_key(self) -> tuple[str, str, str, float]:
        """What makes a different client: channel, server, credentials (as a digest), timeout."""
        digest = hashlib.sha256(self.config.secret("app_password").encode()).hexdigest()
        base_url = self.config.base_url or DEFAULT_BASE_URL
        return (self.config.name, base_url, digest, self.config.http_timeout)

    def logged_in(self, *, fresh: bool = False) -> Client:
        """This process's client of the channel, built and logged in once (``CLIENTS``).

        ``fresh`` (the server refused the session) builds a new one after a new login.
        """
        key = self.client_key()
        if not fresh:
            with CLIENTS_LOCK:
                cached = CLIENTS.get(key)
            if cached is not None:
                return cached
        client = self.log_in(fresh=fresh)
        with CLIENTS_LOCK:
            CLIENTS[key] = client
        return client

    def forget_client(self) -> None:
        with CLIENTS_LOCK:
            CLIENTS.pop(self.client_key(), None)

    def log_in(self, *, fresh: bool = False) -> Client:
        """A new client with the cached session, or after one login if there is none."""
        import httpx
        from atproto_client.exceptions import AtProtocolError

        cache = self.session_cache()
        client = self.new_client()
        client.on_session_change(lambda event, session: remember_session(cache, event, session))
        cached = None if fresh else cache.load()
        try:
            if cached:
                client.login(session_string=cached, fetch_bsky_profile=False)
            else:
                handle = self.config.options.get("handle")
                if not handle:
                    raise DeliveryError(
                        f"{self.config.name}: handle fehlt in der Kanalkonfiguration", permanent=True
                    )
                client.login(str(handle), self.config.secret("app_password"), fetch_bsky_profile=False)
        except (AtProtocolError, httpx.HTTPError, ValueError) as exc:
            raise self.classify(exc, posting=False, login=not cached) from exc
        return client

    def send(self, rendered: dict[str, Any], message: Message, idempotency_key: str) -> Receipt:
        ratelimit.acquire(self.config, self.default_rate)
        return self.with_session(lambda client: self.post(client, rendered, message))

    def with_session(self, action: Callable[[Client], T]) -> T:
        """Run ``action`` with the cached session; if the server refuses it, log in once more."""
        try:
            return action(self.logged_in())
        except DeliveryError as exc:
            if exc.platform_message not in SESSION_ERRORS:
                raise
        self.forget_client()
        self.session_cache().clear()
        return action(self.logged_in(fresh=True))

    def post(self, client: Client, rendered: dict[str, Any], message: Message) -> Receipt:
        import httpx
        from atproto import models
        from atproto_client.exceptions import AtProtocolError

        session = client._session
        assert session is not None
        rkey = str(rendered.get("rkey") or new_tid())
        try:
            existing = self.existing(client, session.did, rkey) if self.attempt > 1 else None
            if existing:
                return existing
            embed = self.images(client, message)
            record: dict[str, Any] = {
                "$type": POST_COLLECTION,
                "text": rendered["text"],
                "createdAt": client.get_current_time_iso(),
                "langs": rendered.get("langs") or [message.language],
            }
            facets = list(rendered.get("facets") or []) + self.mention_facets(client, rendered["text"])
            if facets:
                record["facets"] = sorted(facets, key=lambda f: int(f["index"]["byteStart"]))
            if embed:
                record["embed"] = embed
            if message.extras.get("reply_parent"):  # a reply: the thread's root and the post answered
                record["reply"] = {
                    "root": message.extras.get("reply_root") or message.extras["reply_parent"],
                    "parent": message.extras["reply_parent"],
                }
            created = client.com.atproto.repo.create_record(
                models.ComAtprotoRepoCreateRecord.Data(
                    repo=session.did, collection=POST_COLLECTION, record=record, rkey=rkey
                )
            )
        except (AtProtocolError, httpx.HTTPError, ValueError) as exc:
            raise self.classify(exc, posting=True) from exc
        return Receipt(remote_id=created.uri, url=self.post_url(session.handle, created.uri))

    def fetch_inbox(self, cursor: str | None) -> InboxPage:
        """Mentions, replies and quotes from ``listNotifications``, newer than ``cursor`` (indexedAt)."""
        acquire_read(self.config, READ_RATE)
        import httpx
        from atproto import models
        from atproto_client.exceptions import AtProtocolError

        def listed(client: Client) -> Any:
            try:
                return client.app.bsky.notification.list_notifications(
                    models.AppBskyNotificationListNotifications.Params(limit=50)
                )
            except (AtProtocolError, httpx.HTTPError, ValueError) as exc:
                raise self.classify(exc, posting=False) from exc

        response = self.with_session(listed)
        wanted = [n for n in response.notifications if n.reason in INBOX_REASONS]
        fresh = [n for n in wanted if cursor is None or n.indexed_at > cursor]
        newest = max((n.indexed_at for n in wanted), default=None)
        return InboxPage([self.inbox_entry(n) for n in fresh], newest)

    @staticmethod
    def inbox_entry(note: Any) -> InboxEntry:
        record = note.record
        text = str(_field(record, "text") or "")
        reply = _field(record, "reply")
        parent = {"uri": note.uri, "cid": note.cid}
        root = _field(reply, "root") if reply is not None else None
        root_ref = {"uri": _field(root, "uri"), "cid": _field(root, "cid")} if root is not None else parent
        answered = _field(_field(reply, "parent"), "uri") if reply is not None else None
        return InboxEntry(
            remote_id=str(note.uri),
            kind=InboxKind.REPLY if note.reason == "reply" else InboxKind.MENTION,
            text=text,
            author_id=str(note.author.did),
            author_handle=f"@{note.author.handle}",
            author_name=str(note.author.display_name or ""),
            created_at=parse_time(_field(record, "created_at") or note.indexed_at),
            url=BlueskyChannel.post_url(str(note.author.handle), str(note.uri)),
            thread_id=str(answered) if answered else None,
            reply={IN_REPLY_TO: str(note.uri), "reply_parent": parent, "reply_root": root_ref},
        )

    def mention_facets(self, client: Client, text: str) -> list[dict[str, Any]]:
        """Mention facets for the handles that resolve to a DID; others stay plain text."""
        import httpx
        from atproto_client.exceptions import AtProtocolError

        found = []
        for mention in bluesky_text.mentions(text):
            try:
                did = client.resolve_handle(mention.handle.lower()).did
            except (AtProtocolError, httpx.HTTPError):
                # No such handle (or no answer): plain text, as in the Bluesky app. An alert
                # must never fail because a mention could not be resolved.
                continue
            found.append(bluesky_text.mention_facet(mention, did))
        return found

    def existing(self, client: Client, did: str, rkey: str) -> Receipt | None:
        """The post of an earlier attempt of this delivery, if it got through."""
        from atproto import models
        from atproto_client.exceptions import BadRequestError

        try:
            found = client.com.atproto.repo.get_record(
                models.ComAtprotoRepoGetRecord.Params(repo=did, collection=POST_COLLECTION, rkey=rkey)
            )
        except BadRequestError as exc:
            if xrpc_error(exc)[0] == "RecordNotFound":
                return None
            raise
        session = client._session
        return Receipt(remote_id=found.uri, url=self.post_url(session.handle if session else did, found.uri))

    def images(self, client: Client, message: Message) -> dict[str, Any] | None:
        if not message.media:
            return None
        images = []
        for media in message.media:
            try:
                data = Path(media.path).read_bytes()
            except OSError as exc:
                raise DeliveryError(f"{self.config.name}: Bild nicht lesbar: {exc}", permanent=True) from exc
            blob = client.upload_blob(data).blob
            images.append({"alt": media.alt, "image": blob.model_dump(by_alias=True, exclude_none=True)})
        return {"$type": "app.bsky.embed.images", "images": images}

    @staticmethod
    def post_url(handle: str, uri: str) -> str:
        return f"https://bsky.app/profile/{handle}/post/{uri.rsplit('/', 1)[-1]}"

    def classify(self, exc: Exception, *, posting: bool, login: bool = False) -> DeliveryError:
        import httpx
        from atproto_client.exceptions import (
            BadRequestError,
            InvokeTimeoutError,
            NetworkError,
            RateLimitExceededError,
            RequestErrorBase,
            UnauthorizedError,
        )

        name = self.config.name
        if isinstance(exc, DeliveryError):
            return exc
        if isinstance(exc, RateLimitExceededError):
            wait = exc.retry_after
            if wait is None and exc.reset_at is not None:
                wait = max(1.0, exc.reset_at.timestamp() - time.time())
            ratelimit.pause(self.config, wait)
            code, text = xrpc_error(exc)
            return DeliveryError(
                f"{name}: Rate-Limit erreicht", retry_after=wait, platform_message=text, status=429
            )
        if isinstance(exc, httpx.HTTPError):  # not mapped by atproto, e.g. the server hung up
            return DeliveryError(
                f"{name}: Verbindung abgebrochen ({type(exc).__name__})",
                outcome_unknown=posting,
                platform_message=str(exc)[:200],
            )
        if isinstance(exc, InvokeTimeoutError):
            return DeliveryError(
                f"{name}: keine Antwort innerhalb {self.config.http_timeout:.0f} s", outcome_unknown=posting
            )
        status = exc.response.status_code if isinstance(exc, RequestErrorBase) and exc.response else None
        code, text = xrpc_error(exc) if isinstance(exc, RequestErrorBase) else ("", str(exc))
        if code in SESSION_ERRORS and not login:
            return DeliveryError(f"{name}: Sitzung abgelaufen", platform_message=code, status=status)
        if isinstance(exc, UnauthorizedError) or (login and isinstance(exc, BadRequestError)):
            return DeliveryError(
                f"{name}: Anmeldung abgelehnt — Handle und App-Passwort prüfen",
                permanent=True,
                platform_message=text,
                status=status,
            )
        if isinstance(exc, NetworkError):
            if status == 413:
                return DeliveryError(
                    f"{name}: Bild zu groß", permanent=True, platform_message=text, status=status
                )
            return DeliveryError(
                f"{name}: nicht erreichbar", platform_message=text or type(exc).__name__, status=status
            )
        if isinstance(exc, BadRequestError):
            return DeliveryError(
                f"{name}: Beitrag abgelehnt", permanent=True, platform_message=text, status=status
            )
        if status is not None and status >= 500:
            return DeliveryError(f"{name}: Serverfehler HTTP {status}", platform_message=text, status=status)
        if status is not None and 400 <= status < 500:
            return DeliveryError(
                f"{name}: abgelehnt HTTP {status}", permanent=True, platform_message=text, status=status
            )
        # A 2xx we could not read, or a response the client could not parse.
        return DeliveryError(
            f"{name}: unlesbare Antwort", outcome_unknown=posting, platform_message=str(exc)[:200]
        )

    def check(self) -> CheckResult:
        """Log in (or reuse the session) and read it back; posts nothing."""
        import httpx
        from atproto_client.exceptions import AtProtocolError

        def whoami(client: Client) -> str:
            try:
                return str(client.com.atproto.server.get_session().handle)
            except (AtProtocolError, httpx.HTTPError) as exc:
                raise self.classify(exc, posting=False) from exc

        try:
            handle = self.with_session(whoami)
        except DeliveryError as exc:
            return CheckResult(False, str(exc))
        return CheckResult(True, f"angemeldet als @{handle}")


INBOX_REASONS = ("mention", "reply", "quote")


def remember_session(cache: SessionCache, event: SessionEvent, session: Session) -> None:
    """Write a new or refreshed session back; importing the cached one changes nothing."""
    from atproto_client.client.session import SessionEvent

    if event != SessionEvent.IMPORT:
        cache.save(session.export())


def _field(value: Any, name: str) -> Any:
    """A field of an atproto model or of a plain dict (unknown record types stay dicts)."""
    if value is None:
        return None
    if isinstance(value, dict):
        camel = "".join(part.title() if i else part for i, part in enumerate(name.split("_")))
        return value.get(name, value.get(camel))
    return getattr(value, name, None)


def xrpc_error(exc: RequestErrorBase) -> tuple[str, str]:
    """(error code, message) from an XRPC error body ``{"error": ..., "message": ...}``."""
    content = exc.response.content if exc.response is not None else None
    code = getattr(content, "error", None) or (content.get("error") if isinstance(content, dict) else None)
    message = getattr(content, "message", None) or (
        content.get("message") if isinstance(content, dict) else None
    )
    return str(code or ""), str(message or code or "")
