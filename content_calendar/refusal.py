"""One shape for "the request cannot be honoured", shared by the domain packages.

A refusal carries the message for the person (German; a ``Msg`` where it has values, so a
page shows it in the reader's language), the problem per form field, and the HTTP status
that fits (422 for bad input, 409 for a conflict, 404 …). The web layer and the API turn it
into a message at the field or an RFC 7807 problem document; each domain keeps its own
subclass so callers can catch exactly what they expect.
"""

from __future__ import annotations

from collections.abc import Mapping


class Refused(ValueError):
    def __init__(self, message: str, problems: Mapping[str, str] | None = None, status: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.problems = dict(problems or {})
        self.status = status
