"""Problem documents (RFC 9457, formerly 7807) in German, and the checks on a raw JSON body.

Validation errors from the typed models become one German message per bad field; the
models' field titles are the labels.
"""

from __future__ import annotations

from typing import Any

from flask import Response, request
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from content_calendar.calendar.limits import JSON_DEPTH_MAX, too_long
from content_calendar.web.api.schemas import CUSTOM_ERROR_PREFIX, ApiModel, Problem

TITLES = {
    400: "Ungültige Anfrage",
    401: "Anmeldung erforderlich",
    403: "Keine Berechtigung",
    404: "Nicht gefunden",
    409: "Zustand erlaubt das nicht",
    422: "Eingaben unvollständig oder ungültig",
    503: "Vorübergehend nicht möglich",
}
INVALID_INPUT = "Eingaben unvollständig oder ungültig"
TYPE_ERRORS = frozenset(
    {
        "string_type",
        "list_type",
        "dict_type",
        "bool_type",
        "int_type",
        "int_parsing",
        "int_from_float",
        "float_type",
        "model_type",
        "datetime_type",
    }
)


def problem(status: int, detail: str, problems: dict[str, str] | None = None) -> Response:
    body = Problem(
        title=TITLES.get(status, "Fehler"),
        status=status,
        detail=detail,
        error=detail,
        problems=problems or None,
    )
    return Response(
        body.model_dump_json(exclude_none=True), status=status, mimetype="application/problem+json"
    )


# Validation errors -> German, one message per field ---------------------------------------


def _label(model: type[BaseModel], name: str) -> str:
    for field_name, field in model.model_fields.items():
        if name in (field_name, field.alias):
            return field.title or field_name
    return name


def _item_message(model: type[BaseModel], name: str, label: str) -> str:
    messages = model.item_messages if issubclass(model, ApiModel) else {}
    return messages.get(name, f"{label}: Eintrag mit falschem Typ")


def field_message(model: type[BaseModel], error: ErrorDetails) -> str:
    kind, loc, ctx = error["type"], error["loc"], error.get("ctx", {})
    label = _label(model, str(loc[0]))
    nested = len(loc) > 1
    if kind.startswith(CUSTOM_ERROR_PREFIX):
        return error["msg"]
    if kind == "missing" or (kind in TYPE_ERRORS and error["input"] is None and not nested):
        return f"{label} fehlt"
    if kind in TYPE_ERRORS:
        return _item_message(model, str(loc[0]), label) if nested else f"{label}: falscher Typ"
    if kind == "string_too_long":
        return too_long(label, str(error["input"]), int(ctx["max_length"])) or f"{label}: zu lang"
    if kind == "too_long":
        return f"{label}: höchstens {ctx['max_length']} Einträge"
    if kind == "enum":
        allowed = str(ctx.get("expected", "")).replace(" or ", " oder ")
        return f"{label}: unbekannter Wert {error['input']!r}, erlaubt sind {allowed}"
    return f"{label}: ungültiger Wert"


def field_problems(model: type[BaseModel], error: ValidationError) -> dict[str, str]:
    """The first German message for each bad field, keyed by the field's name in the request."""
    found: dict[str, str] = {}
    for detail in error.errors(include_url=False):
        name = str(detail["loc"][0]) if detail["loc"] else "body"
        found.setdefault(name, field_message(model, detail))
    return found


def validation_problem(models: dict[str, type[BaseModel]], error: ValidationError) -> Response:
    model = models.get(error.title)
    if model is None:  # a model we did not register: still a problem document, never a 500
        return problem(422, INVALID_INPUT, {"body": "Eingaben ungültig"})
    return problem(422, INVALID_INPUT, field_problems(model, error))


# The raw body, before any model sees it ---------------------------------------------------


def nesting_depth_exceeds(raw: bytes, limit: int) -> bool:
    """Whether JSON text nests arrays/objects deeper than ``limit``, without parsing it.

    Parsers recurse per level: a body of 5,000 ``[`` must be refused before one sees it.
    Escaped backslashes and quotes are removed first, then everything inside strings.
    """
    unescaped = raw.replace(b"\\\\", b"").replace(b'\\"', b"")
    outside_strings = b"".join(unescaped.split(b'"')[::2])
    depth = 0
    for byte in outside_strings.translate(None, _NOT_BRACKETS):
        depth += 1 if byte in _OPENING else -1
        if depth > limit:
            return True
    return False


_OPENING = frozenset(b"[{")
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def json_object_refusal() -> Response | None:
    """A 400 problem unless the body is one JSON object of sensible depth."""
    raw = request.get_data(cache=True)
    if nesting_depth_exceeds(raw, JSON_DEPTH_MAX):
        return problem(400, f"JSON zu tief verschachtelt (höchstens {JSON_DEPTH_MAX} Ebenen)")
    data: Any = request.get_json(silent=True)
    if data is None:
        return problem(400, "Kein gültiges JSON im Anfragekörper (Content-Type: application/json)")
    if not isinstance(data, dict):
        return problem(400, "JSON-Objekt erwartet")
    return None
