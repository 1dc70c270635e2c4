"""A Telegram channel, posted to by a bot through the Bot API over our HTTP helper.

The Bot API takes no idempotency key, so a send whose outcome is unknown (read
timeout, unreadable 2xx body) is not repeated for a community post; for an alert
the outbox sends it again (a duplicate alert is better than a missing one).
"""

from __future__ import annotations

from typing import Any, ClassVar

import requests

from publisher import http
from publisher.channels import sessions
from publisher.channels.base import ChannelAdapter, CheckResult, Limits, Message, Problem, Receipt
from publisher.errors import DeliveryError
from publisher.inbox import IN_REPLY_TO, InboxEntry, InboxPage, acquire_read, parse_time
from publisher.outbox import ratelimit
from publisher.vocabulary import InboxKind

DEFAULT_BASE_URL = "https://api.telegram.org"
CAPTION_MAX = 1024  # a photo's caption; plain messages may have 4,096


class TelegramChannel(ChannelAdapter):
    type_name = "telegram"
    label = "Telegram"
    # Telegram measures text in UTF-16 code units (as for its entity offsets), so an
    # emoji outside the BMP counts 2. The Bot API has no alt text for photos.
    limits: ClassVar[Limits] = Limits(max_length=4096, max_media=1, alt_text_required=False)
    idempotent = False
    default_rate = "20/1m"  # Telegram: about 20 messages per minute into one chat

    # -- editor side -------------------------------------------------------
    def measure(self, text: str) -> int:
        return len(text.encode("utf-16-le")) // 2

    def validate(self, message: Message) -> list[Problem]:
        problems = super().validate(message)
        if message.media:
            used = self.measure(self.render_text(message))
            if used > CAPTION_MAX:
                problems.append(
                    Problem(
                        "caption_too_long",
                        f"Telegram: {used} von {CAPTION_MAX} Zeichen — mit Bild gilt die "
                        "Grenze für Bildunterschriften",
                    )
                )
        if not self.config.options.get("chat_id"):
            problems.append(Problem("config", "Telegram: chat_id fehlt in der Kanalkonfiguration"))
        return problems

    def render(self, message: Message) -> dict[str, Any]:
        return {
            "text": self.render_text(message),
            # Alerts always notify; community posts may be sent silently if configured.
            "silent": message.kind != "alert" and bool(self.config.options.get("silent_posts", False)),
        }

    # -- worker side -------------------------------------------------------
    def endpoint(self, method: str) -> str:
        base = (self.config.base_url or DEFAULT_BASE_URL).rstrip("/")
        return f"{base}/bot{self.config.secret('token')}/{method}"

    def call(self, method: str, **kwargs: Any) -> dict[str, Any]:
        """One Bot API call; returns ``result`` or raises a classified DeliveryError."""
        response = http.request(
            "POST",
            self.endpoint(method),
            channel=self.config.name,
            timeout=self.config.http_timeout,
            session=sessions.for_channel(self.config.name, self.config.base_url or DEFAULT_BASE_URL),
            raise_for_status=False,
            **kwargs,
        )
        return self.result_of(response)

    def result_of(self, response: requests.Response) -> dict[str, Any]:
        name = self.config.name
        ok_status = 200 <= response.status_code < 300
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            if ok_status:  # sent, but we cannot tell what happened
                return http.json_body(response, name) or {}
            raise http.error_for_response(response, name)
        if body.get("ok") and ok_status:
            result = body.get("result")
            return result if isinstance(result, dict) else {"value": result}
        raise self.classify(response.status_code, body, response.headers.get("Retry-After"))

    def classify(self, status: int, body: dict[str, Any], retry_header: str | None = None) -> DeliveryError:
        name = self.config.name
        code = int(body.get("error_code") or status)
        description = str(body.get("description") or f"HTTP {status}")
        parameters = body.get("parameters") or {}
        if code == 429:
            wait = float(parameters.get("retry_after") or 0) or http.parse_retry_after(retry_header)
            ratelimit.pause(self.config, wait)
            return DeliveryError(
                f"{name}: zu viele Nachrichten — Telegram bittet um {wait or '?'} s Pause",
                retry_after=wait,
                platform_message=description,
                status=429,
            )
        if code >= 500:
            return DeliveryError(
                f"{name}: Telegram-Serverfehler {code}", platform_message=description, status=code
            )
        if code == 401:
            hint = "Bot-Token ungültig — Token bei @BotFather prüfen"
        elif code == 403:
            hint = "Bot darf in diesen Kanal nicht schreiben — als Administrator mit Beitragsrecht hinzufügen"
        elif parameters.get("migrate_to_chat_id"):
            hint = f"Gruppe wurde verschoben — chat_id auf {parameters['migrate_to_chat_id']} ändern"
        else:
            hint = "Nachricht abgelehnt"
        return DeliveryError(f"{name}: {hint}", permanent=True, platform_message=description, status=code)

    def send(self, rendered: dict[str, Any], message: Message, idempotency_key: str) -> Receipt:
        chat_id = self.config.options.get("chat_id")
        if not chat_id:
            raise DeliveryError(f"{self.config.name}: chat_id fehlt", permanent=True)
        ratelimit.acquire(self.config, self.default_rate)
        common = {"chat_id": chat_id, "disable_notification": bool(rendered.get("silent"))}
        if message.media:
            media = message.media[0]
            try:
                with open(media.path, "rb") as handle:
                    result = self.call(
                        "sendPhoto",
                        data={**common, "caption": rendered["text"]},
                        files={"photo": (media.path.rsplit("/", 1)[-1], handle, media.mime)},
                    )
            except OSError as exc:
                raise DeliveryError(f"{self.config.name}: Bild nicht lesbar: {exc}", permanent=True) from exc
        elif message.extras.get(IN_REPLY_TO):  # an answer in the chat the citizen wrote in
            result = self.call(
                "sendMessage",
                json={
                    "chat_id": message.extras.get("chat_id") or chat_id,
                    "text": rendered["text"],
                    "reply_to_message_id": int(message.extras[IN_REPLY_TO]),
                },
            )
        else:
            result = self.call("sendMessage", json={**common, "text": rendered["text"]})
        message_id = result.get("message_id")
        return Receipt(
            remote_id=str(message_id) if message_id is not None else None, url=self.url_for(result)
        )

    def fetch_inbox(self, cursor: str | None) -> InboxPage:
        """Messages to the bot (private chats, comments in the channel's discussion group).

        ``cursor`` is the next ``offset``: Telegram forgets every update below it, so each is
        fetched once. Only works while no webhook is set for the bot (Telegram's rule).
        """
        acquire_read(self.config, "20/1m")
        params: dict[str, Any] = {"timeout": 0, "allowed_updates": ["message"], "limit": 100}
        if cursor:
            params["offset"] = int(cursor)
        updates = self.call("getUpdates", json=params).get("value") or []
        entries = [self.inbox_entry(u["message"]) for u in updates if (u.get("message") or {}).get("text")]
        newest = max((int(u["update_id"]) for u in updates), default=None)
        return InboxPage(entries, str(newest + 1) if newest is not None else None)

    @staticmethod
    def inbox_entry(message: dict[str, Any]) -> InboxEntry:
        sender, chat = message.get("from") or {}, message.get("chat") or {}
        answered = message.get("reply_to_message") or {}
        origin = answered.get("forward_origin") or {}
        # A comment in the discussion group answers the channel post forwarded there.
        thread = answered.get("forward_from_message_id") or origin.get("message_id")
        name = " ".join(str(sender.get(k) or "") for k in ("first_name", "last_name")).strip()
        return InboxEntry(
            remote_id=f"{chat.get('id')}:{message['message_id']}",
            kind=InboxKind.DIRECT if chat.get("type") == "private" else InboxKind.COMMENT,
            text=str(message.get("text") or ""),
            author_id=str(sender.get("id") or ""),
            author_handle=f"@{sender['username']}" if sender.get("username") else name or "Telegram",
            author_name=name,
            created_at=parse_time(message.get("date")),
            thread_id=str(thread) if thread else None,
            thread_text=answered.get("text") or answered.get("caption"),
            reply={IN_REPLY_TO: str(message["message_id"]), "chat_id": chat.get("id")},
        )

    @staticmethod
    def url_for(result: dict[str, Any]) -> str | None:
        chat = result.get("chat") or {}
        message_id = result.get("message_id")
        if message_id is None:
            return None
        if chat.get("username"):
            return f"https://t.me/{chat['username']}/{message_id}"
        chat_id = str(chat.get("id", ""))
        if chat_id.startswith("-100"):  # private channel: link works for members
            return f"https://t.me/c/{chat_id[4:]}/{message_id}"
        return None

    def check(self) -> CheckResult:
        """Bot token valid, chat reachable, and the bot allowed to post there."""
        chat_id = self.config.options.get("chat_id")
        if not chat_id:
            return CheckResult(False, "chat_id fehlt in der Kanalkonfiguration")
        try:
            bot = self.call("getMe")
            chat = self.call("getChat", json={"chat_id": chat_id})
            member = self.call("getChatMember", json={"chat_id": chat_id, "user_id": bot.get("id")})
        except DeliveryError as exc:
            return CheckResult(False, str(exc))
        title = chat.get("title") or chat.get("username") or chat_id
        if member.get("status") not in ("administrator", "creator"):
            return CheckResult(False, f"@{bot.get('username')} ist in „{title}“ kein Administrator")
        can_post = member.get("status") == "creator" or member.get("can_post_messages")
        if chat.get("type") == "channel" and not can_post:
            return CheckResult(False, f"@{bot.get('username')} darf in „{title}“ keine Beiträge senden")
        return CheckResult(True, f"@{bot.get('username')} kann in „{title}“ senden")
