"""A fake Mastodon instance: statuses, media, credentials, instance info, notifications, and its errors.

``public_status()`` makes another account post publicly; the hashtag timeline
(``GET /api/v1/timelines/tag/:hashtag``) and the search (``GET /api/v2/search``, token needed)
find it, newest first.

``mention()`` makes another account mention ours (a notification of type ``mention``), as
``GET /api/v1/notifications`` then returns it: newest first, filtered by ``types[]`` and
``since_id``, the status's content as HTML.
"""

from __future__ import annotations

import html
import itertools
import time
import zlib
from datetime import UTC, datetime
from typing import Any

from tests.fakes.http import FakeServer, Recorded


class FakeMastodon(FakeServer):
    def __init__(
        self, token: str = "secret-token", max_characters: int = 500, characters_reserved_per_url: int = 23
    ) -> None:
        super().__init__()
        self.token = token
        self.max_characters = max_characters
        # What /api/v2/instance states in configuration.statuses (Mastodon's default: 23).
        self.characters_reserved_per_url = characters_reserved_per_url
        self.ids = itertools.count(1000)
        self.statuses: dict[str, dict[str, Any]] = {}  # idempotency key -> status
        self.status_delay = 0.0  # seconds each status post takes (to catch sends in flight)
        self.notifications: list[dict[str, Any]] = []  # oldest first
        self.posted_statuses: list[dict[str, Any]] = []
        self.public_statuses: list[dict[str, Any]] = []  # what the tag timeline and search find

    def mention(
        self, acct: str, text: str, *, in_reply_to_id: str | None = None, visibility: str = "public"
    ) -> dict[str, Any]:
        """Another account mentions ours; returns the status."""
        status_id = str(next(self.ids))
        name = acct.split("@")[0].title()
        account = {"id": str(zlib.crc32(acct.encode())), "acct": acct, "display_name": name}
        status = {
            "id": status_id,
            "url": f"{self.url}/@{acct}/{status_id}",
            "content": f"<p><span class=\"h-card\">@stadt</span> {html.escape(text)}</p>",
            "created_at": "2026-11-21T10:00:00.000Z",
            "visibility": visibility,
            "in_reply_to_id": in_reply_to_id,
            "account": account,
        }
        note = {
            "id": str(next(self.ids)),
            "type": "mention",
            "created_at": "2026-11-21T10:00:00.000Z",
            "account": account,
            "status": status,
        }
        self.notifications.append(note)
        return status

    def public_status(
        self, acct: str, text: str, *, tags: tuple[str, ...] = (), created_at: datetime | None = None
    ) -> dict[str, Any]:
        """Another account posts publicly (not to us): found by hashtag timelines and search."""
        status_id = str(next(self.ids))
        account = {"id": str(zlib.crc32(acct.encode())), "acct": acct, "display_name": acct.split("@")[0]}
        when = (created_at or datetime.now(UTC)).astimezone(UTC)
        status = {
            "id": status_id,
            "url": f"{self.url}/@{acct}/{status_id}",
            "content": f"<p>{html.escape(text)}</p>",
            "created_at": when.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "visibility": "public",
            "in_reply_to_id": None,
            "account": account,
            "tags": [{"name": tag.lower(), "url": f"{self.url}/tags/{tag.lower()}"} for tag in tags],
        }
        self.public_statuses.append(status)
        return status

    def tag_timeline(self, tag: str, request: Recorded) -> list[dict[str, Any]]:
        """``GET /api/v1/timelines/tag/:hashtag``: newest first, ``since_id``/``max_id``, ``limit`` <= 40."""
        since = int(request.query.get("since_id", ["0"])[0] or 0)
        limit = min(40, int(request.query.get("limit", ["20"])[0]))
        found = [
            s
            for s in self.public_statuses
            if tag.lower() in {t["name"] for t in s["tags"]} and int(s["id"]) > since
        ]
        return list(reversed(found))[:limit]

    def search(self, request: Recorded) -> tuple[int, Any, dict[str, str]]:
        """``GET /api/v2/search``: statuses whose text holds every word of ``q`` (needs the token)."""
        words = request.query.get("q", [""])[0].lower().split()
        if not words:
            return 400, {"error": "Validation failed: q is missing"}, {}
        kind = request.query.get("type", [None])[0]
        limit = min(40, int(request.query.get("limit", ["20"])[0]))
        statuses = [
            s for s in self.public_statuses if all(w in html.unescape(s["content"]).lower() for w in words)
        ]
        found = list(reversed(statuses))[:limit] if kind in (None, "statuses") else []
        return 200, {"accounts": [], "statuses": found, "hashtags": []}, {}

    def authorized(self, request: Recorded) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.token}"

    def posted(self) -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST" and r.path == "/api/v1/statuses"]

    def handle(self, request: Recorded) -> tuple[int, Any, dict[str, str]]:
        request.path = request.path.rstrip("/") or "/"
        if request.path in ("/api/v2/instance", "/api/v1/instance"):
            return (
                200,
                {
                    "uri": "fake.example",
                    "version": "4.3.0",
                    "api_versions": {"mastodon": 2},
                    "configuration": {
                        "statuses": {
                            "max_characters": self.max_characters,
                            "max_media_attachments": 4,
                            "characters_reserved_per_url": self.characters_reserved_per_url,
                        }
                    },
                },
                {},
            )
        if not self.authorized(request):
            return 401, {"error": "The access token is invalid"}, {}
        if request.path == "/api/v1/accounts/verify_credentials":
            return 200, {"id": "1", "acct": "stadt", "username": "stadt"}, {}
        if request.path in ("/api/v1/media", "/api/v2/media") and request.method == "POST":
            return 200, {"id": str(next(self.ids)), "type": "image"}, {}
        if request.path == "/api/v1/notifications" and request.method == "GET":
            return 200, self.notifications_page(request), {}
        if request.path.startswith("/api/v1/timelines/tag/") and request.method == "GET":
            return 200, self.tag_timeline(request.path.rsplit("/", 1)[-1], request), {}
        if request.path == "/api/v2/search" and request.method == "GET":
            return self.search(request)
        if request.path == "/api/v1/statuses" and request.method == "POST":
            time.sleep(self.status_delay)
            key = request.headers.get("idempotency-key", "")
            if key and key in self.statuses:
                return 200, self.statuses[key], {}
            data = (
                request.json()
                if request.headers.get("content-type", "").startswith("application/json")
                else {k: v[0] for k, v in request.form().items()}
            )
            text = data.get("status", "")
            if len(text) > self.max_characters:
                return (
                    422,
                    {"error": f"Validation failed: Text character limit of {self.max_characters} exceeded"},
                    {},
                )
            status_id = str(next(self.ids))
            status = {
                "id": status_id,
                "url": f"{self.url}/@stadt/{status_id}",
                "content": text,
                "created_at": "2026-11-21T10:00:00.000Z",
                "visibility": "public",
                "account": {"id": "1", "acct": "stadt"},
                "in_reply_to_id": data.get("in_reply_to_id"),
            }
            self.posted_statuses.append(status)
            if key:
                self.statuses[key] = status
            return 200, status, {}
        return 404, {"error": "Record not found"}, {}

    def notifications_page(self, request: Recorded) -> list[dict[str, Any]]:
        types = request.query.get("types[]") or []
        since = int(request.query.get("since_id", ["0"])[0] or 0)
        limit = int(request.query.get("limit", ["40"])[0])
        found = [n for n in self.notifications if (not types or n["type"] in types) and int(n["id"]) > since]
        return list(reversed(found))[:limit]
