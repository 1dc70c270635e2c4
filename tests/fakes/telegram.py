"""A fake Telegram Bot API: getMe, getChat, getChatMember, sendMessage, sendPhoto, getUpdates, and its errors.

``write_to_bot()`` queues a citizen's message (a private chat, or a comment in the channel's
discussion group answering a channel post); ``getUpdates`` returns the updates from ``offset``
on and forgets the ones below it, as Telegram does.

Responses have the Bot API's shape: ``{"ok": true, "result": ...}`` or
``{"ok": false, "error_code": ..., "description": ..., "parameters": {...}}``.
"""

from __future__ import annotations

import itertools
from typing import Any

from tests.fakes.http import FakeServer, Recorded
from tests.fakes.multipart import parse_multipart

BOT_ID = 7001


def ok(result: Any) -> dict[str, Any]:
    return {"ok": True, "result": result}


def error(code: int, description: str, **parameters: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return body


class FakeTelegram(FakeServer):
    def __init__(self, token: str = "123:abc", chat: str = "@stadt_kanal", bot_is_admin: bool = True) -> None:
        super().__init__()
        self.token = token
        self.chat = chat
        self.bot_is_admin = bot_is_admin
        self.chat_numeric_id = -1001234567890
        self.ids = itertools.count(100)
        self.messages: list[dict[str, Any]] = []
        self.updates: list[dict[str, Any]] = []
        self.seen_chats: set[str] = set()  # chats that wrote to the bot, kept after getUpdates
        self.update_ids = itertools.count(500000)

    def write_to_bot(self, username: str, text: str, *, comment_on: int | None = None) -> dict[str, Any]:
        user_id = 40000 + len(self.updates)
        sender = {"id": user_id, "is_bot": False, "first_name": username.title(), "username": username}
        if comment_on is None:
            chat = {"id": user_id, "type": "private", "first_name": username.title(), "username": username}
        else:
            chat = {"id": -1009876543210, "type": "supergroup", "title": "Stadt Musterhausen – Diskussion"}
        message: dict[str, Any] = {
            "message_id": next(self.ids), "from": sender, "chat": chat, "date": 1790000000, "text": text,
        }
        if comment_on is not None:
            post = next(m for m in self.messages if m["message_id"] == comment_on)
            message["reply_to_message"] = {
                "message_id": 9, "chat": chat, "text": post.get("text"),
                "forward_origin": {"type": "channel", "chat": self.chat_object(), "message_id": comment_on},
            }
        self.updates.append({"update_id": next(self.update_ids), "message": message})
        self.seen_chats.add(str(chat["id"]))
        return message

    def sent(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith(("/sendMessage", "/sendPhoto"))]

    def params(self, request: Recorded) -> dict[str, Any]:
        if request.headers.get("content-type", "").startswith("application/json"):
            return dict(request.json() or {})
        parts = parse_multipart(request)
        if parts:
            return {k: (p if p.filename else p.text) for k, p in parts.items()}
        return {k: v[0] for k, v in request.form().items()}

    def handle(self, request: Recorded) -> tuple[int, Any, dict[str, str]]:
        prefix, _, method = request.path.rpartition("/")
        if prefix != f"/bot{self.token}":
            return 401, error(401, "Unauthorized"), {}
        params = self.params(request)
        if method == "getMe":
            return 200, ok({"id": BOT_ID, "is_bot": True, "username": "stadt_bot", "first_name": "Stadt"}), {}
        if method == "getUpdates":
            offset = int(params.get("offset") or 0)
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
            return 200, ok(self.updates[: int(params.get("limit") or 100)]), {}
        if method == "sendMessage" and self.private_chat(params.get("chat_id")):
            return self.send(method, params)
        known_chat = str(params.get("chat_id")) in (self.chat, str(self.chat_numeric_id))
        if method in ("getChat", "getChatMember", "sendMessage", "sendPhoto") and not known_chat:
            return 400, error(400, "Bad Request: chat not found"), {}
        if method == "getChat":
            return 200, ok(self.chat_object() | {"title": "Stadt Musterhausen"}), {}
        if method == "getChatMember":
            status = "administrator" if self.bot_is_admin else "left"
            member = {"status": status, "user": {"id": BOT_ID}, "can_post_messages": self.bot_is_admin}
            return 200, ok(member), {}
        if method in ("sendMessage", "sendPhoto"):
            return self.send(method, params)
        return 404, error(404, "Not Found: method not found"), {}

    def chat_object(self) -> dict[str, Any]:
        return {"id": self.chat_numeric_id, "type": "channel", "username": self.chat.lstrip("@")}

    def send(self, method: str, params: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        if not self.bot_is_admin:
            return 403, error(403, "Forbidden: bot is not a member of the channel chat"), {}
        text = params.get("text") if method == "sendMessage" else params.get("caption", "")
        limit = 4096 if method == "sendMessage" else 1024
        if method == "sendMessage" and not text:
            return 400, error(400, "Bad Request: message text is empty"), {}
        if len(str(text).encode("utf-16-le")) // 2 > limit:
            which = "message is too long" if method == "sendMessage" else "message caption is too long"
            return 400, error(400, f"Bad Request: {which}"), {}
        if method == "sendPhoto" and "photo" not in params:
            return 400, error(400, "Bad Request: there is no photo in the request"), {}
        message = {"message_id": next(self.ids), "chat": self.chat_object(), "date": 1790000000}
        if params.get("reply_to_message_id"):
            message["reply_to_message_id"] = params["reply_to_message_id"]
            message["chat"] = {"id": params["chat_id"]}
        message["text" if method == "sendMessage" else "caption"] = text
        self.messages.append(message)
        return 200, ok(message), {}

    def private_chat(self, chat_id: Any) -> bool:
        """A chat a citizen opened with the bot (or the discussion group): the bot may answer there."""
        chats = {str(u["message"]["chat"]["id"]) for u in self.updates} | self.seen_chats
        return str(chat_id) in chats
