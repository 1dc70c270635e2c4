"""``ernstfall drills plan|list|run-now|delete``: planned test alerts from a terminal.

Admins plan a drill (template, rule, local time, values), see every plan with its next date
and the last results per channel, and start a plan's drill by hand. The results also appear
at the end of ``ernstfall channels check`` (:func:`print_results`).
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from sqlalchemy import select

from content_calendar.accounts.models import audit
from content_calendar.crisis import drills
from content_calendar.crisis.drill_plan import (
    RULE_HELP,
    DrillError,
    DrillPlan,
    find_plan,
    next_occurrence,
    plan_problem,
    plan_variables,
    save_plan,
)
from content_calendar.database import get_database
from publisher.db import utcnow
from publisher.outbox.dispatch import Dispatcher
from publisher.settings import Settings

ACTIONS = ("plan", "list", "run-now", "delete")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser], commands: dict[str, Any]) -> None:
    """Adds ``drills`` to the parser and its handler to ``commands`` (one line in workers/cli.py)."""
    drills_parser = sub.add_parser(
        "drills",
        help="Probewarnungen: planen, auflisten, sofort auslösen, löschen",
        description=(
            "plan NAME --vorlage VORLAGE --regel REGEL [--uhrzeit SS:MM] [--var name=wert] | list | "
            f"run-now NAME | delete NAME. Regeln: {RULE_HELP}. In Werten werden {{datum}} und "
            "{uhrzeit} durch Datum und Uhrzeit der Probewarnung ersetzt."
        ),
    )
    drills_parser.add_argument("action", choices=ACTIONS)
    drills_parser.add_argument("name", nargs="?", help="Name des Plans, z. B. monatlich oder warntag")
    drills_parser.add_argument("--vorlage", help="Schlüssel der freigegebenen Vorlage, z. B. probealarm")
    drills_parser.add_argument("--regel", help=RULE_HELP)
    drills_parser.add_argument("--uhrzeit", help="Ortszeit SS:MM (Standard 10:00, am Warntag 11:00)")
    drills_parser.add_argument("--var", action="append", metavar="NAME=WERT")
    drills_parser.add_argument("--aus", action="store_true", help="Plan anlegen, aber nicht ausführen")
    drills_parser.add_argument("--key", help="run-now: Idempotenzschlüssel (Standard: die laufende Minute)")
    commands["drills"] = cmd_drills


def cmd_drills(settings: Settings, args: argparse.Namespace) -> int:
    try:
        if args.action == "list":
            return _list(settings, sys.stdout)
        if not args.name:
            raise DrillError(f"Name des Plans fehlt: ernstfall drills {args.action} NAME")
        if args.action == "plan":
            return _plan(settings, args)
        if args.action == "delete":
            return _delete(settings, args.name)
        return _run_now(settings, args)
    except DrillError as exc:
        print(f"Fehler: {exc.message}", file=sys.stderr)
        return 2


def _plan(settings: Settings, args: argparse.Namespace) -> int:
    if not args.vorlage or not args.regel:
        raise DrillError(
            f"--vorlage und --regel angeben, z. B. --vorlage probealarm --regel warntag ({RULE_HELP})"
        )
    with get_database(settings).session() as session:
        plan = save_plan(
            session,
            name=args.name,
            template_key=args.vorlage,
            rule_text=args.regel,
            at_time=args.uhrzeit,
            variables=plan_variables(args.var),
            timezone=settings.timezone,
            enabled=not args.aus,
            by="cli",
        )
        audit(
            session,
            "drill.planned",
            None,
            plan,
            via="cli",
            rule=str(plan.description),
            template=plan.template_key,
            enabled=plan.enabled,
        )
        print(f"Plan {plan.name}: {plan.template_key}, {plan.description}; {_next(plan, settings)}")
    return 0


def _delete(settings: Settings, name: str) -> int:
    with get_database(settings).session() as session:
        plan = find_plan(session, name)
        audit(session, "drill.deleted", None, plan, via="cli", plan=plan.name)
        session.delete(plan)
    print(f"Plan {name} gelöscht (bisherige Ergebnisse bleiben erhalten)")
    return 0


def _run_now(settings: Settings, args: argparse.Namespace) -> int:
    db = get_database(settings)
    key = args.key or "jetzt-" + datetime.now(ZoneInfo(settings.timezone)).strftime("%Y%m%d%H%M")
    run_id = drills.run_now(db, settings, Dispatcher(settings, db), args.name, key)
    print(f"Probewarnung {args.name} ausgelöst (Lauf {run_id}); Ergebnisse: ernstfall drills list")
    return 0


def _next(plan: DrillPlan, settings: Settings) -> str:
    if not plan.enabled:
        return "ausgeschaltet"
    found = next_occurrence(plan, utcnow(), settings.timezone)
    if found is None:
        return "kein Termin in den nächsten 13 Monaten"
    return "nächste: " + found[1].astimezone(ZoneInfo(settings.timezone)).strftime("%d.%m.%Y %H:%M")


def _list(settings: Settings, out: TextIO) -> int:
    with get_database(settings).session() as session:
        plans = session.scalars(select(DrillPlan).order_by(DrillPlan.name)).all()
        print(
            "Probewarnungspläne:" if plans else "Keine Probewarnung geplant (ernstfall drills plan …).",
            file=out,
        )
        for plan in plans:
            problem = plan_problem(session, plan)
            print(
                f"  {plan.name:<14} {plan.template_key:<14} {plan.description}; {_next(plan, settings)}",
                file=out,
            )
            if problem:
                print(f"  {'':<14} ACHTUNG: {problem}", file=out)
    print_results(settings, out)
    return 0


def print_results(settings: Settings, out: TextIO | None = None) -> None:
    """The last drills and each channel's result (also printed by ``ernstfall channels check``)."""
    out = out or sys.stdout
    zone = ZoneInfo(settings.timezone)
    with get_database(settings).session() as session:
        runs = drills.recent(session)
    if not runs:
        print("Probewarnungen: noch keine", file=out)
        return
    print("Probewarnungen:", file=out)
    for run in runs:
        when = run.due_at.astimezone(zone).strftime("%d.%m.%Y %H:%M")
        how = " (von Hand)" if run.manual else ""
        reason = f": {run.reason}" if run.reason else ""
        print(f"  {when} {run.plan}{how} – {run.state.label}{reason}", file=out)
        for result in run.channels:
            seconds = f" nach {result.seconds:.1f} s" if result.seconds is not None else ""
            why = f": {result.reason}" if result.reason else ""
            print(f"      {result.channel:<18} {result.outcome.label}{seconds}{why}", file=out)
