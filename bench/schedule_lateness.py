"""Lateness of community posts: publish_at -> sent_at, with N posts due at the same instant.

Runs the real embedded stack (`ernstfall up`: Redis, Celery crisis + community workers,
the scheduler tick, the web app) in a temporary instance folder with a preview
channel, writes N approved posts all due at the same second, and prints the
distribution of (delivery.sent_at - post.publish_at).

    .venv/bin/python -m bench.schedule_lateness [--posts 1000] [--channels 1] [--lead 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import requests
from sqlalchemy import case, func, select

from bench.common import percentile

REPO = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--channels", type=int, default=1, help="preview channels per post")
    parser.add_argument("--lead", type=float, default=20.0, help="seconds from now until all are due")
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument(
        "--spread",
        type=float,
        default=0.0,
        help="spread the due times evenly over this many seconds (0: all at once)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "instance"
        home.mkdir()
        channels = "".join(
            f'[channels.vorschau{i}]\ntype = "preview"\nlanes = ["community"]\n' for i in range(args.channels)
        )
        (home / "channels.toml").write_text(
            '[channels.banner]\ntype = "banner"\nlanes = ["crisis"]\n' + channels
        )
        env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
        env.update(ERNSTFALL_HOME=str(home), PYTHONPATH=str(REPO))
        os.environ.update(env)
        run = [sys.executable, "-m", "workers.cli"]
        subprocess.run([*run, "init"], env=env, check=True, capture_output=True)
        subprocess.run([*run, "channels", "sync"], env=env, check=True, capture_output=True)

        from content_calendar.calendar.post_model import Post, PostState
        from content_calendar.database import get_database
        from publisher.db import utcnow
        from publisher.models import Channel, Delivery
        from publisher.settings import load_settings
        from publisher.vocabulary import FINAL_DELIVERY_STATES, DeliveryState
        from workers.supervisor import free_port

        settings = load_settings()
        db = get_database(settings)
        port = free_port()
        up = subprocess.Popen(
            [*run, "up", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            _wait_http(f"http://127.0.0.1:{port}/login")
            with db.session() as session:
                ids = [c.id for c in session.scalars(select(Channel).where(Channel.type == "preview"))]
            due = (utcnow() + timedelta(seconds=args.lead)).replace(microsecond=0)
            with db.session() as session:
                session.add_all(
                    Post(
                        text=f"Beitrag {i}",
                        publish_at=due + timedelta(seconds=args.spread * i / args.posts),
                        channel_ids=ids,
                        state=PostState.APPROVED,
                    )
                    for i in range(args.posts)
                )
            expected = args.posts * len(ids)
            print(
                f"{args.posts} Beiträge × {len(ids)} Kanal/Kanäle "
                f"fällig ab {due.isoformat()} über {args.spread:g} s",
                flush=True,
            )
            deadline = time.monotonic() + args.lead + args.spread + args.timeout
            done = 0
            while time.monotonic() < deadline:
                with db.session() as session:
                    done = (
                        session.scalar(
                            select(func.count(Delivery.id)).where(Delivery.state.in_(FINAL_DELIVERY_STATES))
                        )
                        or 0
                    )
                if done >= expected:
                    break
                time.sleep(0.5)
            # A preview is never sent (no sent_at): it was done when it was last updated.
            previewed = Delivery.state == DeliveryState.PREVIEWED
            done_at = case((previewed, Delivery.updated_at), else_=Delivery.sent_at)
            with db.session() as session:
                rows = session.execute(
                    select(done_at, Post.publish_at, Delivery.created_at, Post.released_at).join(
                        Post, (Delivery.source_kind == "post") & (Delivery.source_id == Post.id)
                    )
                ).all()
                held = session.scalar(select(func.count(Post.id)).where(Post.state == PostState.HELD)) or 0
        finally:
            up.terminate()
            up.wait(60)
    late = [(sent - published).total_seconds() for sent, published, _, _ in rows if sent is not None]
    released = [(r - p).total_seconds() for _, p, _, r in rows if r is not None]
    created = [(c - p).total_seconds() for _, p, c, _ in rows]
    print(f"gesendet: {len(late)} von {expected}; angehalten: {held}; nicht gesendet: {expected - len(late)}")
    if late:
        print(
            "Verspätung publish_at → sent_at (s): "
            f"p50 {statistics.median(late):.3f}  p95 {percentile(late, 95):.3f}  "
            f"p99 {percentile(late, 99):.3f}  max {max(late):.3f}"
        )
        print(
            "  davon Scheduler: freigegeben nach "
            f"{min(released):.3f}–{max(released):.3f} s, Zustellungen angelegt bis {max(created):.3f} s; "
            f"erste gesendet {min(late):.3f} s"
        )
    print("Reproduzieren: .venv/bin/python -m bench.schedule_lateness " + " ".join(sys.argv[1:]))
    return 0 if len(late) == expected else 1


def _wait_http(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            requests.get(url, timeout=1)
            break
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    time.sleep(3)  # let the workers send their first heartbeat


if __name__ == "__main__":
    sys.exit(main())
