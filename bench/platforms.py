"""Eight fake platforms on 127.0.0.1 for the fan-out benchmarks, and the plain "limit" client.

Each fake is the test fake (tests/fakes/) answering after ``delay`` seconds, with
TCP_NODELAY on its sockets (http.server writes headers and body separately; with Nagle
on, a keep-alive client's delayed ACK would add 40 ms to every answer, which no real
platform does). Every posting request is time-stamped when it arrives, so "the last
platform received the alert" is measured the same way for Ernstfall, the limit client
and Apprise.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any

import requests
from requests_oauthlib import OAuth1

from tests.fakes.bluesky import FakeBluesky
from tests.fakes.graph import FakeGraph
from tests.fakes.http import FakeServer, Recorded
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.sms import FakeSeven
from tests.fakes.telegram import FakeTelegram
from tests.fakes.webhook_receiver import FakeReceiver
from tests.fakes.x import FakeX

SECRETS = {
    "BENCH_MASTODON_TOKEN": "bench-mastodon",
    "BENCH_X_CK": "ck",
    "BENCH_X_CS": "cs",
    "BENCH_X_AT": "at",
    "BENCH_X_ATS": "ats",
    "BENCH_GRAPH_TOKEN": "bench-graph",
    "BENCH_BSKY_PASSWORD": "app-pass-1234",
    "BENCH_TELEGRAM_TOKEN": "123456:bench",
    "BENCH_HOOK_SECRET": "bench-hook",
    "BENCH_SEVEN_KEY": "bench-seven",
}
PLATFORMS = ("mastodon", "x", "facebook", "instagram", "bluesky", "telegram", "webhook", "sms")


def _posting(name: str, request: Recorded, graph: FakeGraph | None) -> bool:
    """True for the request that puts the alert online on platform ``name``."""
    if request.method != "POST":
        return False
    path = request.path
    return {
        "mastodon": path == "/api/v1/statuses",
        "x": path == "/2/tweets",
        "facebook": graph is not None and path.endswith(f"/{graph.page_id}/feed"),
        "instagram": path.endswith("/media_publish"),
        "bluesky": path == "/xrpc/com.atproto.repo.createRecord",
        "telegram": path.endswith("/sendMessage"),
        "webhook": path == "/hook",
        "sms": path == "/api/sms",
    }[name]


def _rebind(fake: FakeServer, port: int) -> None:
    """Listen on ``port`` instead of the free port the fake picked."""
    handler = fake.server.RequestHandlerClass
    fake.server.server_close()
    fake.server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    fake.server.daemon_threads = True
    fake.thread = threading.Thread(target=fake.server.serve_forever, daemon=True)


@dataclass
class Platforms:
    """The fakes, started, each answering after ``delay`` seconds."""

    delay: float
    port_base: int = 0  # 0: free ports; else the seven fakes listen on port_base .. port_base + 6
    fakes: dict[str, FakeServer] = field(default_factory=dict)
    arrivals: dict[str, list[float]] = field(default_factory=dict)

    def start(self) -> Platforms:
        graph = FakeGraph(token=SECRETS["BENCH_GRAPH_TOKEN"])
        self.fakes = {
            "mastodon": FakeMastodon(token=SECRETS["BENCH_MASTODON_TOKEN"]),
            "x": FakeX(),
            "facebook": graph,
            "instagram": graph,
            "bluesky": FakeBluesky(password=SECRETS["BENCH_BSKY_PASSWORD"]),
            "telegram": FakeTelegram(token=SECRETS["BENCH_TELEGRAM_TOKEN"]),
            "webhook": FakeReceiver(secret=SECRETS["BENCH_HOOK_SECRET"]),
            "sms": FakeSeven(api_key=SECRETS["BENCH_SEVEN_KEY"]),
        }
        x = self.fakes["x"]
        assert isinstance(x, FakeX)
        x.remaining = 10**9  # the fake's 100-per-15-min window would pause X after 99 posts
        graph.quota_total = 10**9  # and Instagram's 100 posts per 24 h would refuse the rest
        self.arrivals = {name: [] for name in PLATFORMS}
        for index, fake in enumerate({id(f): f for f in self.fakes.values()}.values()):
            if self.port_base:
                _rebind(fake, self.port_base + index)
            self._instrument(fake)
            fake.start()
        return self

    def _instrument(self, fake: FakeServer) -> None:
        names = [n for n, f in self.fakes.items() if f is fake]
        graph = fake if isinstance(fake, FakeGraph) else None
        original = fake.handle

        def handle(request: Recorded) -> tuple[int, Any, dict[str, str]]:
            now = time.perf_counter()
            for name in names:
                if _posting(name, request, graph):
                    self.arrivals[name].append(now)
            if self.delay:
                time.sleep(self.delay)
            return original(request)

        fake.handle = handle  # type: ignore[method-assign]
        accept = fake.server.get_request

        def get_request() -> tuple[socket.socket, Any]:
            connection, address = accept()
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return connection, address

        fake.server.get_request = get_request  # type: ignore[method-assign]

    def stop(self) -> None:
        for fake in {id(f): f for f in self.fakes.values()}.values():
            fake.stop()

    @property
    def graph(self) -> FakeGraph:
        fake = self.fakes["facebook"]
        assert isinstance(fake, FakeGraph)
        return fake

    def counts(self) -> dict[str, int]:
        return {name: len(times) for name, times in self.arrivals.items()}

    def wait_all(self, before: dict[str, int], names: tuple[str, ...], timeout: float = 30.0) -> float:
        """perf_counter time at which the last of ``names`` received its next posting request."""
        deadline = time.perf_counter() + timeout
        while any(len(self.arrivals[n]) <= before[n] for n in names):
            if time.perf_counter() > deadline:
                missing = [n for n in names if len(self.arrivals[n]) <= before[n]]
                raise TimeoutError(f"no post arrived on {', '.join(missing)}")
            time.sleep(0.002)
        return max(self.arrivals[n][before[n]] for n in names)

    def channels_toml(self, public_recipient: str = "+4915112345678") -> str:
        """The eight channels; each platform's own posting budget lifted (a benchmark sends
        dozens of alerts a minute, which Telegram's 20/min or Instagram's 25/h would hold)."""
        f = self.fakes
        graph = self.graph
        toml = f"""
[channels.mastodon]
type = "mastodon"
base_url = "{f["mastodon"].url}"
token_env = "BENCH_MASTODON_TOKEN"

[channels.x]
type = "x"
base_url = "{f["x"].url}"
username = "stadt"
consumer_key_env = "BENCH_X_CK"
consumer_secret_env = "BENCH_X_CS"
access_token_env = "BENCH_X_AT"
access_token_secret_env = "BENCH_X_ATS"

[channels.facebook]
type = "facebook"
base_url = "{graph.url}"
page_id = "{graph.page_id}"
page_token_env = "BENCH_GRAPH_TOKEN"

[channels.instagram]
type = "instagram"
base_url = "{graph.url}"
ig_user_id = "{graph.ig_user_id}"
access_token_env = "BENCH_GRAPH_TOKEN"

[channels.bluesky]
type = "bluesky"
base_url = "{f["bluesky"].url}"
handle = "stadt.bsky.social"
app_password_env = "BENCH_BSKY_PASSWORD"

[channels.telegram]
type = "telegram"
base_url = "{f["telegram"].url}"
token_env = "BENCH_TELEGRAM_TOKEN"
chat_id = "@stadt_kanal"

[channels.stadt-app]
type = "webhook"
base_url = "{f["webhook"].url}/hook"
secret_env = "BENCH_HOOK_SECRET"

[channels.sms]
type = "sms"
provider = "seven"
base_url = "{f["sms"].url}/api"
api_key_env = "BENCH_SEVEN_KEY"
lanes = ["crisis"]
recipients = ["{public_recipient}"]
"""
        return toml.replace("\ntype = ", '\nrate_limit = "100000/1m"\ntype = ')


class LimitClient:
    """The same posting requests straight to the fakes: one thread and keep-alive session per
    platform, nothing stored, nothing checked. What no publisher can beat on this machine."""

    def __init__(self, platforms: Platforms) -> None:
        self.p = platforms
        self.sessions = {name: requests.Session() for name in PLATFORMS}
        self.pool = ThreadPoolExecutor(max_workers=len(PLATFORMS))
        self.bsky_jwt = ""
        self.lock = threading.Lock()

    def login(self) -> None:
        """Log in to Bluesky once (Ernstfall caches its session the same way)."""
        body = {"identifier": "stadt.bsky.social", "password": SECRETS["BENCH_BSKY_PASSWORD"]}
        url = f"{self.p.fakes['bluesky'].url}/xrpc/com.atproto.server.createSession"
        self.bsky_jwt = self.sessions["bluesky"].post(url, json=body, timeout=10).json()["accessJwt"]

    def send_all(self, text: str) -> None:
        senders: dict[str, Callable[[str], None]] = {
            "mastodon": self.mastodon,
            "x": self.x,
            "facebook": self.facebook,
            "instagram": self.instagram,
            "bluesky": self.bluesky,
            "telegram": self.telegram,
            "webhook": self.webhook,
            "sms": self.sms,
        }
        futures = [self.pool.submit(send, text) for send in senders.values()]
        for future in futures:
            future.result()

    def _post(self, name: str, url: str, **kwargs: Any) -> dict[str, Any]:
        response = self.sessions[name].post(url, timeout=30, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else {}

    def mastodon(self, text: str) -> None:
        headers = {"Authorization": f"Bearer {SECRETS['BENCH_MASTODON_TOKEN']}"}
        self._post(
            "mastodon",
            f"{self.p.fakes['mastodon'].url}/api/v1/statuses",
            data={"status": text},
            headers=headers,
        )

    def x(self, text: str) -> None:
        auth = OAuth1("ck", "cs", "at", "ats")
        self._post("x", f"{self.p.fakes['x'].url}/2/tweets", json={"text": text}, auth=auth)

    def facebook(self, text: str) -> None:
        graph = self.p.graph
        data = {"message": text, "access_token": SECRETS["BENCH_GRAPH_TOKEN"]}
        self._post("facebook", f"{graph.url}/v25.0/{graph.page_id}/feed", data=data)

    def instagram(self, text: str) -> None:
        graph = self.p.graph
        token = SECRETS["BENCH_GRAPH_TOKEN"]
        base = f"{graph.url}/v25.0/{graph.ig_user_id}"
        image = "https://warnung.bench.example/media/tile.png"
        data = {"image_url": image, "caption": text, "access_token": token}
        container = self._post("instagram", f"{base}/media", data=data)["id"]
        self._post(
            "instagram", f"{base}/media_publish", data={"creation_id": container, "access_token": token}
        )

    def bluesky(self, text: str) -> None:
        record = {"$type": "app.bsky.feed.post", "text": text, "createdAt": "2026-12-01T00:00:00Z"}
        body = {"repo": "did:plc:stadtmusterhausen", "collection": "app.bsky.feed.post", "record": record}
        headers = {"Authorization": f"Bearer {self.bsky_jwt}"}
        url = f"{self.p.fakes['bluesky'].url}/xrpc/com.atproto.repo.createRecord"
        self._post("bluesky", url, json=body, headers=headers)

    def telegram(self, text: str) -> None:
        url = f"{self.p.fakes['telegram'].url}/bot{SECRETS['BENCH_TELEGRAM_TOKEN']}/sendMessage"
        self._post("telegram", url, json={"chat_id": "@stadt_kanal", "text": text})

    def webhook(self, text: str) -> None:
        body = json.dumps({"text": text}).encode()
        stamp = str(int(time.time()))
        digest = hmac.new(SECRETS["BENCH_HOOK_SECRET"].encode(), stamp.encode() + b"." + body, hashlib.sha256)
        headers = {
            "Content-Type": "application/json",
            "X-Ernstfall-Timestamp": stamp,
            "X-Ernstfall-Signature": f"sha256={digest.hexdigest()}",
            "X-Ernstfall-Delivery": f"limit-{time.perf_counter_ns()}",
        }
        self._post("webhook", f"{self.p.fakes['webhook'].url}/hook", data=body, headers=headers)

    def sms(self, text: str) -> None:
        headers = {"X-Api-Key": SECRETS["BENCH_SEVEN_KEY"]}
        body = {"to": "+4915112345678", "text": text, "from": "Stadt"}
        self._post("sms", f"{self.p.fakes['sms'].url}/api/sms", json=body, headers=headers)


APPRISE_PLATFORMS = ("mastodon", "telegram", "webhook")


def apprise_sender(platforms: Platforms) -> Callable[[str], None] | None:
    """Apprise on the channels it can aim at loopback (Mastodon, Telegram, JSON webhook)."""
    try:
        import apprise
        from apprise.plugins.telegram import NotifyTelegram
    except ImportError:
        return None
    telegram = platforms.fakes["telegram"].url
    NotifyTelegram.notify_url = f"{telegram}/bot"  # Apprise has no base-URL option for Telegram

    def host(name: str) -> str:
        return platforms.fakes[name].url.removeprefix("http://")

    client = apprise.Apprise()
    client.add(f"mastodon://{SECRETS['BENCH_MASTODON_TOKEN']}@{host('mastodon')}")
    client.add(f"tgram://{SECRETS['BENCH_TELEGRAM_TOKEN']}/@stadt_kanal")
    client.add(f"json://{host('webhook')}/hook")

    def send(text: str) -> None:
        client.notify(body=text)

    return send
