"""The Infisical REST calls the provisioning flow needs (stdlib only: it runs in a stock python image).

Shapes follow Infisical's API reference and its backend route schemas (`backend/src/server/routes/v1/*.ts`,
`routes/v2/secret-folder-router.ts`, `routes/v4/secret-router.ts`). Errors come as `{reqId, statusCode, message,
error}` and are mapped to typed exceptions (`server/plugins/error-handler.ts`). Infisical has no 409: "already
exists" is a 400 whose message says so (BadRequestError), so each create call that can meet an existing object
decides what that means.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .transport import RetryPolicy, Transport


class ApiError(Exception):
    """An answer Infisical gave that the flow cannot use. Never carries a request body."""

    def __init__(self, status: int, endpoint: str, body: Any) -> None:
        self.status = status
        self.endpoint = endpoint
        document = body if isinstance(body, dict) else {}
        message = document.get("message", "")
        self.message = message if isinstance(message, str) else "request failed validation"
        self.error = str(document.get("error", ""))
        super().__init__(f"{endpoint}: {status} {self.error or 'error'}: {self.message}".rstrip(": "))


class BadRequest(ApiError):
    @property
    def already_exists(self) -> bool:
        # "Secret already exists", "Environment with slug already exist(s)", "Identity with id … already exists
        # in project …", "Instance has already been set up": upstream's wording for a conflict.
        text = self.message.lower()
        return "already exist" in text or "already been set up" in text


class Unauthorized(ApiError):
    """401: the token is missing, wrong or revoked."""


class Forbidden(ApiError):
    """403: the token is valid but lacks the permission (or is an expired/invalid JWT: TokenError)."""


class NotFound(ApiError):
    """404: no such object (or not visible to this token)."""


_ERRORS: dict[int, type[ApiError]] = {400: BadRequest, 401: Unauthorized, 403: Forbidden, 404: NotFound}


@dataclass(frozen=True)
class Bootstrap:
    token: str  # the instance-admin identity's access token (Token Auth, no expiry upstream)
    organization_id: str
    organization_slug: str


@dataclass(frozen=True)
class Project:
    id: str
    slug: str
    environments: tuple[str, ...]  # environment slugs


@dataclass(frozen=True)
class ClientSecretInfo:
    id: str
    description: str
    revoked: bool


@dataclass(frozen=True)
class IssuedClientSecret:
    id: str
    value: str


def _segment(value: str) -> str:
    """A path segment from data (a slug, a secret name): quoted, so it can never change the path."""
    return urllib.parse.quote(value, safe="")


def _project(document: Mapping[str, Any]) -> Project:
    return Project(str(document["id"]), str(document["slug"]),
                   tuple(str(env["slug"]) for env in document.get("environments", [])))


class InfisicalClient:
    """One method per endpoint. `token` is the bearer token; the bootstrap call needs none."""

    def __init__(self, api_url: str, log: Callable[[str], None], token: str | None = None,
                 retry: RetryPolicy | None = None, sleep: Callable[[float], None] | None = None) -> None:
        self._transport = Transport(api_url, log, retry, sleep=sleep, label="infisical")
        self._api_url = api_url
        self._log = log
        self._retry = retry
        self._sleep = sleep
        self._token = token

    def with_token(self, token: str) -> InfisicalClient:
        return InfisicalClient(self._api_url, self._log, token, self._retry, self._sleep)

    def _call(self, method: str, path: str, body: Any = None, query: Mapping[str, str] | None = None) -> Any:
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        response = self._transport.send(method, path, body, query, headers)
        if 200 <= response.status < 300:
            return response.body
        error = _ERRORS.get(response.status, ApiError)
        raise error(response.status, f"{method} {path}", response.body)

    # --- instance --------------------------------------------------------------------------------------------
    def bootstrap(self, email: str, password: str, organization: str) -> Bootstrap:
        """POST /v1/admin/bootstrap: admin user, organization and the instance-admin identity (first start only;
        afterwards upstream answers 400 "Instance has already been set up")."""
        body = self._call("POST", "/v1/admin/bootstrap",
                          {"email": email, "password": password, "organization": organization})
        return Bootstrap(str(body["identity"]["credentials"]["token"]), str(body["organization"]["id"]),
                         str(body["organization"]["slug"]))

    # --- projects and environments ---------------------------------------------------------------------------
    def project_by_slug(self, slug: str) -> Project | None:
        """GET /v1/projects/slug/{slug}: the bare project object (not wrapped), in the token's organization."""
        try:
            return _project(self._call("GET", f"/v1/projects/slug/{_segment(slug)}"))
        except NotFound:
            return None

    def create_project(self, name: str, slug: str) -> Project:
        """POST /v1/projects without default environments: the project gets exactly the one configured."""
        body = self._call("POST", "/v1/projects",
                          {"projectName": name, "slug": slug, "shouldCreateDefaultEnvs": False})
        return _project(body["project"])

    def create_environment(self, project_id: str, name: str, slug: str) -> None:
        self._call("POST", f"/v1/projects/{project_id}/environments", {"name": name, "slug": slug})

    # --- machine identity ------------------------------------------------------------------------------------
    def create_identity(self, name: str, organization_id: str) -> str:
        """POST /v1/identities with no organization role: it gets access through its project membership only."""
        body = self._call("POST", "/v1/identities",
                          {"name": name, "organizationId": organization_id, "role": "no-access"})
        return str(body["identity"]["id"])

    def attach_universal_auth(self, identity_id: str) -> str:
        """POST /v1/auth/universal-auth/identities/{id} with upstream's defaults; returns the client id."""
        body = self._call("POST", f"/v1/auth/universal-auth/identities/{identity_id}", {})
        return str(body["identityUniversalAuth"]["clientId"])

    def universal_auth_client_id(self, identity_id: str) -> str | None:
        """The client id of the identity's universal auth; None when the identity or its universal auth is gone."""
        try:
            body = self._call("GET", f"/v1/auth/universal-auth/identities/{identity_id}")
        except NotFound:
            return None
        return str(body["identityUniversalAuth"]["clientId"])

    def add_project_membership(self, project_id: str, identity_id: str, role: str) -> bool:
        """Adds the identity to the project; False when it is a member already (upstream: 400 already exists)."""
        try:
            self._call("POST", f"/v1/projects/{project_id}/memberships/identities/{identity_id}",
                       {"roles": [{"role": role, "isTemporary": False}]})
        except BadRequest as error:
            if error.already_exists:
                return False
            raise
        return True

    def create_client_secret(self, identity_id: str, description: str) -> IssuedClientSecret:
        body = self._call("POST", f"/v1/auth/universal-auth/identities/{identity_id}/client-secrets",
                          {"description": description})
        return IssuedClientSecret(str(body["clientSecretData"]["id"]), str(body["clientSecret"]))

    def client_secrets(self, identity_id: str) -> list[ClientSecretInfo]:
        body = self._call("GET", f"/v1/auth/universal-auth/identities/{identity_id}/client-secrets")
        return [ClientSecretInfo(str(item["id"]), str(item.get("description", "")),
                                 bool(item.get("isClientSecretRevoked", False)))
                for item in body["clientSecretData"]]

    def revoke_client_secret(self, identity_id: str, client_secret_id: str) -> None:
        self._call("POST", f"/v1/auth/universal-auth/identities/{identity_id}/client-secrets/"
                           f"{client_secret_id}/revoke")

    # --- folders (v2) ----------------------------------------------------------------------------------------
    # Upstream: backend/src/server/routes/v2/secret-folder-router.ts (POST and GET "/" under the v2 "/folders"
    # prefix; the v1 /folders routes are the deprecated form) and services/secret-folder/secret-folder-service.ts
    # createFolder, read at Infisical/infisical commit 00e59be2 (see docs/infisical-bootstrap.md).
    def folder_names(self, project_id: str, environment: str, parent: str) -> frozenset[str]:
        """GET /v2/folders: the names of the folders directly in `parent`. Upstream answers an empty list, not
        404, when `parent` itself does not exist (getFolders: `if (!parentFolder) return []`)."""
        body = self._call("GET", "/v2/folders", query={"projectId": project_id, "environment": environment,
                                                       "path": parent})
        return frozenset(str(folder["name"]) for folder in body["folders"])

    def create_folder(self, project_id: str, environment: str, parent: str, name: str) -> None:
        """POST /v2/folders: folder `name` in `parent`. Upstream makes this idempotent under an advisory lock: an
        existing folder of that name is returned (200, no "already exists" error to handle) and missing parents are
        created on the way. A name outside [A-Za-z0-9_-] fails the route's zod refine (422 ValidationFailure)."""
        self._call("POST", "/v2/folders",
                   {"projectId": project_id, "environment": environment, "name": name, "path": parent})

    # --- secrets (v4) ----------------------------------------------------------------------------------------
    def create_secret(self, project_id: str, environment: str, path: str, name: str, value: str) -> bool:
        """Creates the secret; False when one of that name exists at the path (upstream: 400 already exists)."""
        try:
            self._call("POST", f"/v4/secrets/{_segment(name)}", {
                "projectId": project_id, "environment": environment, "secretPath": path, "secretValue": value})
        except BadRequest as error:
            if error.already_exists:
                return False
            raise
        return True

    def update_secret(self, project_id: str, environment: str, path: str, name: str, value: str) -> None:
        self._call("PATCH", f"/v4/secrets/{_segment(name)}", {
            "projectId": project_id, "environment": environment, "secretPath": path, "secretValue": value})
