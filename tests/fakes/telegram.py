"""A fake Telegram Bot API: getMe, getChat, getChatMember, sendMessage, sendPhoto, and its errors.

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
        message["text" if method == "sendMessage" else "caption"] = text
        self.messages.append(message)
        return 200, ok(message), {}
