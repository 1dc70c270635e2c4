"""X (Twitter) through tweepy's API v2 client with OAuth 1.0a user context.

Length is X's weighted length (:mod:`publisher.text.x`). Images go through the
v2 media upload endpoint, then their alt text through ``/2/media/metadata``, then the
post through ``Client.create_tweet``. tweepy cannot take a base URL, so it is given a
:class:`~publisher.rebased_session.RebasedSession` that redirects its fixed host.

X takes no idempotency key. A post whose outcome is unknown is therefore not resent
for community posts; for an alert it is resent, and if the first attempt did arrive
X answers 403 "duplicate content", which we report as permanent with a hint that the
post is probably already online.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, ClassVar

import requests

from publisher import http
from publisher.channels.base import ChannelAdapter, CheckResult, Limits, Message, Problem, Receipt
from publisher.errors import DeliveryError
from publisher.inbox import IN_REPLY_TO, InboxEntry, InboxPage, acquire_read, parse_time, pause_reads
from publisher.outbox import ratelimit
from publisher.rebased_session import RebasedSession
from publisher.text import x as x_text
from publisher.vocabulary import InboxKind

if TYPE_CHECKING:  # tweepy (about 15 MB) is imported by the code that talks to X only
    import tweepy

TWEEPY_ORIGIN = "https://api.twitter.com"  # what tweepy.Client hard-codes
DEFAULT_BASE_URL = "https://api.x.com"
CREDENTIALS = ("consumer_key", "consumer_secret", "access_token", "access_token_secret")


class XChannel(ChannelAdapter):
    type_name = "x"
    label = "X"
    limits: ClassVar[Limits] = Limits(
        max_length=x_text.MAX_WEIGHTED_LENGTH,
        counted_as="weighted",
        max_media=4,
        alt_text_max=1000,
        link_length=x_text.TRANSFORMED_URL_LENGTH,
    )
    idempotent = False
    default_rate = "100/24h"  # X API Basic tier, per user; set rate_limit = "17/24h" on Free

    # -- editor side -------------------------------------------------------
    def measure(self, text: str) -> int:
        return x_text.weighted_length(text)

    def validate(self, message: Message) -> list[Problem]:
        problems = super().validate(message)
        text = self.render_text(message)
        if x_text.has_invalid_characters(text):
            problems.append(
                Problem("invalid_chars", "X: Text enthält unsichtbare Steuerzeichen (U+FEFF/U+FFFE)")
            )
        return problems

    # -- worker side -------------------------------------------------------
    def client(self) -> tweepy.Client:
        import tweepy

        keys = {name: self.config.secret(name) for name in CREDENTIALS}
        client = tweepy.Client(**keys, return_type=dict, wait_on_rate_limit=False)
        client.session = RebasedSession(
            self.config.name,
            TWEEPY_ORIGIN, self.config.base_url or DEFAULT_BASE_URL, self.config.http_timeout
        )
        return client

    def send(self, rendered: dict[str, Any], message: Message, idempotency_key: str) -> Receipt:
        import tweepy

        client = self.client()
        ratelimit.acquire(self.config, self.default_rate)
        media_ids = [self.upload(client, media.path, media.mime, media.alt) for media in message.media]
        try:
            body = client.create_tweet(
                text=rendered["text"],
                media_ids=media_ids or None,
                in_reply_to_tweet_id=message.extras.get(IN_REPLY_TO),  # a reply: {"reply": {...}}
                user_auth=True,
            )
        except (tweepy.TweepyException, requests.RequestException) as exc:
            raise self.classify(exc, posting=True) from exc
        self.honour_remaining(client.session)
        data = body.get("data") or {}
        if not data.get("id"):
            raise DeliveryError(
                f"{self.config.name}: Antwort ohne Beitrags-ID",
                outcome_unknown=True,
                platform_message=str(body)[:200],
            )
        return Receipt(remote_id=str(data["id"]), url=self.post_url(str(data["id"])))

    def fetch_inbox(self, cursor: str | None) -> InboxPage:
        """Mentions of the account since ``cursor`` (the newest post id seen), with the post each answers."""
        import tweepy

        client = self.client()
        acquire_read(self.config, "10/15m")  # GET /2/users/:id/mentions on the Basic tier
        try:
            user_id = str(self.config.options.get("user_id") or (client.get_me(user_auth=True)["data"]["id"]))
            body = client.get_users_mentions(
                user_id,
                since_id=cursor,
                max_results=100,
                expansions=["author_id", "referenced_tweets.id"],
                tweet_fields=["created_at", "conversation_id", "referenced_tweets"],
                user_fields=["username", "name"],
                user_auth=True,
            )
        except (tweepy.TweepyException, requests.RequestException) as exc:
            raise self.read_error(exc) from exc
        users = {u["id"]: u for u in (body.get("includes") or {}).get("users", [])}
        quoted = {t["id"]: t for t in (body.get("includes") or {}).get("tweets", [])}
        entries = [self.inbox_entry(post, users, quoted) for post in body.get("data") or []]
        return InboxPage(entries, (body.get("meta") or {}).get("newest_id"))

    def inbox_entry(
        self, post: dict[str, Any], users: dict[str, Any], referenced: dict[str, Any]
    ) -> InboxEntry:
        author = users.get(str(post.get("author_id")), {})
        answered = next(
            (r["id"] for r in post.get("referenced_tweets") or [] if r.get("type") == "replied_to"), None
        )
        return InboxEntry(
            remote_id=str(post["id"]),
            kind=InboxKind.REPLY if answered else InboxKind.MENTION,
            text=str(post.get("text") or ""),
            author_id=str(post.get("author_id") or ""),
            author_handle=f"@{author.get('username', '')}",
            author_name=str(author.get("name") or ""),
            created_at=parse_time(post.get("created_at")),
            url=f"https://x.com/{author.get('username', 'i/web')}/status/{post['id']}",
            thread_id=answered,
            thread_text=(referenced.get(answered) or {}).get("text") if answered else None,
            reply={IN_REPLY_TO: str(post["id"])},
        )

    def read_error(self, exc: Exception) -> DeliveryError:
        """A failed read: a 429 pauses reads (not posting) until X's reset."""
        import tweepy

        response = exc.response if isinstance(exc, tweepy.HTTPException) else None
        if isinstance(response, requests.Response) and response.status_code == 429:
            rule = http.throttled(self.config.name, 429, response.headers, wait=reset_wait(response))
            wait = (rule.retry_after if rule else None) or 900.0
            pause_reads(self.config, wait)
            return DeliveryError(f"{self.config.name}: Rate-Limit beim Abrufen", retry_after=wait, status=429)
        if isinstance(response, requests.Response):
            return DeliveryError(
                f"{self.config.name}: Abruf abgelehnt (HTTP {response.status_code})",
                permanent=response.status_code in (401, 403),
                platform_message=error_text(response),
                status=response.status_code,
            )
        return self.classify(exc, posting=False)

    def post_url(self, post_id: str) -> str:
        username = self.config.options.get("username")
        return (
            f"https://x.com/{username}/status/{post_id}"
            if username
            else f"https://x.com/i/web/status/{post_id}"
        )

    def upload(self, client: tweepy.Client, path: str, mime: str, alt: str) -> str:
        """v2 simple upload, then the alt text; returns the media id."""
        import tweepy

        session: RebasedSession = client.session
        auth = tweepy.OAuth1UserHandler(
            client.consumer_key, client.consumer_secret, client.access_token, client.access_token_secret
        ).apply_auth()
        base = session.base_url
        try:
            with open(path, "rb") as handle:
                response = session.post(
                    f"{base}/2/media/upload",
                    files={"media": (path.rsplit("/", 1)[-1], handle, mime)},
                    data={"media_category": "tweet_image", "media_type": mime},
                    auth=auth,
                )
        except OSError as exc:
            if isinstance(exc, requests.RequestException):
                raise self.classify(exc, posting=False) from exc
            raise DeliveryError(f"{self.config.name}: Bild nicht lesbar: {exc}", permanent=True) from exc
        media_id = str((self.json_of(response, posting=False).get("data") or {}).get("id") or "")
        if not media_id:
            raise DeliveryError(
                f"{self.config.name}: Upload ohne Medien-ID", platform_message=response.text[:200]
            )
        try:
            metadata = session.post(
                f"{base}/2/media/metadata",
                json={"id": media_id, "metadata": {"alt_text": {"text": alt}}},
                auth=auth,
            )
        except requests.RequestException as exc:
            raise self.classify(exc, posting=False) from exc
        self.json_of(metadata, posting=False)
        return media_id

    def json_of(self, response: requests.Response, *, posting: bool) -> dict[str, Any]:
        if not 200 <= response.status_code < 300:
            raise self.from_response(response)
        try:
            body = response.json()
        except ValueError as exc:
            raise DeliveryError(
                f"{self.config.name}: unlesbare Antwort (kein JSON)",
                outcome_unknown=posting,
                platform_message=response.text[:200],
            ) from exc
        return body if isinstance(body, dict) else {}

    def classify(self, exc: Exception, *, posting: bool) -> DeliveryError:
        import tweepy

        name = self.config.name
        if isinstance(exc, tweepy.HTTPException) and isinstance(exc.response, requests.Response):
            return self.from_response(exc.response)
        if isinstance(exc, requests.JSONDecodeError):  # a 2xx whose body we cannot read
            return DeliveryError(f"{name}: unlesbare Antwort (kein JSON)", outcome_unknown=posting)
        if isinstance(exc, requests.ConnectTimeout | requests.ConnectionError) and not isinstance(
            exc, requests.ReadTimeout
        ):
            return DeliveryError(f"{name}: nicht erreichbar ({type(exc).__name__})")
        if isinstance(exc, requests.ReadTimeout):
            # An upload that timed out publishes nothing; only the post itself is in doubt.
            return DeliveryError(
                f"{name}: keine Antwort innerhalb {self.config.http_timeout:.0f} s", outcome_unknown=posting
            )
        return DeliveryError(
            f"{name}: {type(exc).__name__}", outcome_unknown=posting, platform_message=str(exc)
        )

    def from_response(self, response: requests.Response) -> DeliveryError:
        name, status = self.config.name, response.status_code
        text = error_text(response)
        # 429 and 503: the HTTP layer's rule (Retry-After), with X's x-rate-limit-reset as a hint.
        rule = http.throttled(
            name, status, response.headers, platform_message=text, wait=reset_wait(response)
        )
        if rule is not None:
            if status == 429:
                ratelimit.pause(self.config, rule.retry_after)
            return rule
        if status >= 500:
            return DeliveryError(f"{name}: Serverfehler HTTP {status}", platform_message=text, status=status)
        if status == 401:
            hint = "Zugang abgelehnt — Schlüssel und Tokens (OAuth 1.0a) prüfen"
        elif status == 403 and "duplicate" in text.lower():
            hint = (
                "doppelter Inhalt abgelehnt — derselbe Text ist vermutlich schon online, bitte Konto prüfen"
            )
        elif status == 403:
            hint = "Aktion nicht erlaubt (App-Berechtigung „Read and write“ und API-Zugang prüfen)"
        else:
            hint = f"Beitrag abgelehnt (HTTP {status})"
        return DeliveryError(f"{name}: {hint}", permanent=True, platform_message=text, status=status)

    def honour_remaining(self, session: RebasedSession) -> None:
        """When X says no calls remain in this window, stop every worker until its reset."""
        response = session.last_response
        if response is not None and response.headers.get("x-rate-limit-remaining") == "0":
            ratelimit.pause(self.config, reset_wait(response))

    def check(self) -> CheckResult:
        import tweepy

        try:
            body = self.client().get_me(user_auth=True)
        except DeliveryError as exc:
            return CheckResult(False, str(exc))
        except (tweepy.TweepyException, requests.RequestException) as exc:
            return CheckResult(False, str(self.classify(exc, posting=False)))
        username = (body.get("data") or {}).get("username")
        return CheckResult(True, f"angemeldet als @{username}")


def reset_wait(response: requests.Response) -> float | None:
    """Seconds until ``x-rate-limit-reset`` (epoch seconds), at least 1."""
    raw = response.headers.get("x-rate-limit-reset")
    try:
        return max(1.0, float(raw) - time.time()) if raw else None
    except ValueError:
        return None


def error_text(response: requests.Response) -> str:
    """X's own words: ``detail`` of a problem, else the messages of ``errors``."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:300] or f"HTTP {response.status_code}"
    if not isinstance(body, dict):
        return str(body)[:300]
    messages = [
        str(e.get("message")) for e in body.get("errors") or [] if isinstance(e, dict) and e.get("message")
    ]
    if body.get("detail"):
        messages.insert(0, str(body["detail"]))
    return "; ".join(messages) or str(body.get("title") or f"HTTP {response.status_code}")
