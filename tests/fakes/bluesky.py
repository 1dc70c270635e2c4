"""A fake Bluesky PDS speaking XRPC: sessions, records, blobs, notifications, and the PDS's errors.

``mention()`` / ``reply_to()`` make another account mention us or reply to one of our posts;
``app.bsky.notification.listNotifications`` returns them newest first, as the AppView does.
``public_post()`` makes another account post; ``app.bsky.feed.searchPosts`` (session needed)
finds it.

Tokens are JWTs with real ``exp`` claims (the atproto client decides by them when to
refresh); refresh tokens rotate on every refresh as on the real PDS.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import time
from datetime import UTC, datetime
from typing import Any

import regex

from tests.fakes.http import FakeServer, Recorded

DID = "did:plc:stadtmusterhausen"


def jwt(payload: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'ES256K', 'typ': 'at+jwt'})}.{part(payload)}.c2lnbmF0dXJl"


def xrpc_error(status: int, error: str, message: str) -> tuple[int, dict[str, Any], dict[str, str]]:
    return status, {"error": error, "message": message}, {}


class FakeBluesky(FakeServer):
    def __init__(
        self, handle: str = "stadt.bsky.social", password: str = "app-pass-1234", access_ttl: int = 7200
    ) -> None:
        super().__init__()
        self.account_handle = handle
        self.password = password
        self.access_ttl = access_ttl
        self.access_tokens: set[str] = set()
        self.refresh_tokens: set[str] = set()
        self.counter = itertools.count(1)
        self.records: dict[str, dict[str, Any]] = {}  # rkey -> record
        self.blobs: dict[str, bytes] = {}
        self.handles: dict[str, str] = {handle: DID}  # handle -> DID, for resolveHandle
        self.notifications: list[dict[str, Any]] = []  # oldest first
        self.public_posts: list[dict[str, Any]] = []  # what searchPosts finds, oldest first

    def notify(
        self, handle: str, text: str, reason: str, reply: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        n = next(self.counter)
        did = f"did:plc:{handle.split('.')[0]}"
        record: dict[str, Any] = {
            "$type": "app.bsky.feed.post",
            "text": text,
            "createdAt": f"2026-11-21T10:{n % 60:02d}:00.000Z",
        }
        if reply:
            record["reply"] = reply
        note = {
            "uri": f"at://{did}/app.bsky.feed.post/3kcit{n:08d}",
            "cid": f"bafycitizen{n}",
            "author": {"did": did, "handle": handle, "displayName": handle.split(".")[0].title()},
            "reason": reason,
            "record": record,
            "isRead": False,
            "indexedAt": f"2026-11-21T10:{n % 60:02d}:{n // 60 % 60:02d}.000Z",
            "labels": [],
        }
        self.notifications.append(note)
        return note

    def mention(self, handle: str, text: str) -> dict[str, Any]:
        return self.notify(handle, f"@{self.account_handle} {text}", "mention")

    def reply_to(self, handle: str, rkey: str, text: str) -> dict[str, Any]:
        ours = {"uri": self.uri(rkey), "cid": "bafyfake"}
        return self.notify(handle, text, "reply", {"root": ours, "parent": ours})

    def public_post(self, handle: str, text: str, at: datetime | None = None) -> dict[str, Any]:
        """Another account posts (not to us): ``app.bsky.feed.searchPosts`` finds it."""
        n = next(self.counter)
        did = f"did:plc:{handle.split('.')[0]}"
        stamp = (at or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        post = {
            "uri": f"at://{did}/app.bsky.feed.post/3kpub{n:08d}",
            "cid": f"bafypublic{n}",
            "author": {"did": did, "handle": handle, "displayName": handle.split(".")[0].title()},
            "record": {"$type": "app.bsky.feed.post", "text": text, "createdAt": stamp},
            "indexedAt": stamp,
            "labels": [],
        }
        self.public_posts.append(post)
        return post

    def search_posts(self, request: Recorded) -> tuple[int, Any, dict[str, str]]:
        """Posts holding every word of ``q``, newest first (``sort=latest``), not before ``since``."""
        words = request.query.get("q", [""])[0].lower().split()
        if not words:
            return xrpc_error(400, "InvalidRequest", 'Error: Params must have the property "q"')
        since = request.query.get("since", [""])[0]
        limit = min(100, int(request.query.get("limit", ["25"])[0]))
        found = [
            p
            for p in self.public_posts
            if all(w in p["record"]["text"].lower() for w in words) and p["indexedAt"] >= since
        ]
        return 200, {"posts": list(reversed(found))[:limit], "hitsTotal": len(found)}, {}

    def calls(self, nsid: str) -> list[Recorded]:
        return [r for r in self.requests if r.path == f"/xrpc/{nsid}"]

    def issue(self) -> dict[str, Any]:
        now = int(time.time())
        n = next(self.counter)
        access = jwt(
            {"scope": "com.atproto.access", "sub": DID, "iat": now, "exp": now + self.access_ttl, "n": n}
        )
        refresh = jwt(
            {"scope": "com.atproto.refresh", "sub": DID, "iat": now, "exp": now + 90 * 86400, "jti": f"r{n}"}
        )
        self.access_tokens.add(access)
        self.refresh_tokens.add(refresh)
        return {
            "accessJwt": access,
            "refreshJwt": refresh,
            "handle": self.account_handle,
            "did": DID,
            "active": True,
        }

    def revoke_all(self) -> None:
        self.access_tokens.clear()
        self.refresh_tokens.clear()

    def bearer(self, request: Recorded) -> str:
        return request.headers.get("authorization", "").removeprefix("Bearer ")

    def handle(self, request: Recorded) -> tuple[int, Any, dict[str, str]]:
        nsid = request.path.removeprefix("/xrpc/")
        if nsid == "com.atproto.server.createSession":
            body = request.json() or {}
            if body.get("identifier") != self.account_handle or body.get("password") != self.password:
                return xrpc_error(401, "AuthenticationRequired", "Invalid identifier or password")
            return (
                200,
                self.issue(),
                {"ratelimit-limit": "30", "ratelimit-remaining": "29", "ratelimit-policy": "30;w=300"},
            )
        if nsid == "com.atproto.server.refreshSession":
            token = self.bearer(request)
            if token not in self.refresh_tokens:
                return xrpc_error(400, "ExpiredToken", "Token has been revoked")
            self.refresh_tokens.discard(token)  # refresh tokens are single-use
            return 200, self.issue(), {}
        if nsid == "com.atproto.identity.resolveHandle":
            handle = request.query.get("handle", [""])[0]
            if handle not in self.handles:
                return xrpc_error(400, "InvalidRequest", "Unable to resolve handle")
            return 200, {"did": self.handles[handle]}, {}
        if self.bearer(request) not in self.access_tokens:
            return xrpc_error(400, "ExpiredToken", "Token has expired")
        if nsid == "com.atproto.server.getSession":
            return 200, {"handle": self.account_handle, "did": DID, "active": True}, {}
        if nsid == "app.bsky.feed.searchPosts":
            return self.search_posts(request)
        if nsid == "app.bsky.notification.listNotifications":
            limit = int(request.query.get("limit", ["50"])[0])
            return 200, {"notifications": list(reversed(self.notifications))[:limit]}, {}
        if nsid == "com.atproto.repo.getRecord":
            rkey = request.query.get("rkey", [""])[0]
            if rkey not in self.records:
                return xrpc_error(
                    400, "RecordNotFound", f"Could not locate record: at://{DID}/app.bsky.feed.post/{rkey}"
                )
            return 200, {"uri": self.uri(rkey), "cid": "bafyfake", "value": self.records[rkey]}, {}
        if nsid == "com.atproto.repo.uploadBlob":
            cid = "bafkrei" + hashlib.sha256(request.body).hexdigest()[:40]
            self.blobs[cid] = request.body
            mime = request.headers.get("content-type", "application/octet-stream")
            return (
                200,
                {
                    "blob": {
                        "$type": "blob",
                        "ref": {"$link": cid},
                        "mimeType": mime,
                        "size": len(request.body),
                    }
                },
                {},
            )
        if nsid == "com.atproto.repo.createRecord":
            return self.create(request.json())
        return xrpc_error(501, "MethodNotImplemented", f"Method Not Implemented: {nsid}")

    def uri(self, rkey: str) -> str:
        return f"at://{DID}/app.bsky.feed.post/{rkey}"

    def create(self, body: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        record = body.get("record") or {}
        text = record.get("text", "")
        if len(regex.findall(r"\X", text)) > 300 or len(text.encode()) > 3000:
            return xrpc_error(
                400,
                "InvalidRequest",
                "Invalid app.bsky.feed.post record: Record/text must not be longer than 300 graphemes",
            )
        rkey = body.get("rkey") or f"3k{next(self.counter):011d}"
        if rkey in self.records:
            return xrpc_error(400, "InvalidRequest", "Record already exists")
        for image in (record.get("embed") or {}).get("images", []):
            if image["image"]["ref"]["$link"] not in self.blobs:
                return xrpc_error(400, "InvalidRequest", "Could not find blob")
        self.records[rkey] = record
        return (
            200,
            {
                "uri": self.uri(rkey),
                "cid": "bafyfake",
                "commit": {"cid": "bafycommit", "rev": "3k"},
                "validationStatus": "valid",
            },
            {},
        )
