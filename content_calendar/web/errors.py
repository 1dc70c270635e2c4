"""Error pages in German; RFC 9457 problem documents (German) under /api."""

from __future__ import annotations

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

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
