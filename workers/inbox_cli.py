"""``ernstfall inbox fetch``: fetch comments, mentions and messages once, from every platform, run the
rumour searches, and mail the crisis staff about a new rumour jump."""

from __future__ import annotations

import argparse
import json
from typing import Any

from content_calendar.database import get_database
from content_calendar.dialog.run import run_once
from publisher.outbox.dispatch import Dispatcher
from publisher.settings import Settings
from workers.health import staff_addresses


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser], commands: dict[str, Any]) -> None:
    """Adds ``inbox`` to the parser and its handler to ``commands`` (one line in workers/cli.py)."""
    inbox = sub.add_parser("inbox", help="Posteingang: Kommentare und Nachrichten einmal abrufen")
    inbox.add_argument("action", choices=["fetch"])
    commands["inbox"] = cmd_inbox


def cmd_inbox(settings: Settings, _: argparse.Namespace) -> int:
    db = get_database(settings)
    report = run_once(db, settings, Dispatcher(settings, db).enqueue, staff_addresses)
    print(json.dumps({"neu": len(report.new_item_ids), "kanäle": report.channels}, ensure_ascii=False))
    return 0
