"""Error pages in German; RFC 9457 problem documents (German) under /api."""

from __future__ import annotations

from flask import Flask, render_template, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from content_calendar import busy

MESSAGES = {
    400: "Ungültige Anfrage",
    401: "Anmeldung erforderlich",
    403: "Keine Berechtigung für diese Seite",
    404: "Seite nicht gefunden",
    405: "Methode nicht erlaubt",
    413: "Datei zu groß (höchstens 16 MB)",
    422: "Eingaben unvollständig oder ungültig",
}


def register(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> tuple[Response | str, int]:
        code = exc.code or 500
        message = MESSAGES.get(code, exc.name)
        if request.path.startswith("/api/"):
            from content_calendar.web.api.problems import problem

            return problem(code, message), code
        return render_template("error.html", code=code, message=message), code

    @app.errorhandler(OperationalError)
    def _database_busy(exc: OperationalError) -> tuple[Response | str, int, dict[str, str]]:
        """A lock outside an alert transition (e.g. while signing in): German 503, never a 500."""
        if not busy.is_database_busy(exc):
            raise exc
        headers = {"Retry-After": str(busy.RETRY_AFTER_SECONDS)}
        if request.path.startswith("/api/"):
            from content_calendar.web.api.problems import problem

            return problem(503, busy.MESSAGE), 503, headers
        return render_template("error.html", code=503, message=busy.MESSAGE), 503, headers
