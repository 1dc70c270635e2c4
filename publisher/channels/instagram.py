"""Instagram (professional account) through the Graph API content publishing flow.

Instagram fetches the image itself, so every image needs ``Media.public_url`` (the app
serves uploaded media publicly for this). Publishing is two steps: create a media
container (``POST /{ig-user-id}/media``), then publish it (``POST /{ig-user-id}/media_publish``).

The container id is kept in Redis under the delivery's idempotency key, for 24 hours
(Instagram lets unpublished containers expire after 24 hours, so a longer-lived table
row would only hold dead ids, and it needs no schema change). A retry after the
container was created reuses it, and it asks the container's ``status_code`` first: if
it is ``PUBLISHED``, an earlier attempt got through and the post is looked up instead of
published again. So a resend cannot publish twice, and the channel is ``idempotent``.
Without Redis the ids live in the process only (documented in docs/channels.md).

On a retry (never on the first attempt, which is the hot path of an alert) the adapter
reads ``content_publishing_limit`` before creating a container; when the 24-hour quota is
used up it waits (transient error) instead of being refused again. A first attempt that
hits the quota gets Graph's own publishing-limit error, which is transient (retry in an hour).

An alert without an image gets a drawn tile. ``render()`` (inside the alert request) only
names the tile after what it shows; ``send()`` draws it, once: the file is the cache, so a
retry of the same delivery (or the same alert) does not draw it again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
from typing import Any, ClassVar

import requests

from publisher import http
from publisher.channels import sessions
from publisher.channels.base import ChannelAdapter, CheckResult, Limits, Message, Problem, Receipt
from publisher.channels.graph_errors import graph_error
from publisher.channels.graph_token import TokenFacts, invalid_text, token_facts
from publisher.errors import DeliveryError
from publisher.inbox import IN_REPLY_TO, InboxEntry, InboxPage, acquire_read, parse_time
from publisher.outbox import ratelimit
from publisher.outbox.shared_value import SharedValue
from publisher.outputs.alert_tile import tile_jpeg
from publisher.settings import Settings
from publisher.vocabulary import InboxKind

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://graph.facebook.com"
DEFAULT_VERSION = "v25.0"
CAPTION_MAX = 2200
HASHTAGS_MAX = 30
MENTIONS_MAX = 20
CONTAINER_KEY = "ernstfall:instagram:container:{channel}:{key}"
CONTAINER_TTL = 24 * 3600
HASHTAG_RE = re.compile(r"(?<![\w#])#\w+")
MENTION_RE = re.compile(r"(?<![\w@])@[\w.]+")

_memory_containers: dict[str, bytes] = {}


class InstagramChannel(ChannelAdapter):
    type_name = "instagram"
    label = "Instagram"
    limits: ClassVar[Limits] = Limits(max_length=CAPTION_MAX, max_media=1, alt_text_max=1000)
    idempotent = True
    requests_per_send = 2  # container, then publish (and the tile is drawn first)
    default_rate = "25/1h"  # the daily quota is read from the API; this only spreads bursts

    # -- editor side -------------------------------------------------------
    def validate(self, message: Message) -> list[Problem]:
        problems = super().validate(message)
        text = self.render_text(message)
        hashtags = len(HASHTAG_RE.findall(text))
        if hashtags > HASHTAGS_MAX:
            problems.append(
                Problem("too_many_hashtags", f"Instagram: {hashtags} von {HASHTAGS_MAX} Hashtags")
            )
        mentions = len(MENTION_RE.findall(text))
        if mentions > MENTIONS_MAX:
            problems.append(
                Problem("too_many_mentions", f"Instagram: {mentions} von {MENTIONS_MAX} @-Erwähnungen")
            )
        if not message.media and message.kind != "alert":  # alerts get a drawn tile
            problems.append(
                Problem("image_required", "Instagram: ein Bild ist nötig (Beiträge ohne Bild gibt es nicht)")
            )
        if (
            not message.media
            and message.kind == "alert"
            and not self.config.current_settings().public_base_url.startswith("https://")
        ):
            problems.append(
                Problem(
                    "public_url_missing",
                    "Instagram: die Warnkachel braucht eine öffentliche https-Adresse "
                    "(ERNSTFALL_PUBLIC_URL), damit Instagram sie abholen kann",
                )
            )
        for index, media in enumerate(message.media, start=1):
            if not (media.public_url or "").startswith("https://"):
                problems.append(
                    Problem(
                        "public_url_missing",
                        f"Instagram: Bild {index} braucht eine öffentliche https-Adresse, "
                        "damit Instagram es abholen kann",
                    )
                )
        if not self.config.options.get("ig_user_id"):
            problems.append(Problem("config", "Instagram: ig_user_id fehlt in der Kanalkonfiguration"))
        return problems

    def render(self, message: Message) -> dict[str, Any]:
        if not message.media and message.kind == "alert":
            return {
                "caption": self.render_text(message),
                **alert_tile(message, self.config.current_settings()),
            }
        media = message.media[0] if message.media else None
        return {
            "caption": self.render_text(message),
            "image_url": media.public_url if media else None,
            "alt_text": media.alt if media else None,
        }

    # -- worker side -------------------------------------------------------
    def url(self, path: str) -> str:
        base = (self.config.base_url or DEFAULT_BASE_URL).rstrip("/")
        version = str(self.config.options.get("graph_version", DEFAULT_VERSION))
        return f"{base}/{version if version.startswith('v') else 'v' + version}/{path}"

    def call(self, method: str, path: str, *, posting: bool = False, **params: Any) -> dict[str, Any]:
        """One Graph call with the token as ``access_token``; errors classified."""
        params["access_token"] = self.config.secret("access_token")
        try:
            response = http.request(
                method,
                self.url(path),
                channel=self.config.name,
                timeout=self.config.http_timeout,
                session=sessions.for_channel(self.config.name, self.config.base_url or DEFAULT_BASE_URL),
                raise_for_status=False,
                params=params if method == "GET" else None,
                data=None if method == "GET" else params,
            )
        except DeliveryError as exc:
            exc.outcome_unknown = exc.outcome_unknown and posting
            raise
        return self.body_of(response, posting=posting)

    def body_of(self, response: requests.Response, *, posting: bool) -> dict[str, Any]:
        ok = 200 <= response.status_code < 300
        try:
            body = response.json()
        except ValueError:
            if ok:
                raise DeliveryError(
                    f"{self.config.name}: unlesbare Antwort (kein JSON)",
                    outcome_unknown=posting,
                    platform_message=response.text[:200],
                ) from None
            raise http.error_for_response(response, self.config.name) from None
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            error = graph_error(
                self.config.name, body["error"], status=response.status_code, headers=response.headers
            )
            if "Rate-Limit" in error.message:
                ratelimit.pause(self.config, error.retry_after)
            raise error
        if not ok:
            raise http.error_for_response(response, self.config.name)
        return body if isinstance(body, dict) else {}

    def user_id(self) -> str:
        user_id = self.config.options.get("ig_user_id")
        if not user_id:
            raise DeliveryError(f"{self.config.name}: ig_user_id fehlt", permanent=True)
        return str(user_id)

    def send(self, rendered: dict[str, Any], message: Message, idempotency_key: str) -> Receipt:
        user_id = self.user_id()
        if message.extras.get(IN_REPLY_TO):
            return self.reply(str(message.extras[IN_REPLY_TO]), rendered["caption"])
        if not rendered.get("image_url"):
            raise DeliveryError(f"{self.config.name}: kein Bild mit öffentlicher Adresse", permanent=True)
        store = ContainerStore(self.config.name, idempotency_key, self.config.settings)
        container = store.get()
        if container:
            status = self.call("GET", container, fields="status_code").get("status_code")
            if status == "PUBLISHED":  # an earlier attempt published it; the answer got lost
                return self.find_published(user_id, rendered["caption"], container)
            if status in ("EXPIRED", "ERROR"):
                store.clear()
                container = None
        if not container:
            if self.attempt > 1:  # preflight only on retry: the first attempt goes straight out
                self.ensure_quota(user_id)
            draw_tile(rendered.get("tile"), self.config.current_settings())
            ratelimit.acquire(self.config, self.default_rate)
            created = self.call(
                "POST",
                f"{user_id}/media",
                image_url=rendered["image_url"],
                caption=rendered["caption"],
                alt_text=rendered.get("alt_text") or "",
            )
            container = str(created.get("id") or "")
            if not container:
                raise DeliveryError(f"{self.config.name}: Container ohne ID")
            store.set(container)
        published = self.call("POST", f"{user_id}/media_publish", posting=True, creation_id=container)
        media_id = str(published.get("id") or "")
        return Receipt(remote_id=media_id, url=self.permalink(media_id), detail={"container_id": container})

    def reply(self, comment_id: str, text: str) -> Receipt:
        """A reply under the citizen's comment (``POST /{ig-comment-id}/replies``)."""
        ratelimit.acquire(self.config, self.default_rate)
        result = self.call("POST", f"{comment_id}/replies", posting=True, message=text)
        reply_id = str(result.get("id") or "")
        if not reply_id:
            raise DeliveryError(f"{self.config.name}: Antwort ohne Kommentar-ID", outcome_unknown=True)
        return Receipt(remote_id=reply_id, url=None)

    def fetch_inbox(self, cursor: str | None) -> InboxPage:
        """Comments under the account's recent media; the inbox de-duplicates by comment id."""
        user_id = self.user_id()
        acquire_read(self.config, "60/1h")
        media = self.call("GET", f"{user_id}/media", fields="id,caption,permalink", limit=10).get("data")
        media = media or []
        entries: list[InboxEntry] = []
        for item in media:
            acquire_read(self.config, "60/1h")
            comments = (
                self.call(
                    "GET",
                    f"{item['id']}/comments",
                    fields="id,text,username,from,timestamp,parent_id",
                    limit=50,
                ).get("data")
                or []
            )
            entries.extend(
                self.inbox_entry(c, item) for c in comments if (c.get("from") or {}).get("id") != user_id
            )
        return InboxPage(entries)

    @staticmethod
    def inbox_entry(comment: dict[str, Any], media: dict[str, Any]) -> InboxEntry:
        username = str(comment.get("username") or (comment.get("from") or {}).get("username") or "")
        return InboxEntry(
            remote_id=str(comment["id"]),
            kind=InboxKind.COMMENT,
            text=str(comment.get("text") or ""),
            author_id=str((comment.get("from") or {}).get("id") or username),
            author_handle=f"@{username}",
            created_at=parse_time(comment.get("timestamp")),
            url=media.get("permalink"),
            thread_id=str(media["id"]),
            thread_text=media.get("caption"),
            # Instagram threads one level deep: a reply to a reply goes under its parent comment.
            reply={IN_REPLY_TO: str(comment.get("parent_id") or comment["id"])},
        )

    def ensure_quota(self, user_id: str) -> None:
        body = self.call("GET", f"{user_id}/content_publishing_limit", fields="config,quota_usage")
        entries = body.get("data") or [{}]
        usage = int(entries[0].get("quota_usage") or 0)
        total = int((entries[0].get("config") or {}).get("quota_total") or 0)
        if total and usage >= total:
            raise DeliveryError(
                f"{self.config.name}: Veröffentlichungslimit erreicht ({usage} von {total} in 24 Stunden)",
                retry_after=3600.0,
            )

    def permalink(self, media_id: str) -> str | None:
        if not media_id:
            return None
        try:
            return self.call("GET", media_id, fields="permalink").get("permalink")
        except DeliveryError as exc:  # the post is online; a missing link must not fail it
            log.warning("instagram permalink for %s not read: %s", media_id, exc)
            return None

    def find_published(self, user_id: str, caption: str, container: str) -> Receipt:
        recent = (
            self.call("GET", f"{user_id}/media", fields="id,caption,permalink", limit=10).get("data") or []
        )
        for media in recent:
            if media.get("caption") == caption:
                return Receipt(
                    remote_id=str(media["id"]), url=media.get("permalink"), detail={"container_id": container}
                )
        return Receipt(remote_id=None, url=None, detail={"container_id": container})

    def check(self) -> CheckResult:
        """Account lookup, today's quota and ``debug_token`` (valid, until when); posts nothing."""
        try:
            user_id = self.user_id()
            account = self.call("GET", user_id, fields="username")
            body = self.call("GET", f"{user_id}/content_publishing_limit", fields="config,quota_usage")
            facts = self.token_facts()
        except DeliveryError as exc:
            return CheckResult(False, str(exc))
        if facts is not None and not facts.valid:
            return CheckResult(False, invalid_text(self.config.name, facts))
        entry = (body.get("data") or [{}])[0]
        total = (entry.get("config") or {}).get("quota_total", "?")
        used = entry.get("quota_usage", 0)
        note = facts.note() if facts else ""
        return CheckResult(
            True,
            f"@{account.get('username')} erreichbar, heute {used} von {total} Beiträgen{note}",
            expires_at=facts.expires_at if facts else None,
        )

    def token_facts(self) -> TokenFacts | None:
        """debug_token of our own token; None when Graph will not tell (the lookup already worked)."""
        try:
            body = self.call("GET", "debug_token", input_token=self.config.secret("access_token"))
        except DeliveryError:
            return None
        return token_facts(body)


class ContainerStore:
    """The container id of one delivery: Redis (all workers) or, without Redis, this process."""

    def __init__(self, channel: str, idempotency_key: str, settings: Settings | None = None) -> None:
        self.key = CONTAINER_KEY.format(channel=channel, key=idempotency_key)
        self.stored = SharedValue(
            self.key, CONTAINER_TTL, _memory_containers, "instagram container id", settings
        )

    def get(self) -> str | None:
        value = self.stored.get()
        return value.decode() if value else None

    def set(self, container_id: str) -> None:
        self.stored.set(container_id.encode())

    def clear(self) -> None:
        self.stored.clear()


TILE_VERSION = 2  # raise when the drawing changes, so a new look gets a new file name


def alert_tile(message: Message, settings: Settings) -> dict[str, Any]:
    """The tile's URL, alt text and what to draw; nothing is drawn here (``send`` does it)."""
    headline = message.title or ""
    tile = {"headline": headline, "text": message.text, "level": message.level, "drill": message.drill}
    alt = f"Warnung: {headline}. {message.text}"[:1000]
    return {"image_url": f"{settings.public_base_url}/media/{tile_name(tile)}", "alt_text": alt, "tile": tile}


def tile_name(tile: dict[str, Any]) -> str:
    """A file name derived from what the tile shows: the same alert text gives the same file."""
    payload = json.dumps([TILE_VERSION, tile], sort_keys=True, ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(payload).hexdigest()[:32] + ".jpg"


def draw_tile(tile: dict[str, Any] | None, settings: Settings) -> None:
    """Draw the tile into the public media folder unless an earlier attempt already did."""
    if not tile:
        return
    folder = settings.media_dir
    path = folder / tile_name(tile)
    if path.exists():
        return
    data = tile_jpeg(str(tile["headline"]), str(tile["text"]), tile.get("level"), bool(tile.get("drill")))
    folder.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{threading.get_ident()}.part")
    partial.write_bytes(data)
    partial.replace(path)  # atomic: Instagram never fetches a half-written file
