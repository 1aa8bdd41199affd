"""Both sides of every Infisical exchange checked against the upstream OpenAPI subset (openapi-core).

The request the client sent (path, query, security, body) and the response the double returned (status,
body) must each be valid for the operation. `additionalProperties: false` in the subset makes a misspelt or
invented field an error on either side.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from tests.components.infisical_bootstrap.servers import Exchange
from tests.conftest import refs_path

SPEC_SERVER = "http://localhost:8080"  # the subset's `servers` entry; paths are matched below it


@functools.cache
def _openapi() -> Any:
    from openapi_core import OpenAPI

    return OpenAPI.from_file_path(str(refs_path("infisical", "openapi-subset.yaml")))


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

    import yaml

    document = yaml.safe_load(refs_path("infisical", "openapi-subset.yaml").read_text())
    found = set()
    for path, item in document["paths"].items():
        pattern = re.compile(re.sub(r"\\{[^/]+\\}", "[^/]+", re.escape(path)))
        for method, operation in item.items():
            if method == "parameters":
                continue
            if any(e.method == method.upper() and pattern.fullmatch(e.path) for e in exchanges):
                found.add(operation["operationId"])
    return found
