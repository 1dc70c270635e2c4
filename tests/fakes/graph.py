"""A fake Meta Graph API: Facebook Page feed/photos/comments and Instagram publishing/comments.

Comments: ``fb_comment()`` / ``ig_comment()`` add a citizen's comment; ``GET /{post}/comments``
(Facebook, flat ``filter=stream`` with ``parent``) and ``GET /{media}/comments`` (Instagram) list
them; ``POST /{comment}/comments`` (Facebook) and ``POST /{comment}/replies`` (Instagram) reply.

Errors have Graph's shape ``{"error": {"message", "type", "code", "error_subcode",
"fbtrace_id"}}``; the token travels as ``access_token`` (query or form), as
facebook-sdk and the Graph docs send it. Any ``/vNN.N/`` version prefix is accepted
and recorded, so tests can see which version the adapter used.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

from tests.fakes.http import FakeServer, Recorded
from tests.fakes.multipart import parse_multipart

VERSION_RE = re.compile(r"^/(v\d+\.\d+)/(.*)$")


def graph_error(
    status: int, code: int, message: str, subcode: int | None = None, kind: str = "OAuthException"
):  # type: ignore[no-untyped-def]
    error: dict[str, Any] = {"message": message, "type": kind, "code": code, "fbtrace_id": "AbCdEf123"}
    if subcode:
        error["error_subcode"] = subcode
    return status, {"error": error}, {}


class FakeGraph(FakeServer):
    def __init__(
        self, token: str = "page-token", page_id: str = "1029384756", ig_user_id: str = "17841400000000000"
    ) -> None:
        super().__init__()
        self.token = token
        self.page_id = page_id
        self.ig_user_id = ig_user_id
        self.ids = itertools.count(5000)
        self.versions: list[str] = []
        self.feed: list[dict[str, Any]] = []
        self.photos: dict[str, dict[str, Any]] = {}
        self.containers: dict[str, dict[str, Any]] = {}
        self.ig_media: dict[str, dict[str, Any]] = {}
        self.quota_usage = 0
        self.quota_total = 100
        self.container_status = "FINISHED"
        self.token_expires_at = 0  # debug_token's expires_at: Unix time, 0 = never
        self.revoked = False  # the user changed the password: every call is refused (190/460)
        self.fb_comments: dict[str, dict[str, Any]] = {}
        self.ig_comments: dict[str, dict[str, Any]] = {}

    def fb_comment(self, post_id: str, name: str, text: str, parent: str | None = None) -> dict[str, Any]:
        comment_id = f"{post_id.rsplit('_', 1)[-1]}_{next(self.ids)}"
        comment: dict[str, Any] = {
            "id": comment_id,
            "message": text,
            "from": {"id": str(100000 + len(self.fb_comments)), "name": name},
            "created_time": "2026-11-21T10:00:00+0000",
            "permalink_url": f"https://www.facebook.com/{post_id}?comment_id={comment_id}",
            "object_id": post_id,
        }
        if parent:
            comment["parent"] = {"id": parent}
        self.fb_comments[comment_id] = comment
        return comment

    def ig_comment(
        self, media_id: str, username: str, text: str, parent: str | None = None
    ) -> dict[str, Any]:
        comment_id = str(next(self.ids))
        comment: dict[str, Any] = {
            "id": comment_id,
            "text": text,
            "username": username,
            "from": {"id": str(200000 + len(self.ig_comments)), "username": username},
            "timestamp": "2026-11-21T10:00:00+0000",
            "media_id": media_id,
        }
        if parent:
            comment["parent_id"] = parent
        self.ig_comments[comment_id] = comment
        return comment

    def params(self, request: Recorded) -> dict[str, Any]:
        values = {k: v[0] for k, v in request.query.items()}
        content_type = request.headers.get("content-type", "")
        if content_type.startswith("application/x-www-form-urlencoded"):
            values.update({k: v[0] for k, v in request.form().items()})
        elif content_type.startswith("multipart/form-data"):
            values.update({k: (p if p.filename else p.text) for k, p in parse_multipart(request).items()})
        return values

    def posts(self, path_end: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST" and r.path.endswith(path_end)]

    def handle(self, request: Recorded) -> tuple[int, Any, dict[str, str]]:
        match = VERSION_RE.match(request.path)
        if not match:
            return graph_error(400, 2500, "Unknown path components", kind="OAuthException")
        self.versions.append(match.group(1))
        path = match.group(2).strip("/")
        params = self.params(request)
        if params.get("access_token") != self.token:
            return graph_error(400, 190, "Error validating access token: Session has expired on Friday.", 463)
        if self.revoked:
            return graph_error(
                400,
                190,
                "Error validating access token: The session has been invalidated because the user "
                "changed their password or Facebook has changed the session for security reasons.",
                460,
            )
        parts = path.split("/")
        if parts == ["me"] and request.method == "GET":
            return 200, {"id": self.page_id, "name": "Stadt Musterhausen"}, {}
        if parts == ["debug_token"] and request.method == "GET":
            return self.debug_token(str(params.get("input_token", "")))
        if parts[0] == self.page_id:
            return self.page(request.method, parts[1:], params)
        if parts[0] == self.ig_user_id:
            return self.instagram(request.method, parts[1:], params)
        answered = self.comments(request.method, parts, params)
        if answered is not None:
            return answered
        if parts[0] in self.containers and request.method == "GET":
            return 200, {"status_code": self.containers[parts[0]]["status"], "id": parts[0]}, {}
        if parts[0] in self.ig_media and request.method == "GET":
            return 200, {"id": parts[0], "permalink": f"https://www.instagram.com/p/C{parts[0]}/"}, {}
        return graph_error(
            400,
            100,
            f"Unsupported get request. Object with ID '{parts[0]}' does not exist",
            33,
            "GraphMethodException",
        )

    def debug_token(self, token: str) -> tuple[int, Any, dict[str, str]]:
        """Graph's token inspection: validity, type, expiry (0 = never) and scopes."""
        data: dict[str, Any] = {
            "app_id": "4242",
            "type": "PAGE",
            "application": "Ernstfall",
            "is_valid": token == self.token and not self.revoked,
            "expires_at": self.token_expires_at,
            "scopes": ["pages_manage_posts", "pages_read_engagement", "instagram_content_publish"],
            "profile_id": self.page_id,
        }
        if not data["is_valid"]:
            data["error"] = {"code": 190, "message": "The access token could not be decrypted"}
        return 200, {"data": data}, {}

    # -- Facebook Page ---------------------------------------------------------------
    def page(self, method: str, rest: list[str], params: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        if method == "GET" and not rest:
            return 200, {"id": self.page_id, "name": "Stadt Musterhausen"}, {}
        if method == "GET" and rest == ["feed"]:
            data = [{"id": post["id"], "message": post["message"]} for post in reversed(self.feed)]
            return 200, {"data": data[: int(params.get("limit") or 25)]}, {}
        if method == "POST" and rest == ["photos"]:
            if "source" not in params:
                return graph_error(400, 324, "Requires upload file", kind="OAuthException")
            photo_id = str(next(self.ids))
            self.photos[photo_id] = {
                "alt": params.get("alt_text_custom"),
                "published": params.get("published"),
            }
            return 200, {"id": photo_id}, {}
        if method == "POST" and rest == ["feed"]:
            message = params.get("message", "")
            if any(post["message"] == message for post in self.feed):
                return graph_error(400, 506, "Duplicate status message", kind="OAuthException")
            attached = [v for k, v in sorted(params.items()) if k.startswith("attached_media[")]
            post_id = f"{self.page_id}_{next(self.ids)}"
            self.feed.append(
                {"id": post_id, "message": message, "link": params.get("link"), "attached": attached}
            )
            return 200, {"id": post_id}, {}
        return graph_error(400, 100, "Invalid parameter", kind="OAuthException")

    # -- Instagram -------------------------------------------------------------------
    def instagram(
        self, method: str, rest: list[str], params: dict[str, Any]
    ) -> tuple[int, Any, dict[str, str]]:
        if method == "GET" and not rest:
            return 200, {"id": self.ig_user_id, "username": "stadt_musterhausen"}, {}
        if method == "GET" and rest == ["content_publishing_limit"]:
            data = [
                {
                    "config": {"quota_total": self.quota_total, "quota_duration": 86400},
                    "quota_usage": self.quota_usage,
                }
            ]
            return 200, {"data": data}, {}
        if method == "GET" and rest == ["media"]:
            data = [
                {"id": k, "caption": v["caption"], "permalink": f"https://www.instagram.com/p/C{k}/"}
                for k, v in self.ig_media.items()
            ]
            return 200, {"data": list(reversed(data))}, {}
        if method == "POST" and rest == ["media"]:
            if not str(params.get("image_url", "")).startswith("https://"):
                return graph_error(400, 9004, "Only photo or video can be accepted as media type.", 2207052)
            caption = params.get("caption", "")
            if len(caption) > 2200:
                return graph_error(400, 100, "The caption is too long.", 2207018)
            container = str(next(self.ids))
            self.containers[container] = {
                "caption": caption,
                "image_url": params["image_url"],
                "alt": params.get("alt_text"),
                "status": self.container_status,
            }
            return 200, {"id": container}, {}
        if method == "POST" and rest == ["media_publish"]:
            container = self.containers.get(str(params.get("creation_id")))
            if container is None:
                return graph_error(400, 100, "Invalid parameter", 2207008)
            if container["status"] == "IN_PROGRESS":
                return graph_error(400, 9007, "Media ID is not available", 2207027)
            if container["status"] == "PUBLISHED":
                return graph_error(400, 9, "Media already published", 2207001)
            if self.quota_usage >= self.quota_total:
                return graph_error(400, 9, "Application request limit reached", 2207042)
            container["status"] = "PUBLISHED"
            self.quota_usage += 1
            media_id = str(next(self.ids))
            self.ig_media[media_id] = {"caption": container["caption"], "alt": container["alt"]}
            return 200, {"id": media_id}, {}
        return graph_error(400, 100, "Invalid parameter", kind="OAuthException")

    # -- comments (both platforms) -----------------------------------------------------
    def comments(
        self, method: str, parts: list[str], params: dict[str, Any]
    ) -> tuple[int, Any, dict[str, str]] | None:
        target, rest = parts[0], parts[1:]
        if method == "GET" and rest == ["comments"] and any(p["id"] == target for p in self.feed):
            data = [c for c in self.fb_comments.values() if c["object_id"] == target]
            return 200, {"data": list(reversed(data))}, {}
        if method == "POST" and rest == ["comments"] and target in self.fb_comments:
            if self.fb_comments[target].get("parent"):
                return graph_error(400, 100, "(#100) Cannot reply to a reply", kind="OAuthException")
            if not params.get("message"):
                return graph_error(400, 100, "(#100) Missing message", kind="OAuthException")
            reply = self.fb_comment(self.fb_comments[target]["object_id"], "Stadt Musterhausen",
                                    params["message"], parent=target)
            reply["from"] = {"id": self.page_id, "name": "Stadt Musterhausen"}
            return 200, {"id": reply["id"]}, {}
        if method == "GET" and rest == ["comments"] and target in self.ig_media:
            data = [c for c in self.ig_comments.values() if c["media_id"] == target]
            return 200, {"data": list(reversed(data))}, {}
        if method == "POST" and rest == ["replies"] and target in self.ig_comments:
            if self.ig_comments[target].get("parent_id"):
                return graph_error(400, 100, "Invalid parameter", 2207053)
            reply = self.ig_comment(self.ig_comments[target]["media_id"], "stadt_musterhausen",
                                    str(params.get("message", "")), parent=target)
            reply["from"] = {"id": self.ig_user_id, "username": "stadt_musterhausen"}
            return 200, {"id": reply["id"]}, {}
        return None
