"""A Facebook Page through facebook-sdk's ``GraphAPI``.

facebook-sdk 3.1.0 accepts only Graph versions 2.8 to 3.1 in its constructor: "25.0"
fails its ``#.#`` version pattern, "3.2" is not in its list (``GraphAPIError`` either
way), and Meta retired those old versions long ago. The adapter therefore constructs ``GraphAPI`` without a
version and sets ``graph.version`` afterwards to ``graph_version`` from channels.toml
(default ``v25.0``); the library only uses that attribute as the URL prefix. Its fixed
host is redirected to ``base_url`` by a :class:`~publisher.rebased_session.RebasedSession`.

Graph takes no idempotency key for page posts: an unknown outcome is not resent for
community posts; for alerts it is resent, and Graph may answer 506 (duplicate post).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import facebook
import requests

from publisher import http
from publisher.channels.base import ChannelAdapter, CheckResult, Limits, Message, Problem, Receipt
from publisher.channels.graph_errors import graph_error
from publisher.channels.graph_token import TokenFacts, invalid_text, token_facts
from publisher.errors import DeliveryError
from publisher.inbox import IN_REPLY_TO, InboxEntry, InboxPage, acquire_read, parse_time
from publisher.outbox import ratelimit
from publisher.rebased_session import RebasedSession
from publisher.vocabulary import InboxKind

SDK_ORIGIN = facebook.FACEBOOK_GRAPH_URL  # "https://graph.facebook.com/"
DEFAULT_VERSION = "v25.0"


class FacebookChannel(ChannelAdapter):
    type_name = "facebook"
    label = "Facebook"
    limits: ClassVar[Limits] = Limits(max_length=63206, max_media=10, alt_text_max=1000)
    idempotent = False
    default_rate = "200/1h"  # far below Graph's page limits; a guard against runaway loops

    # -- editor side -------------------------------------------------------
    def validate(self, message: Message) -> list[Problem]:
        problems = super().validate(message)
        if not self.config.options.get("page_id"):
            problems.append(Problem("config", "Facebook: page_id fehlt in der Kanalkonfiguration"))
        return problems

    def render(self, message: Message) -> dict[str, Any]:
        """The link goes as ``link`` (Facebook builds the preview card), not into the text."""
        text = message.text_for(self.type_name, self.config.name)
        link = message.link if message.link and message.link not in text else None
        if message.media and link:  # photo posts get no card: keep the link readable in the text
            text, link = f"{text}\n{link}", None
        return {"text": text, "link": link}

    # -- worker side -------------------------------------------------------
    def graph(self) -> facebook.GraphAPI:
        session = RebasedSession(self.config.name, SDK_ORIGIN, self.config.base_url, self.config.http_timeout)
        graph = facebook.GraphAPI(
            access_token=self.config.secret("page_token"), timeout=self.config.http_timeout, session=session
        )
        version = str(self.config.options.get("graph_version", DEFAULT_VERSION))
        graph.version = version if version.startswith("v") else f"v{version}"
        return graph

    def page_id(self) -> str:
        page_id = self.config.options.get("page_id")
        if not page_id:
            raise DeliveryError(f"{self.config.name}: page_id fehlt", permanent=True)
        return str(page_id)

    def send(self, rendered: dict[str, Any], message: Message, idempotency_key: str) -> Receipt:
        page_id = self.page_id()
        graph = self.graph()
        ratelimit.acquire(self.config, self.default_rate)
        if message.extras.get(IN_REPLY_TO):
            return self.reply(graph, str(message.extras[IN_REPLY_TO]), rendered["text"])
        try:
            photo_ids = [self.upload_photo(graph, page_id, m.path, m.alt) for m in message.media]
            args: dict[str, Any] = {"message": rendered["text"]}
            if rendered.get("link"):
                args["link"] = rendered["link"]
            for index, photo_id in enumerate(photo_ids):
                args[f"attached_media[{index}]"] = f'{{"media_fbid":"{photo_id}"}}'
            result = graph.put_object(page_id, "feed", **args)
        except (facebook.GraphAPIError, requests.RequestException, ValueError, KeyError) as exc:
            raise self.classify(exc, graph.session, posting=True) from exc
        self.refuse_throttled(graph.session)
        post_id = str(result.get("id") or "")
        if not post_id:
            raise DeliveryError(f"{self.config.name}: Antwort ohne Beitrags-ID", outcome_unknown=True)
        return Receipt(remote_id=post_id, url=f"https://www.facebook.com/{post_id}")

    def reply(self, graph: facebook.GraphAPI, comment_id: str, text: str) -> Receipt:
        """A comment reply (``POST /{comment-id}/comments``) under the citizen's comment."""
        try:
            result = graph.put_object(comment_id, "comments", message=text)
        except (facebook.GraphAPIError, requests.RequestException, ValueError, KeyError) as exc:
            raise self.classify(exc, graph.session, posting=True) from exc
        self.refuse_throttled(graph.session)
        reply_id = str(result.get("id") or "")
        if not reply_id:
            raise DeliveryError(f"{self.config.name}: Antwort ohne Kommentar-ID", outcome_unknown=True)
        return Receipt(remote_id=reply_id, url=f"https://www.facebook.com/{reply_id}")

    def fetch_inbox(self, cursor: str | None) -> InboxPage:
        """Comments under the page's recent posts (``filter=stream``: replies too, with ``parent``).

        Graph has no "since" for comments; the inbox de-duplicates by comment id, so the cursor
        is not used. Our own replies (from the page) are left out.
        """
        page_id = self.page_id()
        graph = self.graph()
        entries: list[InboxEntry] = []
        try:
            acquire_read(self.config, "60/1h")
            posts = graph.get_connections(page_id, "feed", fields="id,message", limit=10).get("data") or []
            for post in posts:
                acquire_read(self.config, "60/1h")
                comments = graph.get_connections(
                    post["id"],
                    "comments",
                    fields="id,message,from,created_time,parent,permalink_url",
                    filter="stream",
                    order="reverse_chronological",
                    limit=50,
                ).get("data") or []
                entries.extend(
                    self.inbox_entry(c, post) for c in comments if (c.get("from") or {}).get("id") != page_id
                )
        except (facebook.GraphAPIError, requests.RequestException, ValueError, KeyError) as exc:
            raise self.classify(exc, graph.session, posting=False) from exc
        return InboxPage(entries)

    @staticmethod
    def inbox_entry(comment: dict[str, Any], post: dict[str, Any]) -> InboxEntry:
        author = comment.get("from") or {}
        parent = (comment.get("parent") or {}).get("id")
        return InboxEntry(
            remote_id=str(comment["id"]),
            kind=InboxKind.COMMENT,
            text=str(comment.get("message") or ""),
            author_id=str(author.get("id") or ""),
            author_handle=str(author.get("name") or "Facebook-Nutzer:in"),
            author_name=str(author.get("name") or ""),
            created_at=parse_time(comment.get("created_time")),
            url=comment.get("permalink_url"),
            thread_id=str(post["id"]),
            thread_text=post.get("message"),
            # Graph threads one level deep: a reply to a reply goes under its parent comment.
            reply={IN_REPLY_TO: str(parent or comment["id"])},
        )

    def upload_photo(self, graph: facebook.GraphAPI, page_id: str, path: str, alt: str) -> str:
        """An unpublished photo with its alt text, attached to the post afterwards."""
        try:
            with Path(path).open("rb") as image:
                result = graph.put_photo(
                    image, album_path=f"{page_id}/photos", published="false", alt_text_custom=alt
                )
        except FileNotFoundError as exc:
            raise DeliveryError(
                f"{self.config.name}: Bild nicht lesbar: {exc.filename}", permanent=True
            ) from exc
        return str(result["id"])

    def refuse_throttled(self, session: RebasedSession) -> None:
        """A 429/503 whose body facebook-sdk took for a result (``{}``) is still a refusal."""
        last = session.last_response
        if last is not None:
            rule = http.throttled(self.config.name, last.status_code, last.headers)
            if rule is not None:
                raise self.paused(rule)

    def paused(self, error: DeliveryError) -> DeliveryError:
        """Every worker holds off the page while Graph asks us to wait."""
        if error.retry_after is not None or error.status == 429 or "Rate-Limit" in error.message:
            ratelimit.pause(self.config, error.retry_after)
        return error

    def classify(self, exc: Exception, session: RebasedSession, *, posting: bool) -> DeliveryError:
        name = self.config.name
        last = session.last_response
        status = last.status_code if last is not None else None
        headers = dict(last.headers) if last is not None else {}
        if isinstance(exc, facebook.GraphAPIError):
            result = exc.result
            if isinstance(result, dict) and isinstance(result.get("error"), dict):
                return self.paused(graph_error(name, result["error"], status=status, headers=headers))
        # No Graph error object (an HTML page, an empty body): the HTTP layer's rule for 429/503.
        rule = http.throttled(name, status, headers)
        if rule is not None and not isinstance(exc, requests.Timeout | requests.ConnectionError):
            return self.paused(rule)
        if isinstance(exc, facebook.GraphAPIError):
            # No Graph error object: HTML from a proxy or an outage page.
            if status is not None and status >= 500:
                return DeliveryError(f"{name}: Serverfehler HTTP {status}", status=status)
            return DeliveryError(f"{name}: unerwartete Antwort HTTP {status}", permanent=True, status=status)
        if isinstance(exc, requests.ReadTimeout):
            return DeliveryError(
                f"{name}: keine Antwort innerhalb {self.config.http_timeout:.0f} s", outcome_unknown=posting
            )
        if isinstance(exc, requests.ConnectionError | requests.ConnectTimeout):
            return DeliveryError(f"{name}: nicht erreichbar ({type(exc).__name__})")
        if isinstance(exc, ValueError | KeyError) and status is not None and 200 <= status < 300:
            return DeliveryError(
                f"{name}: unlesbare Antwort (kein JSON)", outcome_unknown=posting, status=status
            )
        if status is not None and status >= 500:
            return DeliveryError(f"{name}: Serverfehler HTTP {status}", status=status)
        # Never str(exc) of a requests error: facebook-sdk puts the token into the URL.
        return DeliveryError(f"{name}: {type(exc).__name__}", outcome_unknown=posting, status=status)

    def check(self) -> CheckResult:
        """``/me`` (whose token is it?) and ``debug_token`` (valid, and until when?); posts nothing."""
        graph: facebook.GraphAPI | None = None
        try:
            graph = self.graph()
            page_id = self.page_id()
            me = graph.get_object("me", fields="id,name")
            facts = self.token_facts(graph)
        except DeliveryError as exc:
            return CheckResult(False, str(exc))
        except (facebook.GraphAPIError, requests.RequestException, ValueError, KeyError) as exc:
            assert graph is not None
            return CheckResult(False, str(self.classify(exc, graph.session, posting=False)))
        if str(me.get("id")) != page_id:
            return CheckResult(
                False,
                f"{self.config.name}: der Token gehört zu „{me.get('name')}“ ({me.get('id')}), nicht zur "
                f"Seite {page_id} – einen Seiten-Token dieser Seite eintragen",
            )
        if facts is not None and not facts.valid:
            return CheckResult(False, invalid_text(self.config.name, facts))
        note = facts.note() if facts else ", Ablaufdatum des Tokens nicht abfragbar"
        return CheckResult(
            True,
            f"Seite „{me.get('name')}“ erreichbar (Graph {graph.version}){note}",
            expires_at=facts.expires_at if facts else None,
        )

    def token_facts(self, graph: facebook.GraphAPI) -> TokenFacts | None:
        """debug_token of our own token; None when Graph will not tell (``/me`` already worked)."""
        try:
            body = graph.request(f"{graph.version}/debug_token", {"input_token": graph.access_token})
        except (facebook.GraphAPIError, requests.RequestException, ValueError, KeyError):
            return None
        return token_facts(body)
