"""A fake X API v2: posts and replies, media upload and metadata, users/me, mentions, with X's errors.

``mention()`` adds another user's post that mentions the account; ``GET /2/users/:id/mentions``
returns them newest first after ``since_id``, with ``includes.users`` and the replied-to posts.

Requests must carry a valid OAuth 1.0a HMAC-SHA1 signature made with the configured
consumer and access-token secrets (checked with oauthlib), as the real API demands.
"""

from __future__ import annotations

import itertools
import time
from typing import Any
from urllib.parse import urlencode

from oauthlib.common import Request as OAuthRequest
from oauthlib.oauth1.rfc5849 import signature, utils

from publisher.text.x import parse
from tests.fakes.http import FakeServer, Recorded
from tests.fakes.multipart import parse_multipart

PROBLEM = "about:blank"


def problem(status: int, title: str, detail: str) -> dict[str, Any]:
    return {"title": title, "detail": detail, "type": PROBLEM, "status": status}


def invalid_request(message: str) -> dict[str, Any]:
    return {
        "errors": [{"message": message}],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": "https://api.twitter.com/2/problems/invalid-request",
    }


class FakeX(FakeServer):
    def __init__(
        self,
        consumer_key: str = "ck",
        consumer_secret: str = "cs",
        access_token: str = "at",
        access_token_secret: str = "ats",
    ) -> None:
        super().__init__()
        self.consumer_key = consumer_key
        self.consumer_secret = consumer_secret
        self.access_token = access_token
        self.access_token_secret = access_token_secret
        self.ids = itertools.count(1_790_000_000_000_000_000)
        self.media: dict[str, dict[str, Any]] = {}
        self.posts: list[dict[str, Any]] = []
        self.remaining = 99
        self.mentions: list[dict[str, Any]] = []  # oldest first
        self.users: dict[str, dict[str, Any]] = {}

    def mention(self, username: str, text: str, *, in_reply_to: str | None = None) -> dict[str, Any]:
        user = self.users.setdefault(
            username, {"id": str(9000 + len(self.users)), "username": username, "name": username.title()}
        )
        post: dict[str, Any] = {
            "id": str(next(self.ids)),
            "text": f"@stadt {text}",
            "author_id": user["id"],
            "created_at": "2026-11-21T10:00:00.000Z",
            "edit_history_tweet_ids": [],
        }
        if in_reply_to:
            post["referenced_tweets"] = [{"type": "replied_to", "id": in_reply_to}]
        self.mentions.append(post)
        return post

    def signed(self, request: Recorded) -> bool:
        header = request.headers.get("authorization", "")
        if not header.startswith("OAuth "):
            return False
        oauth = dict(utils.parse_authorization_header(header))
        if (
            oauth.get("oauth_consumer_key") != self.consumer_key
            or oauth.get("oauth_token") != self.access_token
        ):
            return False
        form = request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded")
        query = urlencode([(k, v) for k, values in request.query.items() for v in values])
        uri = f"http://{request.headers['host']}{request.path}" + (f"?{query}" if query else "")
        checked = OAuthRequest(uri, request.method, request.body if form else "", {"Authorization": header})
        checked.params = signature.collect_parameters(
            uri_query=query, body=request.body.decode() if form else "", headers={"Authorization": header}
        )
        checked.signature = utils.unescape(oauth.get("oauth_signature", ""))
        return signature.verify_hmac_sha1(checked, self.consumer_secret, self.access_token_secret)

    def created(self) -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST" and r.path == "/2/tweets"]

    def limit_headers(self) -> dict[str, str]:
        return {
            "x-rate-limit-limit": "100",
            "x-rate-limit-remaining": str(self.remaining),
            "x-rate-limit-reset": str(int(time.time()) + 900),
        }

    def handle(self, request: Recorded) -> tuple[int, Any, dict[str, str]]:
        if not self.signed(request):
            return 401, problem(401, "Unauthorized", "Unauthorized"), {}
        if request.path == "/2/users/me" and request.method == "GET":
            return 200, {"data": {"id": "4711", "name": "Stadt Musterhausen", "username": "stadt"}}, {}
        if request.path == "/2/users/4711/mentions" and request.method == "GET":
            return self.mentions_page(request)
        if request.path == "/2/media/upload" and request.method == "POST":
            return self.upload(request)
        if request.path == "/2/media/metadata" and request.method == "POST":
            body = request.json()
            if body.get("id") not in self.media:
                return 400, invalid_request(f"Media id {body.get('id')} not found"), {}
            alt = body["metadata"]["alt_text"]["text"]
            if len(alt) > 1000:
                return 400, invalid_request("alt_text.text must be at most 1000 characters"), {}
            self.media[body["id"]]["alt"] = alt
            return 200, {"data": {"id": body["id"], "associated_metadata": body["metadata"]}}, {}
        if request.path == "/2/tweets" and request.method == "POST":
            return self.create(request.json())
        return 404, problem(404, "Not Found Error", "Could not find the requested resource."), {}

    def upload(self, request: Recorded) -> tuple[int, Any, dict[str, str]]:
        parts = parse_multipart(request)
        if "media" not in parts or not parts["media"].data:
            return 400, invalid_request("media is required"), {}
        media_id = str(next(self.ids))
        self.media[media_id] = {"bytes": parts["media"].data, "alt": None}
        data = {
            "id": media_id,
            "media_key": f"3_{media_id}",
            "size": len(parts["media"].data),
            "expires_after_secs": 86400,
            "image": {"image_type": parts["media"].content_type, "w": 800, "h": 600},
        }
        return 200, {"data": data}, {}

    def create(self, body: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        text = body.get("text", "")
        if any(p["text"] == text for p in self.posts):
            return (
                403,
                problem(403, "Forbidden", "You are not allowed to create a Tweet with duplicate content."),
                {},
            )
        if not parse(text).valid:
            return 400, invalid_request("Your Tweet text is too long."), {}
        media_ids = (body.get("media") or {}).get("media_ids") or []
        unknown = [m for m in media_ids if m not in self.media]
        if unknown:
            return 400, invalid_request(f"Your media IDs are invalid: {unknown}"), {}
        post_id = str(next(self.ids))
        post = {
            "id": post_id,
            "text": text,
            "media_ids": media_ids,
            "edit_history_tweet_ids": [post_id],
            "reply": body.get("reply"),
        }
        self.posts.append(post)
        self.remaining = max(0, self.remaining - 1)
        data = {"id": post_id, "text": text, "edit_history_tweet_ids": [post_id]}
        return 201, {"data": data}, self.limit_headers()

    def mentions_page(self, request: Recorded) -> tuple[int, Any, dict[str, str]]:
        since = int(request.query.get("since_id", ["0"])[0] or 0)
        found = [m for m in self.mentions if int(m["id"]) > since][::-1]
        if not found:
            return 200, {"meta": {"result_count": 0}}, self.limit_headers()
        authors = {m["author_id"] for m in found}
        replied = {r["id"] for m in found for r in m.get("referenced_tweets", [])}
        includes = {
            "users": [u for u in self.users.values() if u["id"] in authors],
            "tweets": [{"id": p["id"], "text": p["text"]} for p in self.posts if p["id"] in replied],
        }
        meta = {"result_count": len(found), "newest_id": found[0]["id"], "oldest_id": found[-1]["id"]}
        return 200, {"data": found, "includes": includes, "meta": meta}, self.limit_headers()
