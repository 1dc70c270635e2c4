"""``ernstfall user deactivate|activate|unlock NAME`` and ``ernstfall token revoke ID|list NAME``.

Access is taken away without SQL: a deactivated user's sessions and API tokens stop
working at once, a revoked token at its next request. Each step is audited.
"""

from __future__ import annotations

import sys

from content_calendar.accounts.auth import find_user, revoke_token, set_active, tokens_of
from content_calendar.accounts.models import ApiToken, audit
from content_calendar.accounts.throttle import clear_failures
from content_calendar.database import get_database
from publisher.settings import Settings

USER_ACTIONS = ("deactivate", "activate", "unlock")
TOKEN_ACTIONS = ("revoke", "list")
USER_DONE = {
    "deactivate": "deaktiviert: Sitzungen und API-Tokens gelten ab sofort nicht mehr",
    "activate": "wieder aktiviert",
    "unlock": "entsperrt: fehlgeschlagene Anmeldungen zurückgesetzt",
}


def _fail(message: str) -> int:
    print(f"Fehler: {message}", file=sys.stderr)
    return 2


def user_action(settings: Settings, action: str, username: str) -> int:
    if action not in USER_ACTIONS:
        return _fail(f"unbekannte Aktion {action!r} (erlaubt: {', '.join(USER_ACTIONS)})")
    try:
        with get_database(settings).session() as session:
            user = find_user(session, username)
            if action == "unlock":
                clear_failures(session, username)
                audit(session, "user.unlocked", None, user, via="cli")
            else:
                set_active(session, user, action == "activate")
    except ValueError as exc:
        return _fail(str(exc))
    print(f"Benutzer {username} {USER_DONE[action]}.")
    return 0


def _describe(row: ApiToken) -> str:
    state = f"widerrufen {row.revoked_at:%Y-%m-%d %H:%M}" if row.revoked_at else "gültig"
    used = f"{row.last_used_at:%Y-%m-%d %H:%M}" if row.last_used_at else "nie"
    return f"{row.id}\t{row.label or '-'}\tangelegt {row.created_at:%Y-%m-%d}\tzuletzt {used}\t{state}"


def token_action(settings: Settings, action: str, target: str) -> int:
    if action not in TOKEN_ACTIONS:
        return _fail(f"unbekannte Aktion {action!r} (erlaubt: {', '.join(TOKEN_ACTIONS)})")
    if action == "revoke" and not (target.isascii() and target.isdigit()):
        return _fail(f"Token-ID muss eine Zahl sein (siehe „ernstfall token list NAME“), nicht {target!r}")
    try:
        with get_database(settings).session() as session:
            if action == "list":
                for row in tokens_of(session, find_user(session, target)):
                    print(_describe(row))
                return 0
            revoke_token(session, int(target))
    except ValueError as exc:
        return _fail(str(exc))
    print(f"API-Token {target} widerrufen.")
    return 0
