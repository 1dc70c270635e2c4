"""What Meta's ``debug_token`` says about a Graph token (Facebook Pages, Instagram).

``GET /debug_token?input_token=…`` answers ``{"data": {"is_valid", "expires_at", …}}``;
``expires_at`` is a Unix time, 0 for a token that does not expire (a page token made
from a long-lived user token). Used by the checks only: nothing is posted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class TokenFacts:
    valid: bool
    expires_at: datetime | None  # None: never, or Graph did not say
    problem: str = ""

    def note(self) -> str:
        """A clause for the check text, empty for a token that does not expire."""
        return f", Token gültig bis {self.expires_at:%d.%m.%Y}" if self.expires_at else ""


def token_facts(body: Any) -> TokenFacts | None:
    """The facts in a debug_token answer; None if the answer is not one."""
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict) or "is_valid" not in data:
        return None
    stamp = data.get("expires_at")
    expires = datetime.fromtimestamp(int(stamp), UTC) if isinstance(stamp, int | float) and stamp else None
    raw_error = data.get("error")
    error: dict[str, Any] = raw_error if isinstance(raw_error, dict) else {}
    return TokenFacts(bool(data["is_valid"]), expires, str(error.get("message") or ""))


def invalid_text(channel: str, facts: TokenFacts) -> str:
    reason = facts.problem or "Meta meldet den Token als ungültig"
    return f"{channel}: Zugangstoken ungültig – Token erneuern ({reason})"
