"""A Kubernetes API double for the few Secret calls the provisioner makes (GET and merge PATCH, core/v1).

It checks the bearer token, answers RBAC denials for Secrets outside the allowed set (as a Role with
resourceNames would) and 404 with a Status object for missing Secrets, and applies JSON merge patches to
`data` the way the API server does.
"""

from __future__ import annotations

import re
from typing import Any

from tests.components.infisical_bootstrap.servers import Double, Exchange, Timeline

TOKEN = "service-account-token-for-tests"
_PATH = re.compile(r"/api/v1/namespaces/(?P<ns>[^/]+)/secrets/(?P<name>[^/]+)")


class FakeKube(Double):
    server_name = "kubernetes"

    def __init__(self, timeline: Timeline | None = None, allowed: set[tuple[str, str]] | None = None) -> None:
        super().__init__(timeline)
        self.secrets: dict[tuple[str, str], dict[str, str]] = {}  # base64 data, as stored
        self.allowed = allowed  # None: every Secret; else the (namespace, name) pairs the Role names
        self.read_only: set[tuple[str, str]] = set()  # Secrets whose PATCH is denied (get still allowed)

    def create(self, namespace: str, name: str, data: dict[str, str] | None = None) -> None:
        import base64

        self.secrets[(namespace, name)] = {key: base64.b64encode(value.encode()).decode()
                                           for key, value in (data or {}).items()}

    def decoded(self, namespace: str, name: str) -> dict[str, str]:
        import base64

        return {key: base64.b64decode(value).decode() for key, value in self.secrets[(namespace, name)].items()}

    @staticmethod
    def status(code: int, reason: str, message: str) -> tuple[int, Any]:
        return code, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": message,
                      "reason": reason, "code": code}

    def handle(self, exchange: Exchange) -> tuple[int, Any]:
        if exchange.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self.status(401, "Unauthorized", "Unauthorized")
        match = _PATH.fullmatch(exchange.path)
        if match is None:
            return self.status(404, "NotFound", "the server could not find the requested resource")
        key = (match["ns"], match["name"])
        if self.allowed is not None and key not in self.allowed:
            return self.status(403, "Forbidden", f'secrets "{key[1]}" is forbidden')
        if key not in self.secrets:
            return self.status(404, "NotFound", f'secrets "{key[1]}" not found')
        if exchange.method == "GET":
            return 200, self._object(key)
        if exchange.method == "PATCH":
            if key in self.read_only:
                return self.status(403, "Forbidden", f'secrets "{key[1]}" is forbidden: cannot patch')
            if exchange.headers.get("Content-Type") != "application/merge-patch+json":
                return self.status(415, "UnsupportedMediaType", "unsupported patch type")
            patch = exchange.json()
            if set(patch) - {"data"}:
                return self.status(422, "Invalid", "this double only patches data")
            for data_key, value in patch["data"].items():
                if value is None:
                    self.secrets[key].pop(data_key, None)
                else:
                    self.secrets[key][data_key] = value
            return 200, self._object(key)
        return self.status(405, "MethodNotAllowed", "method not allowed")

    def _object(self, key: tuple[str, str]) -> dict[str, Any]:
        document: dict[str, Any] = {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                                    "metadata": {"name": key[1], "namespace": key[0]}}
        if self.secrets[key]:
            document["data"] = dict(self.secrets[key])
        return document
