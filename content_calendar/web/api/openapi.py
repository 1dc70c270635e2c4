"""The OpenAPI 3.1 document of /api/v1 (kept next to the views it describes)."""

from __future__ import annotations

from typing import Any

from publisher.vocabulary import DeliveryState

_ERROR = {"$ref": "#/components/schemas/Error"}


def _resp(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"description": description}
    if schema:
        body["content"] = {"application/json": {"schema": schema}}
    return body


_ERRORS = {
    "400": _resp("Kein gültiges JSON", _ERROR),
    "401": _resp("Token fehlt oder ungültig", _ERROR),
    "403": _resp("Rolle fehlt oder Vier-Augen-Prinzip", _ERROR),
    "404": _resp("Nicht gefunden", _ERROR),
    "409": _resp("Zustand erlaubt das nicht (z. B. Vorlage nicht freigegeben)", _ERROR),
    "422": _resp("Eingaben ungültig; problems nennt jedes Feld", _ERROR),
}

OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Ernstfall API", "version": "1"},
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearer": []}],
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Error": {
                "type": "object",
                "required": ["error"],
                "properties": {
                    "error": {"type": "string"},
                    "problems": {"type": "object", "additionalProperties": {"type": "string"}},
                },
            },
            "PostIn": {
                "type": "object",
                "required": ["text", "channels", "publish_at"],
                "properties": {
                    "text": {"type": "string"},
                    "title": {"type": "string"},
                    "channels": {"type": "array", "items": {"type": "string"}},
                    "publish_at": {"type": "string", "format": "date-time"},
                    "theme": {"type": "string"},
                    "link": {"type": "string"},
                    "variants": {"type": "object", "additionalProperties": {"type": "string"}},
                    "submit": {"type": "boolean", "description": "gleich zur Freigabe (Standard)"},
                },
            },
            "Post": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "title": {"type": "string"},
                    "text": {"type": "string"},
                    "state": {"type": "string"},
                    "publish_at": {"type": "string", "format": "date-time"},
                    "channel_ids": {"type": "array", "items": {"type": "integer"}},
                    "theme": {"type": ["string", "null"]},
                    "held_reason": {"type": ["string", "null"]},
                },
            },
            "AlertIn": {
                "type": "object",
                "required": ["template"],
                "properties": {
                    "template": {"type": "string", "description": "Schlüssel der Vorlage"},
                    "variables": {"type": "object", "additionalProperties": {"type": "string"}},
                    "idempotency_key": {
                        "type": "string",
                        "description": "oder Header Idempotency-Key; gleicher Schlüssel = eine Warnung",
                    },
                    "drill": {"type": "boolean"},
                },
            },
            "Delivery": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "channel": {"type": "string"},
                    "state": {
                        "type": "string",
                        "enum": [state.value for state in DeliveryState],
                    },
                    "attempts": {"type": "integer"},
                    "last_error": {"type": ["string", "null"]},
                    "platform_message": {"type": ["string", "null"]},
                    "remote_id": {"type": ["string", "null"]},
                    "remote_url": {"type": ["string", "null"]},
                    "dispatched_inline": {"type": "boolean"},
                },
            },
            "Alert": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "identifier": {"type": "string"},
                    "status": {"type": "string"},
                    "level": {"type": "string"},
                    "headline": {"type": "string"},
                    "active": {"type": "boolean"},
                    "deliveries": {"type": "array", "items": {"$ref": "#/components/schemas/Delivery"}},
                },
            },
        },
    },
    "paths": {
        "/posts": {
            "post": {
                "summary": "Beitrag anlegen (geht zur Freigabe)",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PostIn"}}},
                },
                "responses": {"201": _resp("angelegt", {"$ref": "#/components/schemas/Post"}), **_ERRORS},
            }
        },
        "/posts/{id}": {
            "get": {
                "summary": "Beitrag lesen",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": {"200": _resp("Beitrag", {"$ref": "#/components/schemas/Post"}), **_ERRORS},
            }
        },
        "/posts/{id}/{action}": {
            "post": {
                "summary": "Freigeben, zurückgeben oder abbrechen",
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}},
                    {
                        "name": "action",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "enum": ["approve", "return", "cancel"]},
                    },
                ],
                "responses": {
                    "200": _resp("neuer Zustand", {"$ref": "#/components/schemas/Post"}),
                    **_ERRORS,
                },
            }
        },
        "/alerts": {
            "post": {
                "summary": "Warnung aus freigegebener Vorlage auslösen",
                "parameters": [
                    {
                        "name": "Idempotency-Key",
                        "in": "header",
                        "required": False,
                        "schema": {"type": "string"},
                    }
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AlertIn"}}},
                },
                "responses": {
                    "201": _resp("ausgelöst", {"$ref": "#/components/schemas/Alert"}),
                    "200": _resp(
                        "war mit diesem Schlüssel schon ausgelöst", {"$ref": "#/components/schemas/Alert"}
                    ),
                    **_ERRORS,
                },
            }
        },
        "/alerts/{id}": {
            "get": {
                "summary": "Warnung mit Zustellstatus je Kanal",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": {"200": _resp("Warnung", {"$ref": "#/components/schemas/Alert"}), **_ERRORS},
            }
        },
        "/deliveries": {
            "get": {
                "summary": "Zustellungen, optional nach Zustand",
                "parameters": [
                    {"name": "state", "in": "query", "schema": {"type": "string"}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer"}},
                ],
                "responses": {
                    "200": _resp(
                        "Liste",
                        {
                            "type": "object",
                            "properties": {
                                "deliveries": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/Delivery"},
                                }
                            },
                        },
                    ),
                    **_ERRORS,
                },
            }
        },
    },
}
