"""Both sides of every Infisical exchange checked against the upstream OpenAPI subset (openapi-core).

The request the client sent (path, query, security, body) and the response the double returned (status,
body) must each be valid for the operation. `additionalProperties: false` in the subset makes a misspelt or
invented field an error on either side.

The subset has no folder endpoint: `FOLDER_PATHS` adds the two the provisioner calls, written here from the
upstream zod schemas (Infisical/infisical `backend/src/server/routes/v2/secret-folder-router.ts` @ 09a41c37,
the request bodies and query; `backend/src/db/schemas/secret-folders.ts` @ 27233609, SecretFoldersSchema, the
folder in each response). Dates are ISO strings on the wire; the error responses are the subset's own.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from tests.components.infisical_bootstrap.servers import Exchange
from tests.conftest import refs_path

SPEC_SERVER = "http://localhost:8080"  # the subset's `servers` entry; paths are matched below it

_ERRORS = {str(status): {"$ref": f"#/components/responses/Error{status}"} for status in (400, 401, 403, 404, 422, 500)}
_FOLDER: dict[str, Any] = {  # SecretFoldersSchema
    "type": "object",
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "name": {"type": "string"},
        "version": {"type": "number", "nullable": True, "default": 1},
        "createdAt": {"type": "string", "format": "date-time"},
        "updatedAt": {"type": "string", "format": "date-time"},
        "envId": {"type": "string", "format": "uuid"},
        "parentId": {"type": "string", "format": "uuid", "nullable": True},
        "isReserved": {"type": "boolean", "nullable": True, "default": False},
        "description": {"type": "string", "nullable": True},
        "lastSecretModified": {"type": "string", "format": "date-time", "nullable": True},
    },
    "required": ["id", "name", "createdAt", "updatedAt", "envId"],
}


def _with(schema: dict[str, Any], extra: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {**schema, "properties": {**schema["properties"], **extra},
            "required": [*schema["required"], *required], "additionalProperties": False}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _query(name: str, required: bool, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"in": "query", "name": name, "required": required, "schema": schema or {"type": "string"}}


FOLDER_PATHS: dict[str, Any] = {"/api/v2/folders": {
    "post": {
        "operationId": "createSecretFolder", "security": [{"bearerAuth": []}],
        "requestBody": {"required": True, "content": _json({
            "type": "object", "additionalProperties": False, "required": ["projectId", "environment", "name"],
            "properties": {"projectId": {"type": "string"}, "environment": {"type": "string"},
                           "name": {"type": "string"}, "path": {"type": "string", "default": "/"},
                           "description": {"type": "string", "nullable": True}}})},
        "responses": {"200": {"description": "the folder, created or found", "content": _json({
            "type": "object", "additionalProperties": False, "required": ["folder"],
            "properties": {"folder": _with(_FOLDER, {"path": {"type": "string"}}, ("path",))}})},
            **_ERRORS},
    },
    "get": {
        "operationId": "listSecretFolders", "security": [{"bearerAuth": []}],
        "parameters": [_query("projectId", True), _query("environment", True), _query("path", True),
                       _query("lastSecretModified", False),
                       _query("recursive", False, {"type": "string", "enum": ["true", "false"]})],
        "responses": {"200": {"description": "the folders directly in path", "content": _json({
            "type": "object", "additionalProperties": False, "required": ["folders"],
            "properties": {"folders": {"type": "array", "items": _with(
                _FOLDER, {"relativePath": {"type": "string"}})}}})},
            **_ERRORS},
    },
}}


@functools.cache
def _document() -> dict[str, Any]:
    import yaml

    document: dict[str, Any] = yaml.safe_load(refs_path("infisical", "openapi-subset.yaml").read_text())
    document["paths"] = {**document["paths"], **FOLDER_PATHS}
    return document


@functools.cache
def _openapi() -> Any:
    from openapi_core import OpenAPI

    return OpenAPI.from_dict(_document())


def problems(exchange: Exchange) -> list[str]:
    from openapi_core.testing import MockRequest, MockResponse

    openapi = _openapi()
    where = f"{exchange.method} {exchange.path} -> {exchange.status}"
    request = MockRequest(SPEC_SERVER, exchange.method, exchange.path, args=exchange.query,
                          headers={key: value for key, value in exchange.headers.items()
                                   if key.lower() in ("authorization", "content-type")},
                          data=exchange.body or None,
                          content_type=exchange.headers.get("Content-Type", "application/json"))
    response = MockResponse(exchange.response, exchange.status, content_type="application/json")
    found = []
    checks: tuple[tuple[str, Callable[[], Any]], ...] = (
        ("request", lambda: openapi.validate_request(request)),
        ("response", lambda: openapi.validate_response(request, response)))
    for side, validate in checks:
        try:
            validate()
        except Exception as error:  # openapi-core raises one error class per kind of problem
            details = "; ".join(str(cause) for cause in getattr(error, "schema_errors", ()) or ()) or ""
            inner = error.__cause__
            if not details and inner is not None:
                details = "; ".join(str(e.message) for e in getattr(inner, "schema_errors", ())) or str(inner)
            found.append(f"{where}: {side}: {type(error).__name__}: {error} {details}".strip())
    return found


def all_problems(exchanges: list[Exchange]) -> list[str]:
    return [problem for exchange in exchanges for problem in problems(exchange)]


def operations(exchanges: list[Exchange]) -> set[str]:
    """The operationIds of the subset that these exchanges exercised (each path matched to its template)."""
    import re

    found = set()
    for path, item in _document()["paths"].items():
        pattern = re.compile(re.sub(r"\\{[^/]+\\}", "[^/]+", re.escape(path)))
        for method, operation in item.items():
            if method == "parameters":
                continue
            if any(e.method == method.upper() and pattern.fullmatch(e.path) for e in exchanges):
                found.add(operation["operationId"])
    return found
