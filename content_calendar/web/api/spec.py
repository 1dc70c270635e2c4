"""One decorator per API operation: token, role, JSON body, validation and documentation.

spectree validates each request against the typed models in schemas.py and generates the
OpenAPI 3.1 document from the same models and the Flask routes, so the two cannot drift.
Adding an endpoint with a typed body::

    @bp.post("/things")
    @operation(body=ThingIn, ok={201: ThingOut}, permissions=(Permission.PLAN_POSTS,))
    def thing_create() -> ResponseReturnValue:
        \"\"\"Ding anlegen\"\"\"  # the first docstring line is the operation's summary
        data = validated(ThingIn)
        ...
        return ThingOut.of(thing).model_dump(mode="json"), 201
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any, TypeVar

from flask import Response as FlaskResponse
from flask import g, request
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ValidationError
from spectree import Response, SecurityScheme, SpecTree
from spectree.models import SecureType, SecuritySchemeData

from content_calendar.accounts.auth import active_token, note_token_use
from content_calendar.accounts.models import User
from content_calendar.accounts.policy import Permission, allows
from content_calendar.accounts.policy import refusal as permission_refusal
from content_calendar.web.api.problems import json_object_refusal, problem, validation_problem
from content_calendar.web.api.schemas import Problem
from content_calendar.web.helpers import database, db_session

PREFIX = "/api/v1"
ERROR_STATUSES = (400, 401, 403, 404, 409, 422)
F = TypeVar("F", bound=Callable[..., ResponseReturnValue])
M = TypeVar("M", bound=BaseModel)

# Request models by name: a ValidationError carries only the model's name (its title).
_request_models: dict[str, type[BaseModel]] = {}


def _german_problem(
    _request: Any, response: FlaskResponse | None, error: Exception | None, _instance: Any, _adapter: Any
) -> None:
    """spectree's hook before the view: turn its validation error into our problem document."""
    if response is None or not isinstance(error, ValidationError):
        return
    german = validation_problem(_request_models, error)
    response.set_data(german.get_data())
    response.status_code = german.status_code
    response.content_type = german.content_type or "application/problem+json"


spec = SpecTree(
    "flask",
    title="Ernstfall API",
    version="1",
    mode="strict",  # only operations declared with @operation are documented
    naming_strategy=lambda model: model.__name__,
    nested_naming_strategy=lambda _parent, child: child,
    annotations=False,  # views ask for their models with validated(); see below
    validation_error_status=422,
    validation_error_model=Problem,
    before=_german_problem,
    security_schemes=[
        SecurityScheme(name="bearer", data=SecuritySchemeData(type=SecureType.HTTP, scheme="bearer"))
    ],
    security={"bearer": []},
)


def authenticated_user() -> User | FlaskResponse:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return problem(401, "API-Token fehlt (Authorization: Bearer <token>)")
    row = active_token(db_session(), token.strip())
    if row is None:
        return problem(401, "API-Token ungültig oder Benutzer deaktiviert")
    # At most once a minute, in its own transaction, never waiting: a GET stays a pure read.
    note_token_use(database(), row)
    return row.user


def api_user() -> User:
    user: User = g.api_user
    return user


def validated(model: type[M]) -> M:
    """The request's body, query or headers as ``model``, already validated by spectree."""
    context = request.context  # type: ignore[attr-defined]  # set by spectree before the view
    for value in (context.json, context.query, context.headers):
        if isinstance(value, model):
            return value
    raise LookupError(f"{model.__name__} is not declared for this operation")


def _responses(ok: dict[int, type[BaseModel]]) -> Response:
    codes: dict[str, Any] = {f"HTTP_{status}": model for status, model in ok.items()}
    codes.update({f"HTTP_{status}": Problem for status in ERROR_STATUSES})
    return Response(**codes)


def operation(
    *,
    ok: dict[int, type[BaseModel]],
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    headers: type[BaseModel] | None = None,
    permissions: Sequence[Permission] = (),
) -> Callable[[F], F]:
    """Token first, then the policy's permissions (any one), then the JSON body's shape, then the models."""
    for model in (body, query, headers):
        if model is not None:
            _request_models[model.__name__] = model
    validate = spec.validate(json=body, query=query, headers=headers, resp=_responses(ok))

    def decorate(view: F) -> F:
        validated = validate(view)

        @wraps(validated)
        def guarded(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            user = authenticated_user()
            if isinstance(user, FlaskResponse):
                return user
            if permissions and not allows(user.role_list(), *permissions):
                return problem(403, permission_refusal(*permissions))
            g.api_user = user
            refusal = json_object_refusal() if body is not None else None
            if refusal is not None:
                return refusal
            result: ResponseReturnValue = validated(*args, **kwargs)
            return result

        if permissions:  # kept on the view: tests walk every route against the policy
            guarded.required_permissions = frozenset(permissions)  # type: ignore[attr-defined]
        return guarded  # type: ignore[return-value]

    return decorate


def openapi_document() -> dict[str, Any]:
    """The generated document, with paths relative to the server URL as clients know them."""
    generated: dict[str, Any] = spec.spec
    paths = {path.removeprefix(PREFIX) or "/": ops for path, ops in generated["paths"].items()}
    for operations in paths.values():
        for op in operations.values():
            _declare_problem_media_type(op["responses"])
    return {**generated, "servers": [{"url": PREFIX}], "paths": paths}


def _declare_problem_media_type(responses: dict[str, Any]) -> None:
    """spectree states every body as application/json; problems are sent as application/problem+json."""
    for response in responses.values():
        content = response.get("content", {})
        schema = content.get("application/json", {}).get("schema", {})
        if str(schema.get("$ref", "")).endswith("/Problem"):
            response["content"] = {"application/problem+json": content["application/json"]}
