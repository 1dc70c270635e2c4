"""``ernstfall alert …``: the whole alert lifecycle from a terminal.

The CLI is the path when the web is down; it talks to the database directly and, when the
broker is down too, the dispatcher sends inline (threads named ``inline-delivery-*``).
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
import uuid

from content_calendar.crisis.alerts import AlertError, alert_deliveries
from content_calendar.crisis.lifecycle import STATE_LABELS, DatabaseBusy, all_clear, close, issue, update
from content_calendar.crisis.mode import crisis_mode
from content_calendar.crisis.models import Alert
from content_calendar.database import get_database
from publisher.db import Database
from publisher.outbox.dispatch import Dispatcher
from publisher.settings import Settings
from publisher.vocabulary import CapStatus

ACTIONS = ("send", "update", "all-clear", "close", "list")
# A locked database is waited out: 0.5, 1, 2, 4, 8, 10, 10 … seconds, for up to 15 minutes.
BUSY_FIRST_WAIT = 0.5
BUSY_MAX_WAIT = 10.0
BUSY_GIVE_UP_AFTER = 900.0


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    alert = sub.add_parser(
        "alert",
        help="Warnungen: senden, aktualisieren, entwarnen, still beenden, auflisten",
        description=(
            "send VORLAGE | update ID | all-clear ID | close ID --reason … | list. "
            "Funktioniert ohne Web-Oberfläche und ohne Redis."
        ),
    )
    alert.add_argument("action", choices=ACTIONS)
    alert.add_argument("target", nargs="?", help="Vorlagenschlüssel (send) oder Warnungsnummer")
    alert.add_argument("--var", action="append", metavar="NAME=WERT")
    alert.add_argument("--key", help="Idempotenzschlüssel (gleicher Schlüssel = eine Meldung)")
    alert.add_argument("--drill", action="store_true", help="Übung (nur Übungskanäle)")
    alert.add_argument(
        "--confirm", action="store_true", help="zweite Warnung aus derselben Vorlage bestätigen"
    )
    alert.add_argument("--reason", help="Grund für das stille Beenden (close)")
    alert.add_argument("--note", help="Hinweis in der Entwarnung (all-clear)")
    alert.add_argument("--template", help="Entwarnungs-Vorlage (all-clear), Standard: entwarnung")


def parse_vars(items: list[str] | None) -> dict[str, str]:
    variables: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise AlertError(f"--var {item!r}: Format ist name=wert", status=2)
        variables[key] = value
    return variables


def alert_id(target: str | None) -> int:
    if target is None or not target.lstrip("#").isdigit():
        raise AlertError(f"Warnungsnummer erwartet, nicht {target!r} (siehe: ernstfall alert list)", status=2)
    return int(target.lstrip("#"))


def cmd_alert(settings: Settings, args: argparse.Namespace) -> int:
    db = get_database(settings)
    if args.action == "list":
        return _list(db, settings)
    args.key = args.key or f"cli-{uuid.uuid4().hex}"  # one key for every retry: one alert
    try:
        return _run_while_busy(db, settings, args)
    except AlertError as exc:
        print(f"Fehler: {exc.message}", file=sys.stderr)
        for field, problem in exc.problems.items():
            print(f"  {field}: {problem}", file=sys.stderr)
        return 2


def _run_while_busy(db: Database, settings: Settings, args: argparse.Namespace) -> int:
    """Run the action; while the database is locked, say so and try again with backoff."""
    started = time.monotonic()
    wait = BUSY_FIRST_WAIT
    attempt = 1
    while True:
        try:
            return _run(db, settings, args)
        except DatabaseBusy:
            if time.monotonic() - started + wait > BUSY_GIVE_UP_AFTER:
                raise
            print(
                f"Datenbank gesperrt (Versuch {attempt}) — nichts gespeichert, neuer Versuch in "
                f"{wait:.1f} s mit demselben Schlüssel {args.key} (Strg-C bricht ab)",
                file=sys.stderr,
                flush=True,
            )
            time.sleep(wait)
            wait = min(BUSY_MAX_WAIT, wait * 2)
            attempt += 1


def _run(db: Database, settings: Settings, args: argparse.Namespace) -> int:
    dispatcher = Dispatcher(settings, db)
    key = args.key
    variables = parse_vars(args.var)
    if args.action == "close":
        closed = close(
            db, settings, alert_id=alert_id(args.target), reason=args.reason or "", user_id=None, via="cli"
        )
        print(f"Warnung #{closed.id} still beendet (keine öffentliche Meldung): {closed.end_reason}")
        return 0
    if args.action == "send":
        if not args.target:
            raise AlertError(
                "Vorlagenschlüssel fehlt: ernstfall alert send VORLAGE --var name=wert", status=2
            )
        result = issue(
            db,
            settings,
            dispatcher,
            template_key=args.target,
            variables=variables,
            idempotency_key=key,
            user_id=None,
            drill=args.drill,
            via="cli",
            confirm_parallel=args.confirm,
        )
        verb = "ausgelöst"
    elif args.action == "update":
        result = update(
            db,
            settings,
            dispatcher,
            alert_id=alert_id(args.target),
            variables=variables,
            idempotency_key=key,
            user_id=None,
            via="cli",
        )
        verb = "aktualisiert"
    else:
        result = all_clear(
            db,
            settings,
            dispatcher,
            alert_id=alert_id(args.target),
            idempotency_key=key,
            user_id=None,
            via="cli",
            note=args.note,
            template_key=args.template,
            variables=variables,
        )
        verb = "entwarnt"
    _wait_for_inline()
    with db.session() as session:
        for delivery in alert_deliveries(session, result.alert_id):
            print(f"{delivery.channel.name:<20} {delivery.state:<9} {delivery.last_error or ''}")
    noun = "Warnung" if args.action == "send" else "Meldung"
    print(f"{noun} #{result.alert_id} {verb if result.created else 'war schon ' + verb}")
    return 0


def _list(db: Database, settings: Settings) -> int:
    from sqlalchemy import select

    with db.session() as session:
        mode = crisis_mode(session, settings)
        rows = [
            {
                "id": a.id,
                "state": a.state,
                "label": STATE_LABELS.get(a.state, a.state),
                "level": a.level,
                "msg_type": a.msg_type,
                "drill": a.status == CapStatus.EXERCISE,
                "headline": a.headline,
            }
            for a in session.scalars(select(Alert).where(Alert.active.is_(True)).order_by(Alert.id))
        ]
    print(json.dumps({"crisis_mode": mode.active, "active": rows}, ensure_ascii=False, indent=2))
    return 0


def _wait_for_inline() -> None:
    for thread in threading.enumerate():
        if thread.name.startswith("inline-delivery-"):
            thread.join(timeout=60)
