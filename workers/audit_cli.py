"""``ernstfall audit verify``: is the audit log complete and unchanged?

Walks the hash chain from the first entry (see ``content_calendar/accounts/audit_chain.py``)
and exits 0 with the number of entries checked, or 1 naming the first entry that does not
fit (changed, missing, or inserted). Reads only; safe to run while the system works.
It also prints the newest entry's hash: someone who can write to the database directly
can drop the triggers and rewrite the chain from an edit onwards, and only a hash kept
outside the database (a log, a printout) shows that.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from content_calendar.accounts.models import audit, verify_audit_chain
from content_calendar.database import get_database
from publisher.settings import Settings

ACTIONS = ("verify",)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    audit = sub.add_parser(
        "audit",
        help="Audit-Protokoll prüfen (verify: Hash-Kette vollständig und unverändert?)",
        description="verify: prüft jeden Eintrag des Audit-Protokolls gegen die Hash-Kette.",
    )
    audit.add_argument("action", choices=ACTIONS)


def cmd_audit(settings: Settings, _args: argparse.Namespace) -> int:
    with get_database(settings).session() as session:
        verdict = verify_audit_chain(session)
    if not verdict.ok:
        print(
            f"Audit-Protokoll BESCHÄDIGT: {verdict.broken}. Davor {verdict.checked} Einträge in Ordnung.",
            file=sys.stderr,
        )
        return 1
    redacted = f", davon {verdict.redacted} mit gelöschter Telefonnummer (DSGVO)" if verdict.redacted else ""
    print(f"Audit-Protokoll in Ordnung: {verdict.checked} Einträge geprüft{redacted}.")
    # Kept outside the database (a log, a printout), this value exposes a rewritten chain.
    print(f"Letzte Prüfsumme: {verdict.last_hash}")
    return 0


def record(settings: Settings, action: str, **detail: Any) -> bool:
    """Audit a CLI action that must work without the database (the website banner).

    The action has already happened; if the database cannot take the entry, the operator
    is told on stderr instead of the command failing. The operating-system account is
    recorded, since the CLI has no Ernstfall login.
    """
    try:
        with get_database(settings).session() as session:
            audit(session, action, None, None, via="cli", os_user=_os_user(), **detail)
    except SQLAlchemyError as exc:
        reason = getattr(exc, "orig", None) or exc
        print(
            f"Hinweis: nicht im Audit-Protokoll vermerkt (Datenbank nicht erreichbar: {reason})",
            file=sys.stderr,
        )
        return False
    return True


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (e.g. a container)
        return "?"
