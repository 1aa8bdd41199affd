"""An Infisical API double: the request and response shapes of every endpoint the provisioner uses.

It keeps the state a real instance would (bootstrapped or not, projects, identities, client secrets,
memberships, folders, secrets) and answers as upstream does: 401 without a valid bearer token, 404 for unknown
objects, 400 with an "already exists" message (never 409) for duplicates. Faults can be queued per
endpoint to return 403/404/5xx. The tests check every exchange against the OpenAPI subset (and the folder
operations that `spec.py` adds to it).

Folders as upstream has them (Infisical/infisical commit 00e59be2, see docs/infisical-bootstrap.md): a new
environment holds only its root folder `/`; a secret read or written in a folder that does not exist is a 404
"Folder with path '<path>' in environment with slug '<env>' not found" (secret-v2-bridge-service.ts);
`POST /api/v2/folders` returns an existing folder of that name unchanged, creates missing parents on the way
(secret-folder-service.ts createFolder) and refuses a name outside [A-Za-z0-9_-] with a 422
(secret-folder-router.ts, validate-folder-name.ts); listing a parent that does not exist answers an empty list.

Issued tokens and client secrets are canaries, so a test can look for them in every log line.
"""

from __future__ import annotations

import itertools
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.components.infisical_bootstrap.servers import Double, Exchange, Timeline

STAMP = "2026-01-01T00:00:00.000Z"
ERROR_NAMES = {400: "BadRequest", 401: "UnauthorizedError", 403: "PermissionDenied", 404: "NotFound",
               500: "InternalServerError"}


@dataclass
class Fault:
    method: str
    path: str  # a regular expression matched against the full path
    status: int
    times: int = 1
    message: str = "injected"


@dataclass
class Identity:
    id: str
    name: str
    org_id: str
    ua_id: str = ""
    client_id: str = ""


@dataclass
class ClientSecret:
    id: str
    identity_id: str
    description: str
    value: str
    revoked: bool = False


@dataclass
class State:
    bootstrapped: bool = False
    admin_token: str = ""
    org: dict[str, str] = field(default_factory=dict)
    projects: dict[str, dict[str, Any]] = field(default_factory=dict)
    identities: dict[str, Identity] = field(default_factory=dict)
    client_secrets: list[ClientSecret] = field(default_factory=list)
    memberships: set[tuple[str, str]] = field(default_factory=set)
    secrets: dict[tuple[str, str, str, str], str] = field(default_factory=dict)
    # (project id, environment slug) -> folder path -> folder document; each environment starts with "/" only
    folders: dict[tuple[str, str], dict[str, dict[str, Any]]] = field(default_factory=dict)


Route = Callable[[Exchange, "re.Match[str]"], tuple[int, Any]]


class FakeInfisical(Double):
    server_name = "infisical"

    def __init__(self, timeline: Timeline | None = None) -> None:
        super().__init__(timeline)
        self.state = State()
        self.faults: list[Fault] = []
        self._ids = itertools.count(1)
        self.issued: list[str] = []  # every token and client secret value handed out (canaries)
        self._routes: list[tuple[str, re.Pattern[str], Route, bool]] = [
            ("POST", re.compile(r"/api/v1/admin/bootstrap"), self._bootstrap, False),
            ("GET", re.compile(r"/api/v1/projects/slug/(?P<slug>[^/]+)"), self._project_by_slug, True),
            ("POST", re.compile(r"/api/v1/projects"), self._create_project, True),
            ("POST", re.compile(r"/api/v1/projects/(?P<pid>[^/]+)/environments"), self._create_env, True),
            ("POST", re.compile(r"/api/v1/projects/(?P<pid>[^/]+)/memberships/identities/(?P<iid>[^/]+)"),
             self._membership, True),
            ("POST", re.compile(r"/api/v1/identities"), self._create_identity, True),
            ("POST", re.compile(r"/api/v1/auth/universal-auth/identities/(?P<iid>[^/]+)"), self._attach_ua, True),
            ("GET", re.compile(r"/api/v1/auth/universal-auth/identities/(?P<iid>[^/]+)"), self._get_ua, True),
            ("POST", re.compile(r"/api/v1/auth/universal-auth/identities/(?P<iid>[^/]+)/client-secrets"),
             self._create_client_secret, True),
            ("GET", re.compile(r"/api/v1/auth/universal-auth/identities/(?P<iid>[^/]+)/client-secrets"),
             self._list_client_secrets, True),
            ("POST", re.compile(r"/api/v1/auth/universal-auth/identities/(?P<iid>[^/]+)/client-secrets/"
                                r"(?P<sid>[^/]+)/revoke"), self._revoke, True),
            ("GET", re.compile(r"/api/v2/folders"), self._list_folders, True),
            ("POST", re.compile(r"/api/v2/folders"), self._create_folder, True),
            ("GET", re.compile(r"/api/v4/secrets/(?P<name>[^/]+)"), self._get_secret, True),
            ("POST", re.compile(r"/api/v4/secrets/(?P<name>[^/]+)"), self._create_secret, True),
            ("PATCH", re.compile(r"/api/v4/secrets/(?P<name>[^/]+)"), self._update_secret, True),
        ]

    # --- plumbing ----------------------------------------------------------------------------------------------
    def _id(self) -> str:
        return str(uuid.UUID(int=0x1000_0000_0000_4000_8000_0000_0000_0000 + next(self._ids)))

    def issue(self, kind: str) -> str:
        value = f"canary-{kind}-{len(self.issued) + 1:04d}-{uuid.uuid5(uuid.NAMESPACE_URL, kind).hex}"
        self.issued.append(value)
        return value

    @staticmethod
    def error(status: int, message: Any, name: str = "") -> tuple[int, Any]:
        return status, {"reqId": "req-test", "statusCode": status, "message": message,
                        "error": name or ERROR_NAMES.get(status, "Error")}

    def fault(self, method: str, path: str, status: int, times: int = 1, message: str = "injected") -> None:
        self.faults.append(Fault(method, path, status, times, message))

    def handle(self, exchange: Exchange) -> tuple[int, Any]:
        for fault in self.faults:
            if fault.times and fault.method == exchange.method and re.fullmatch(fault.path, exchange.path):
                fault.times -= 1
                return self.error(fault.status, fault.message)
        for method, pattern, route, needs_token in self._routes:
            match = pattern.fullmatch(exchange.path)
            if method != exchange.method or match is None:
                continue
            if needs_token and exchange.headers.get("Authorization") != f"Bearer {self.state.admin_token}":
                return self.error(401, "Token missing or invalid")
            return route(exchange, match)
        return self.error(404, f"Route {exchange.method}:{exchange.path} not found")

    # --- admin -------------------------------------------------------------------------------------------------
    def _bootstrap(self, exchange: Exchange, _: re.Match[str]) -> tuple[int, Any]:
        if self.state.bootstrapped:
            return self.error(400, "Instance has already been set up")
        body = exchange.json()
        self.state.bootstrapped = True
        self.state.admin_token = self.issue("admin-token")
        self.state.org = {"id": self._id(), "name": body["organization"],
                          "slug": re.sub(r"[^a-z0-9]+", "-", body["organization"].lower()).strip("-")}
        return 200, {
            "message": "Successfully bootstrapped instance",
            "user": {"username": body["email"], "id": self._id(), "firstName": "Admin", "lastName": "User",
                     "email": body["email"], "superAdmin": True},
            "organization": dict(self.state.org),
            "identity": {"id": self._id(), "name": "Instance Admin Identity",
                         "credentials": {"token": self.state.admin_token}},
        }

    # --- projects ----------------------------------------------------------------------------------------------
    def _project_doc(self, project: dict[str, Any]) -> dict[str, Any]:
        return {"id": project["id"], "_id": project["id"], "name": project["name"], "slug": project["slug"],
                "type": "secret-manager", "orgId": self.state.org["id"], "createdAt": STAMP, "updatedAt": STAMP,
                "environments": [{"name": env["name"], "slug": env["slug"], "id": env["id"]}
                                 for env in project["environments"]]}

    def add_project(self, slug: str, environments: tuple[str, ...] = ()) -> dict[str, Any]:
        project: dict[str, Any] = {"id": self._id(), "name": slug, "slug": slug,
                   "environments": [{"id": self._id(), "name": env, "slug": env} for env in environments]}
        self.state.projects[project["id"]] = project
        for env in project["environments"]:
            self._root_folder(project["id"], env)
        return project

    def _project_by_slug(self, _: Exchange, match: re.Match[str]) -> tuple[int, Any]:
        for project in self.state.projects.values():
            if project["slug"] == match["slug"]:
                return 200, self._project_doc(project)
        return self.error(404, f"Project with slug '{match['slug']}' not found")

    def _create_project(self, exchange: Exchange, _: re.Match[str]) -> tuple[int, Any]:
        body = exchange.json()
        if any(project["slug"] == body.get("slug") for project in self.state.projects.values()):
            return self.error(400, "A project with the provided slug already exists")
        defaults = () if body.get("shouldCreateDefaultEnvs") is False else ("dev", "staging", "prod")
        project = self.add_project(body.get("slug") or body["projectName"], defaults)
        project["name"] = body["projectName"]
        return 200, {"project": self._project_doc(project)}

    def _create_env(self, exchange: Exchange, match: re.Match[str]) -> tuple[int, Any]:
        project = self.state.projects.get(match["pid"])
        if project is None:
            return self.error(404, f"Project with ID '{match['pid']}' not found")
        body = exchange.json()
        if any(env["slug"] == body["slug"] for env in project["environments"]):
            return self.error(400, "Environment with slug already exists")
        env = {"id": self._id(), "name": body["name"], "slug": body["slug"]}
        project["environments"].append(env)
        self._root_folder(project["id"], env)
        return 200, {"message": "Successfully created new environment", "projectId": project["id"],
                     "environment": {**env, "position": len(project["environments"]), "projectId": project["id"],
                                     "createdAt": STAMP, "updatedAt": STAMP}}

    def _membership(self, _: Exchange, match: re.Match[str]) -> tuple[int, Any]:
        if match["pid"] not in self.state.projects:
            return self.error(404, f"Project with ID '{match['pid']}' not found")
        if match["iid"] not in self.state.identities:
            return self.error(400, f"Failed to find identity with id {match['iid']}")
        key = (match["pid"], match["iid"])
        if key in self.state.memberships:
            return self.error(400, f"Identity with id {match['iid']} already exists in project with id "
                                   f"{match['pid']}")
        self.state.memberships.add(key)
        return 200, {"identityMembership": {"id": self._id(), "projectId": match["pid"], "identityId": match["iid"],
                                            "createdAt": STAMP, "updatedAt": STAMP}}

    # --- identities and universal auth -------------------------------------------------------------------------
    def _create_identity(self, exchange: Exchange, _: re.Match[str]) -> tuple[int, Any]:
        body = exchange.json()
        if body["organizationId"] != self.state.org.get("id"):
            return self.error(404, f"Organization with ID '{body['organizationId']}' not found")
        identity = Identity(self._id(), body["name"], body["organizationId"])
        self.state.identities[identity.id] = identity
        return 200, {"identity": {"id": identity.id, "name": identity.name, "createdAt": STAMP, "updatedAt": STAMP,
                                  "orgId": identity.org_id, "authMethods": [], "metadata": []}}

    def _ua_doc(self, identity: Identity) -> dict[str, Any]:
        return {"identityUniversalAuth": {
            "id": identity.ua_id, "clientId": identity.client_id, "createdAt": STAMP, "updatedAt": STAMP,
            "identityId": identity.id, "accessTokenTTL": 2592000, "accessTokenMaxTTL": 2592000,
            "accessTokenNumUsesLimit": 0, "clientSecretTrustedIps": [{"ipAddress": "0.0.0.0/0"}],
            "accessTokenTrustedIps": [{"ipAddress": "0.0.0.0/0"}]}}

    def _attach_ua(self, _: Exchange, match: re.Match[str]) -> tuple[int, Any]:
        identity = self.state.identities.get(match["iid"])
        if identity is None:
            return self.error(404, f"Identity with ID '{match['iid']}' not found")
        if identity.ua_id:
            return self.error(400, "Failed to add universal auth to already configured identity")
        identity.ua_id, identity.client_id = self._id(), self._id()
        return 200, self._ua_doc(identity)

    def _get_ua(self, _: Exchange, match: re.Match[str]) -> tuple[int, Any]:
        identity = self.state.identities.get(match["iid"])
        if identity is None or not identity.ua_id:
            return self.error(404, "Universal auth for identity not found")
        return 200, self._ua_doc(identity)

    def _secret_doc(self, secret: ClientSecret) -> dict[str, Any]:
        identity = self.state.identities[secret.identity_id]
        return {"id": secret.id, "createdAt": STAMP, "updatedAt": STAMP, "description": secret.description,
                "clientSecretPrefix": secret.value[:4], "clientSecretNumUses": 0, "clientSecretNumUsesLimit": 0,
                "clientSecretTTL": 0, "identityUAId": identity.ua_id, "isClientSecretRevoked": secret.revoked}

    def _create_client_secret(self, exchange: Exchange, match: re.Match[str]) -> tuple[int, Any]:
        identity = self.state.identities.get(match["iid"])
        if identity is None or not identity.ua_id:
            return self.error(404, "Universal auth for identity not found")
        body = exchange.json() or {}
        secret = ClientSecret(self._id(), identity.id, body.get("description", ""), self.issue("client-secret"))
        self.state.client_secrets.append(secret)
        return 200, {"clientSecret": secret.value, "clientSecretData": self._secret_doc(secret)}

    def _list_client_secrets(self, _: Exchange, match: re.Match[str]) -> tuple[int, Any]:
        if match["iid"] not in self.state.identities:
            return self.error(404, "Identity not found")
        return 200, {"clientSecretData": [self._secret_doc(secret) for secret in self.state.client_secrets
                                          if secret.identity_id == match["iid"]]}

    def _revoke(self, _: Exchange, match: re.Match[str]) -> tuple[int, Any]:
        for secret in self.state.client_secrets:
            if secret.id == match["sid"] and secret.identity_id == match["iid"]:
                secret.revoked = True
                return 200, {"clientSecretData": self._secret_doc(secret)}
        return self.error(404, "Client secret not found")

    def active_client_secrets(self) -> list[str]:
        return [secret.value for secret in self.state.client_secrets if not secret.revoked]

    # --- folders (v2) ------------------------------------------------------------------------------------------
    def _root_folder(self, project_id: str, env: dict[str, Any]) -> None:
        root = {"id": self._id(), "name": "root", "version": 1, "createdAt": STAMP, "updatedAt": STAMP,
                "envId": env["id"], "parentId": None, "isReserved": False, "description": None,
                "lastSecretModified": None}
        self.state.folders[(project_id, env["slug"])] = {"/": root}

    def add_folder(self, project_id: str, environment: str, path: str) -> None:
        """A folder made outside the provisioner (a person in the UI), with every parent of it."""
        tree = self.state.folders[(project_id, environment)]
        segments = [segment for segment in path.split("/") if segment]
        for depth, name in enumerate(segments, start=1):
            parent, here = "/" + "/".join(segments[:depth - 1]), "/" + "/".join(segments[:depth])
            if here not in tree:
                tree[here] = {**tree["/"], "id": self._id(), "name": name, "parentId": tree[parent]["id"]}

    def folder_exists(self, project_id: str, environment: str, path: str) -> bool:
        return path in self.state.folders.get((project_id, environment), {})

    def _environment_folders(self, where: dict[str, Any]) -> dict[str, dict[str, Any]] | tuple[int, Any]:
        project_id, environment = str(where.get("projectId", "")), str(where.get("environment", ""))
        if project_id not in self.state.projects:
            return self.error(404, f"Project with ID '{project_id}' not found")
        tree = self.state.folders.get((project_id, environment))
        if tree is None:
            return self.error(404, f"Environment with slug '{environment}' in project with ID '{project_id}' "
                                   "not found")
        return tree

    @staticmethod
    def _folder_path(value: Any) -> str:
        """The route's path transform: trimmed, a leading slash added, a trailing one removed."""
        text = str(value if value is not None else "/").strip()
        text = text if text.startswith("/") else "/" + text
        return text.rstrip("/") or "/"

    def _list_folders(self, exchange: Exchange, _: re.Match[str]) -> tuple[int, Any]:
        tree = self._environment_folders(exchange.query)
        if isinstance(tree, tuple):
            return tree
        parent = tree.get(self._folder_path(exchange.query.get("path")))
        if parent is None:
            return 200, {"folders": []}  # getFolders: `if (!parentFolder) return []`
        return 200, {"folders": [doc for doc in tree.values() if doc["parentId"] == parent["id"]]}

    def _create_folder(self, exchange: Exchange, _: re.Match[str]) -> tuple[int, Any]:
        body = exchange.json()
        name = str(body.get("name", "")).strip()
        if not re.fullmatch(r"[a-zA-Z0-9_-]+", name):
            return self.error(422, [{"code": "custom", "path": ["name"], "message": (
                "Invalid folder name. Only alphanumeric characters, dashes, and underscores are allowed.")}],
                "ValidationFailure")
        tree = self._environment_folders(body)
        if isinstance(tree, tuple):
            return tree
        path = self._folder_path(body.get("path")).rstrip("/") + "/" + name
        # createFolder: below the closest existing folder, every missing segment and then the folder itself; an
        # existing folder of that name is returned as it is.
        self.add_folder(str(body["projectId"]), str(body["environment"]), path)
        return 200, {"folder": {**tree[path], "path": path}}

    # --- secrets (v4) ------------------------------------------------------------------------------------------
    def _missing_folder(self, key: tuple[str, str, str, str], operation: str) -> tuple[int, Any] | None:
        if self.folder_exists(key[0], key[1], key[2]):
            return None
        return self.error(404, f"Folder with path '{key[2]}' in environment with slug '{key[1]}' not found", operation)

    def _secret_key(self, where: dict[str, Any], name: str) -> tuple[str, str, str, str]:
        return (str(where["projectId"]), str(where["environment"]), str(where.get("secretPath", "/")), name)

    def _secret_raw(self, key: tuple[str, str, str, str], value: str) -> dict[str, Any]:
        return {"id": "s-" + key[3], "_id": "s-" + key[3], "workspace": key[0], "environment": key[1],
                "version": 1, "type": "shared", "secretKey": key[3], "secretValue": value, "secretComment": "",
                "createdAt": STAMP, "updatedAt": STAMP}

    def _get_secret(self, exchange: Exchange, match: re.Match[str]) -> tuple[int, Any]:
        key = self._secret_key(exchange.query, match["name"])
        if (missing := self._missing_folder(key, "GetSecretByName")) is not None:
            return missing
        if key not in self.state.secrets:
            return self.error(404, f"Secret with name '{match['name']}' not found")
        hidden = exchange.query.get("viewSecretValue") == "false"
        value = "<hidden-by-infisical>" if hidden else self.state.secrets[key]
        return 200, {"secret": {**self._secret_raw(key, value), "secretValueHidden": hidden, "secretPath": key[2]}}

    def _create_secret(self, exchange: Exchange, match: re.Match[str]) -> tuple[int, Any]:
        body = exchange.json()
        key = self._secret_key(body, match["name"])
        if (missing := self._missing_folder(key, "CreateSecret")) is not None:
            return missing
        if key in self.state.secrets:
            return self.error(400, "Secret already exists")
        self.state.secrets[key] = body["secretValue"]
        return 200, {"secret": self._secret_raw(key, body["secretValue"])}

    def _update_secret(self, exchange: Exchange, match: re.Match[str]) -> tuple[int, Any]:
        body = exchange.json()
        key = self._secret_key(body, match["name"])
        if (missing := self._missing_folder(key, "UpdateSecret")) is not None:
            return missing
        if key not in self.state.secrets:
            return self.error(404, f"Secret with name {match['name']} not found")
        self.state.secrets[key] = body["secretValue"]
        return 200, {"secret": {**self._secret_raw(key, body["secretValue"]), "secretValueHidden": False}}


def dump(document: Any) -> bytes:
    return json.dumps(document).encode()
