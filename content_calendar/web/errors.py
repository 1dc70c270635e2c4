"""Error pages in the reader's language; RFC 9457 problem documents (German) under /api."""

from __future__ import annotations

from flask import Flask, render_template, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from content_calendar import busy
from content_calendar.catalogues import N_
from content_calendar.web.i18n import gettext

# German message ids: the API answers in German, the pages translate them with gettext.
MESSAGES = {
    400: N_("Ungültige Anfrage"),
    401: N_("Anmeldung erforderlich"),
    403: N_("Keine Berechtigung für diese Seite"),
    404: N_("Seite nicht gefunden"),
    405: N_("Methode nicht erlaubt"),
    413: N_("Datei zu groß (höchstens 16 MB)"),
    422: N_("Eingaben unvollständig oder ungültig"),
}
BUSY_MESSAGE = N_(
    "Die Datenbank ist gerade durch einen anderen Vorgang gesperrt. Die Meldung wurde nicht "
    "gespeichert und nicht gesendet. Bitte in %(seconds)d Sekunden erneut senden — "
    "ein zweiter Klick löst keine doppelte Warnung aus."
)


def register(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> tuple[Response | str, int]:
        code = exc.code or 500
        message = MESSAGES.get(code, exc.name)
        if request.path.startswith("/api/"):
            from content_calendar.web.api.problems import problem

            return problem(code, message), code
        return render_template("error.html", code=code, message=gettext(message)), code

    @app.errorhandler(OperationalError)
    def _database_busy(exc: OperationalError) -> tuple[Response | str, int, dict[str, str]]:
        """A lock outside an alert transition (e.g. while signing in): German 503, never a 500."""
        if not busy.is_database_busy(exc):
            raise exc
        headers = {"Retry-After": str(busy.RETRY_AFTER_SECONDS)}
        if request.path.startswith("/api/"):
            from content_calendar.web.api.problems import problem

            return problem(503, busy.MESSAGE), 503, headers
        text = gettext(BUSY_MESSAGE, seconds=busy.RETRY_AFTER_SECONDS)  # busy.MESSAGE, translated
        return render_template("error.html", code=503, message=text), 503, headers
