"""An SMS alert to 100,000 subscribers: time until the gateway accepted all, duplicates,
requests per second against a plain concurrent client (the limit), side by side.

What runs is the real code path: the alert's SMS deliveries made by plan B (audience
definition + count, timed as "alert side"), then the real outbox (claim, lease
heartbeat, keyset reading of the subscribers, concurrent batches, the batch ledger)
sending to a fake gateway on 127.0.0.1. The fake runs in a process of its own (so it
does not share our interpreter lock) and counts what it accepted per number; a number
accepted twice is a duplicate SMS. The limit client then sends the same requests to
the same fake with the same concurrency: plain threads, one keep-alive session each.

    .venv/bin/python -m bench.sms_scale [--subscribers 100000] [--shape batch|per-recipient|both]
        [--delay 0.0] [--concurrency N] [--rounds 3] [--port 0]

Ports: ``--port`` for the fake gateway (0 picks a free one); nothing else listens.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests

REPO = Path(__file__).resolve().parent.parent
TOKEN, SID, AUTH = "bench-gw-token", "AC" + "b" * 32, "bench-twilio-token"
SHAPES = {"batch": "gatewayapi", "per-recipient": "twilio"}
DEFAULT_CONCURRENCY = {"batch": 4, "per-recipient": 20}
BATCH_SIZE = {"batch": 500, "per-recipient": 50}


# -- the fake gateway, in its own process ------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the default backlog of 5 refuses connections at concurrency 20

    def get_request(self) -> tuple[socket.socket, Any]:
        # http.server writes headers and body in two sends; with Nagle on, a keep-alive
        # client's delayed ACK stalls every answer by 40 ms. A real gateway does not.
        connection, address = super().get_request()
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection, address


def serve(shape: str, port: int, delay: float) -> None:
    from tests.fakes.sms import FakeGatewayApi, FakeTwilio

    fake: Any = (
        FakeGatewayApi(token=TOKEN, delay=delay)
        if shape == "batch"
        else FakeTwilio(sid=SID, token=AUTH, delay=delay)
    )
    fake.server.server_close()
    fake.server = _Server(("127.0.0.1", port), fake.server.RequestHandlerClass)
    fake.requests = _Discard()  # 100,000 recorded bodies would only cost memory here
    print(fake.server.server_address[1], flush=True)
    fake.server.serve_forever()


class _Discard(list[Any]):
    def append(self, item: Any) -> None:
        pass


@dataclass
class Gateway:
    process: subprocess.Popen[str]
    url: str

    def stats(self) -> dict[str, int]:
        body: dict[str, int] = requests.get(f"{self.url}/__fake/stats", timeout=10).json()
        return body

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def start_gateway(shape: str, port: int, delay: float) -> Gateway:
    command = [sys.executable, "-m", "bench.sms_scale", "--serve", shape, "--port", str(port)]
    command += ["--delay", str(delay)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=REPO)
    assert process.stdout is not None
    bound = int(process.stdout.readline())
    return Gateway(process, f"http://127.0.0.1:{bound}")


# -- Ernstfall ----------------------------------------------------------------------------


def prepare_instance(home: Path, subscribers: int) -> None:
    os.environ.update(ERNSTFALL_HOME=str(home), PYTHONPATH=str(REPO))
    for name in ("REDIS_URL", "DATABASE_URL", "ERNSTFALL_CHANNELS"):
        os.environ.pop(name, None)
    from sqlalchemy import insert

    from content_calendar.database import get_database, migrate
    from content_calendar.subscribers.models import SmsSubscriber, SubscriberStatus
    from publisher.settings import load_settings

    settings = load_settings()
    migrate(settings)
    rows = [
        {"phone": f"+49151{i:08d}", "language": "de", "area": "", "status": SubscriberStatus.ACTIVE}
        for i in range(1, subscribers + 1)
    ]
    with get_database(settings).session() as session:
        session.execute(insert(SmsSubscriber), rows)


def configure(shape: str, gateway: Gateway, concurrency: int, round_no: int) -> str:
    """A channel per round (fresh rate-limit and ledger keys); returns its name."""
    from content_calendar.database import get_database
    from publisher.channel_config import parse_channels, sync_channels
    from publisher.settings import load_settings

    name = f"sms-{shape}-{round_no}"
    os.environ["BENCH_GW_TOKEN"], os.environ["BENCH_TWILIO_TOKEN"] = TOKEN, AUTH
    common = (
        f'[channels.{name}]\ntype = "sms"\nlanes = ["crisis"]\nbase_url = "{gateway.url}"\n'
        f"concurrency = {concurrency}\nbatch_size = {BATCH_SIZE[shape]}\n"
    )
    specific = (
        'provider = "gatewayapi"\napi_token_env = "BENCH_GW_TOKEN"\n'
        if shape == "batch"
        else f'provider = "twilio"\naccount_sid = "{SID}"\nauth_token_env = "BENCH_TWILIO_TOKEN"\n'
        'sender = "+4915100000000"\n'
    )
    with get_database(load_settings()).session() as session:
        sync_channels(session, parse_channels(common + specific))
    return name


def alert_side(channel: str, round_no: int) -> tuple[int, float]:
    """What the alert request does for SMS (plan B): returns (delivery id, seconds)."""
    from sqlalchemy import update

    from content_calendar.crisis.models import Alert
    from content_calendar.crisis.plan_b import sms_deliveries
    from content_calendar.database import get_database
    from publisher.models import Channel
    from publisher.settings import load_settings

    settings = load_settings()
    db = get_database(settings)
    with db.session() as session:  # only this round's channel takes part
        session.execute(update(Channel).values(enabled=Channel.name == channel))
    started = time.perf_counter()
    with db.session() as session:
        alert = Alert(
            identifier=f"bench-{round_no}-{channel}",
            idempotency_key=f"bench-{round_no}-{channel}",
            level="severe",
            headline="Hochwasser",
            texts={"de": {"headline": "Hochwasser", "text": "Bitte meiden Sie das Ufer."}},
            variables={"gebiet": "Stadtgebiet"},
        )
        session.add(alert)
        session.flush()
        [delivery] = sms_deliveries(session, alert, settings, "Benchmark")
        session.flush()
        delivery_id = delivery.id
    return delivery_id, time.perf_counter() - started


def ernstfall_send(delivery_id: int) -> tuple[str | None, float]:
    from content_calendar.database import get_database
    from publisher.outbox import process_delivery
    from publisher.settings import load_settings

    settings = load_settings()
    started = time.perf_counter()
    state = process_delivery(get_database(settings), delivery_id, settings)
    return state, time.perf_counter() - started


# -- the limit: a plain concurrent client -----------------------------------------------


def limit_send(shape: str, gateway: Gateway, subscribers: int, concurrency: int) -> float:
    numbers = [f"+49151{i:08d}" for i in range(1, subscribers + 1)]
    local = threading.local()

    def session() -> requests.Session:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        return local.session  # type: ignore[no-any-return]

    def batch(chunk: list[str]) -> None:
        payload = {"message": "Hochwasser", "recipients": [{"msisdn": int(n[1:])} for n in chunk]}
        url = f"{gateway.url}/rest/mtsms"
        session().post(url, json=payload, auth=(TOKEN, ""), timeout=30).raise_for_status()

    def one(number: str) -> None:
        url = f"{gateway.url}/2010-04-01/Accounts/{SID}/Messages.json"
        form = {"To": number, "From": "+4915100000000", "Body": "Hochwasser"}
        session().post(url, data=form, auth=(SID, AUTH), timeout=30).raise_for_status()

    size = BATCH_SIZE[shape] if shape == "batch" else 1
    units: list[Any] = [numbers[i : i + size] for i in range(0, len(numbers), size)]
    work: Callable[[Any], None] = batch if shape == "batch" else one
    if shape != "batch":
        units = numbers
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(work, units))
    return time.perf_counter() - started


# -- one shape, several rounds ---------------------------------------------------------------


@dataclass
class Round:
    alert_side: float
    ours: float
    limit: float
    requests: int
    accepted: int
    duplicates: int
    state: str | None


def run_round(shape: str, args: argparse.Namespace, concurrency: int, round_no: int) -> Round:
    gateway = start_gateway(shape, args.port, args.delay)
    try:
        channel = configure(shape, gateway, concurrency, round_no)
        delivery_id, alert_seconds = alert_side(channel, round_no)
        state, ours = ernstfall_send(delivery_id)
        stats = gateway.stats()
        duplicates = requests.get(f"{gateway.url}/__fake/stats", timeout=10).json()["duplicates"]
    finally:
        gateway.stop()
    limit_gateway = start_gateway(shape, args.port, args.delay)
    try:
        limit = limit_send(shape, limit_gateway, args.subscribers, concurrency)
    finally:
        limit_gateway.stop()
    return Round(alert_seconds, ours, limit, stats["sends"], stats["accepted"], duplicates, state)


def report(shape: str, rounds: list[Round], args: argparse.Namespace, concurrency: int) -> list[str]:
    med = statistics.median
    requests_n = rounds[0].requests
    ours, limit = med(r.ours for r in rounds), med(r.limit for r in rounds)
    return [
        f"| {shape} ({SHAPES[shape]}) | {args.subscribers:,} | {concurrency} | {args.delay * 1000:.0f} ms "
        f"| {med(r.alert_side for r in rounds) * 1000:.0f} ms | {ours:.2f} s | {requests_n / ours:,.0f}/s "
        f"| {limit:.2f} s | {requests_n / limit:,.0f}/s | {limit / ours:.0%} "
        f"| {max(r.duplicates for r in rounds)} | {min(r.accepted for r in rounds):,} "
        f"| {','.join(sorted({str(r.state) for r in rounds}))} |"
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--shape", choices=[*SHAPES, "both"], default="both")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds the fake waits per request")
    parser.add_argument("--concurrency", type=int, default=0, help="0: the provider's default")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--port", type=int, default=0, help="the fake gateway's port (0: free)")
    parser.add_argument("--serve", choices=list(SHAPES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port, args.delay)
        return 0
    shapes = list(SHAPES) if args.shape == "both" else [args.shape]
    lines = [
        "| shape | subscribers | concurrency | gateway delay | alert side (plan B) | Ernstfall: all accepted "
        "| Ernstfall req/s | limit client | limit req/s | Ernstfall / limit | duplicates | accepted "
        "| delivery |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "instance"
        home.mkdir()
        prepare_instance(home, args.subscribers)
        for shape in shapes:
            concurrency = args.concurrency or DEFAULT_CONCURRENCY[shape]
            rounds = [run_round(shape, args, concurrency, n) for n in range(args.rounds)]
            lines += report(shape, rounds, args, concurrency)
    print("\n".join(lines))
    print(
        f"\nmedians of {args.rounds} rounds; machine: {platform.machine()}, {os.cpu_count()} CPUs, "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}, Python {platform.python_version()}"
    )
    print("reproduce: .venv/bin/python -m bench.sms_scale " + shlex.join(sys.argv[1:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
