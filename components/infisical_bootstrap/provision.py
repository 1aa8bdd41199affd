"""The idempotent provisioning flow the Job runs (stdlib only).

First run: bootstrap the instance (admin user, organization, instance-admin identity) and keep the admin
identity's token in the state Secret; then, each looked up before it is created: the project (by slug) and
its environment, a machine identity with universal auth, its project membership, and a client secret, which
is written to the credentials Secret the sync operators read; then the folders the catalog's apps live in
(a fresh environment has only `/`), and last the generated app secrets inside them.

Re-runs change nothing: what the API cannot look up by name (the identity, the membership, the client
secret) is found again through the IDs recorded in the state Secret. Rotation is a counter bump: when
`generation` differs from the one recorded with the stored credentials, a new client secret is created and
written first, and only then are the older ones this flow created revoked, so a consumer never holds a
revoked secret while a valid one exists only in Infisical.

Every value is recorded the moment it exists, so a run that fails half-way loses nothing: the next run
resumes from the state Secret.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from . import api
from .kube import KubeClient, SecretRef
from .logs import Log

SETTINGS_ENV = "INFISICAL_BOOTSTRAP_SETTINGS"
ADMIN_PASSWORD_ENV = "INFISICAL_ADMIN_PASSWORD"
SEED_DIR_ENV = "INFISICAL_BOOTSTRAP_SEED_DIR"  # the mounted Secret whose files are the seeds' values

# Keys of the state Secret (one place: the manifests' record of owned Secrets reads them from here).
STATE_ADMIN_TOKEN = "adminToken"
STATE_ORGANIZATION_ID = "organizationId"
STATE_PROJECT_ID = "projectId"
STATE_IDENTITY_ID = "identityId"
STATE_MEMBERSHIP = "membership"  # "<projectId>/<identityId>" of the membership this flow added
STATE_CLIENT_SECRET_ID = "clientSecretId"
STATE_GENERATION = "generation"  # the rotation generation of the client secret in the credentials Secret
STATE_KEYS = (STATE_ADMIN_TOKEN, STATE_ORGANIZATION_ID, STATE_PROJECT_ID, STATE_IDENTITY_ID, STATE_MEMBERSHIP,
              STATE_CLIENT_SECRET_ID, STATE_GENERATION)

CLIENT_SECRET_DESCRIPTION = "homelab-secrets infisical-bootstrap"  # marks the client secrets this flow created


class ProvisionError(Exception):
    """A state the flow cannot resolve by itself; the message names the object and the fix."""


# How an error tells the operator to run the Job again (it resumes from its state Secret).
RERUN = "run the Job again (docs/runbook.md: Running the provisioner Job again)"

@dataclass(frozen=True)
class Settings:
    """Everything the Job is told (none of it secret); rendered to JSON by the manifests, read back here."""

    api_url: str  # http://<service>.<namespace>.svc.cluster.local:<port>/api
    organization: str
    admin_email: str
    project_slug: str
    environment_slug: str
    state: SecretRef
    credentials: SecretRef
    client_id_key: str = "clientId"
    client_secret_key: str = "clientSecret"
    project_name: str = ""  # defaults to the slug
    environment_name: str = ""  # defaults to the slug
    identity_name: str = "homelab-secrets-sync"
    project_role: str = "viewer"  # the sync operators only read secrets
    generation: int = 0
    seeds: tuple[Seed, ...] = field(default=())
    folders: tuple[str, ...] = field(default=())  # folder_chain() of the catalog's app paths, parents first

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Settings:
        raw: dict[str, Any] = json.loads(text)
        raw["state"] = SecretRef(**raw["state"])
        raw["credentials"] = SecretRef(**raw["credentials"])
        raw["seeds"] = tuple(Seed(**seed) for seed in raw.get("seeds", ()))
        raw["folders"] = tuple(str(folder) for folder in raw.get("folders", ()))
        return cls(**raw)


@dataclass(frozen=True)
class Seed:
    """A generated app secret to write into Infisical at an app's path (issue: generated app secrets).

    The value is read from the mounted seed directory (`<seed_dir>/<file>`); it is created when missing and
    overwritten only when `generation` differs from the one recorded at the last write.
    """

    path: str  # the app's secret path in Infisical, e.g. /grafana
    name: str  # the secret's key, e.g. GRAFANA_ADMIN_PASSWORD
    file: str  # the key of the mounted Secret holding the value
    generation: int = 0

    @property
    def state_key(self) -> str:
        """Where the generation of the last write is recorded in the state Secret (a valid Secret key), one per
        (path, name): `seed.root.<name>` at `/`, else `seed.<number of folders>.<folder>...<name>`. A folder name
        holds no dot, so the count says where the path ends even when the name holds dots, and `/root` is
        `seed.1.root.<name>`, not the root's key."""
        segments = [segment for segment in self.path.split("/") if segment]
        if not segments:
            return f"seed.root.{self.name}"
        return ".".join(("seed", str(len(segments)), *segments, self.name))


def folder_chain(paths: Iterable[str]) -> tuple[str, ...]:
    """Every folder the paths need, each parent before its children, never `/` (an environment's root folder
    exists from the start): ("/n8n", "/a/b") -> ("/a", "/n8n", "/a/b")."""
    needed: set[str] = set()
    for path in paths:
        segments = [segment for segment in path.split("/") if segment]
        needed.update("/" + "/".join(segments[:depth]) for depth in range(1, len(segments) + 1))
    return tuple(sorted(needed, key=lambda folder: (folder.count("/"), folder)))


@dataclass
class Outcome:
    changes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return "nothing to change" if not self.changes else "changed: " + ", ".join(self.changes)


class _State:
    """The state Secret: read once, each new value patched in the moment it is known."""

    def __init__(self, kube: KubeClient, ref: SecretRef, log: Log) -> None:
        self._kube = kube
        self.ref = ref
        self.values = kube.read_secret(ref)
        if STATE_ADMIN_TOKEN in self.values:
            log.secret(self.values[STATE_ADMIN_TOKEN])

    def get(self, key: str) -> str:
        return self.values.get(key, "")

    def record(self, **values: str) -> None:
        changed = {key: value for key, value in values.items() if self.values.get(key) != value}
        if changed:
            self._kube.patch_secret(self.ref, changed)
            self.values.update(changed)


def provision(settings: Settings, kube: KubeClient, client: api.InfisicalClient, log: Log,
              admin_password: Callable[[], str], read_seed: Callable[[str], str] | None = None) -> Outcome:
    outcome = Outcome()
    state = _State(kube, settings.state, log)
    token = state.get(STATE_ADMIN_TOKEN)
    if not token:
        token = _bootstrap(settings, client, state, log, admin_password)
        outcome.changes.append("instance bootstrapped")
    admin = client.with_token(token)
    try:
        project = _project(settings, admin, state, outcome)
        _environment(settings, admin, project, outcome)
        identity_id, client_id = _identity(settings, admin, state, outcome)
        _membership(settings, admin, state, project, identity_id, outcome)
        _client_secret(settings, admin, kube, state, log, identity_id, client_id, outcome)
        created_folders = _folders(settings, admin, project, outcome)
        if settings.seeds:
            if read_seed is None:
                raise ProvisionError("seeds are configured but no seed directory is mounted")
            _seed(settings, admin, state, log, project, read_seed, created_folders, outcome)
    except (api.Unauthorized, api.Forbidden) as error:
        raise ProvisionError(
            f"Infisical rejected the instance-admin token kept in Secret {settings.state} key {STATE_ADMIN_TOKEN} "
            f"({error}). It is issued once, at bootstrap: put a valid instance-admin identity token into that key "
            f"(kubectl -n {settings.state.namespace} edit secret {settings.state.name}) and {RERUN}"
        ) from error
    return outcome


def _bootstrap(settings: Settings, client: api.InfisicalClient, state: _State, log: Log,
               admin_password: Callable[[], str]) -> str:
    password = log.secret(admin_password())
    if not password:
        raise ProvisionError(f"the admin password is empty: set {ADMIN_PASSWORD_ENV} from its Secret")
    try:
        result = client.bootstrap(settings.admin_email, password, settings.organization)
    except api.BadRequest as error:
        if not error.already_exists:
            raise
        raise ProvisionError(
            f"Infisical is already bootstrapped ({error.message}) but Secret {state.ref} has no "
            f"{STATE_ADMIN_TOKEN}: the instance was set up outside this Job. Put an instance-admin identity token "
            f"into key {STATE_ADMIN_TOKEN} of that Secret (kubectl -n {state.ref.namespace} edit secret "
            f"{state.ref.name}) and {RERUN}") from error
    log.secret(result.token)
    state.record(**{STATE_ADMIN_TOKEN: result.token, STATE_ORGANIZATION_ID: result.organization_id})
    log(f"bootstrapped Infisical: organization {settings.organization!r} ({result.organization_slug}), "
        f"admin {settings.admin_email}")
    return result.token


def _project(settings: Settings, admin: api.InfisicalClient, state: _State, outcome: Outcome) -> api.Project:
    project = admin.project_by_slug(settings.project_slug)
    if project is None:
        try:
            project = admin.create_project(settings.project_name or settings.project_slug, settings.project_slug)
            outcome.changes.append(f"project {settings.project_slug}")
        except api.BadRequest as error:
            # Created by a concurrent run between the lookup and the create: use it.
            found = admin.project_by_slug(settings.project_slug) if error.already_exists else None
            if found is None:
                raise
            project = found
    state.record(**{STATE_PROJECT_ID: project.id})
    return project


def _environment(settings: Settings, admin: api.InfisicalClient, project: api.Project, outcome: Outcome) -> None:
    if settings.environment_slug in project.environments:
        return
    try:
        admin.create_environment(project.id, settings.environment_name or settings.environment_slug,
                                 settings.environment_slug)
        outcome.changes.append(f"environment {settings.environment_slug}")
    except api.BadRequest as error:
        if not error.already_exists:
            raise


def _identity(settings: Settings, admin: api.InfisicalClient, state: _State, outcome: Outcome) -> tuple[str, str]:
    """The machine identity and its universal-auth client id. Identities have no lookup by name: the ID
    recorded in the state Secret finds it again; a recorded identity that is gone is created anew."""
    identity_id = state.get(STATE_IDENTITY_ID)
    if identity_id:
        client_id = admin.universal_auth_client_id(identity_id)
        if client_id is not None:
            return identity_id, client_id
        try:  # the identity exists but universal auth was never attached (a run stopped in between)
            client_id = admin.attach_universal_auth(identity_id)
            outcome.changes.append("universal auth")
            return identity_id, client_id
        except api.NotFound:
            pass  # the identity itself is gone: create a new one below
    organization_id = state.get(STATE_ORGANIZATION_ID)
    if not organization_id:
        raise ProvisionError(f"Secret {state.ref} has no {STATE_ORGANIZATION_ID}: put the organization's ID there "
                             f"(it is recorded at bootstrap) and {RERUN}")
    identity_id = admin.create_identity(settings.identity_name, organization_id)
    state.record(**{STATE_IDENTITY_ID: identity_id})
    client_id = admin.attach_universal_auth(identity_id)
    outcome.changes.append(f"machine identity {settings.identity_name}")
    return identity_id, client_id


def _membership(settings: Settings, admin: api.InfisicalClient, state: _State, project: api.Project,
                identity_id: str, outcome: Outcome) -> None:
    membership = f"{project.id}/{identity_id}"
    if state.get(STATE_MEMBERSHIP) == membership:
        return
    if admin.add_project_membership(project.id, identity_id, settings.project_role):
        outcome.changes.append(f"membership ({settings.project_role})")
    state.record(**{STATE_MEMBERSHIP: membership})


def _client_secret(settings: Settings, admin: api.InfisicalClient, kube: KubeClient, state: _State, log: Log,
                   identity_id: str, client_id: str, outcome: Outcome) -> None:
    credentials = kube.read_secret(settings.credentials)
    stored_secret = credentials.get(settings.client_secret_key, "")
    if stored_secret:
        log.secret(stored_secret)
    listed = admin.client_secrets(identity_id)
    active = {item.id for item in listed if not item.revoked}
    current = state.get(STATE_CLIENT_SECRET_ID)
    generation = str(settings.generation)
    keep = current
    if not (stored_secret and credentials.get(settings.client_id_key) == client_id and current in active
            and state.get(STATE_GENERATION) == generation):
        issued = admin.create_client_secret(identity_id, f"{CLIENT_SECRET_DESCRIPTION} generation {generation}")
        log.secret(issued.value)
        # The consumers' Secret first, the record second: a run that stops in between leaves a working
        # secret in place, and the next run issues and writes another one, then revokes this one.
        kube.patch_secret(settings.credentials, {settings.client_id_key: client_id,
                                                 settings.client_secret_key: issued.value})
        state.record(**{STATE_CLIENT_SECRET_ID: issued.id, STATE_GENERATION: generation})
        outcome.changes.append(f"client secret (generation {generation})")
        keep = issued.id
    # Only after the new secret is written: revoke the older ones this flow created (never a foreign one).
    for item in listed:
        if item.id != keep and not item.revoked and item.description.startswith(CLIENT_SECRET_DESCRIPTION):
            admin.revoke_client_secret(identity_id, item.id)
            outcome.changes.append("revoked an older client secret")


def _folders(settings: Settings, admin: api.InfisicalClient, project: api.Project, outcome: Outcome) -> set[str]:
    """Creates each folder the catalog's apps read and the seeds write into that is missing, parents first, and
    returns the folders it created.

    Read before writing rather than recorded in the state Secret: one listing per parent, so a re-run makes no
    write call, a folder a person made is found as it is, and one deleted since the last run is made again."""
    environment = settings.environment_slug
    listed: dict[str, frozenset[str]] = {}
    created: set[str] = set()
    for folder in folder_chain((*settings.folders, *(seed.path for seed in settings.seeds))):
        parent, _, name = folder.rpartition("/")
        parent = parent or "/"
        if parent not in listed:
            listed[parent] = admin.folder_names(project.id, environment, parent)
        if name in listed[parent]:
            continue
        try:
            admin.create_folder(project.id, environment, parent, name)
        except (api.Unauthorized, api.Forbidden):
            raise
        except api.ApiError as error:
            # A 422 is the route's name rule (the config model applies the same rule before the Job runs).
            hint = (" A folder name holds letters, digits, - and _ only: correct the path of the homelab-secrets:apps "
                    f"entry that names it, then {RERUN}." if error.status == 422 else "")
            raise ProvisionError(f"folder {folder} in environment {environment}: Infisical refused to create it "
                                 f"({error}).{hint}") from error
        created.add(folder)
        outcome.changes.append(f"folder {folder}")
    return created


def _seed(settings: Settings, admin: api.InfisicalClient, state: _State, log: Log, project: api.Project,
          read_seed: Callable[[str], str], created_folders: set[str], outcome: Outcome) -> None:
    for seed in settings.seeds:
        generation = str(seed.generation)
        # A folder made in this run holds nothing: what was recorded went with the folder, so it is written again.
        recorded = None if seed.path in created_folders else state.get(seed.state_key)
        if recorded == generation:
            continue
        value = log.secret(read_seed(seed.file))
        where = f"{seed.path} {seed.name}"
        try:
            created = admin.create_secret(project.id, settings.environment_slug, seed.path, seed.name, value)
        except api.NotFound as error:
            # The folder step made it moments ago: it was deleted in between (or a concurrent run moved it).
            raise ProvisionError(f"secret {where}: {error.message or 'not found'}; the folder {seed.path} must exist "
                                 f"in environment {settings.environment_slug}: it was removed while the Job ran, "
                                 f"{RERUN}: it creates the catalog's folders") from error
        if created:
            outcome.changes.append(f"secret {where}")
        elif recorded:
            # It exists and was written by this flow at another generation: a rotation, so overwrite it.
            admin.update_secret(project.id, settings.environment_slug, seed.path, seed.name, value)
            outcome.changes.append(f"secret {where} (generation {generation})")
        else:
            # It exists but this flow never wrote it (set by a person or a migration): keep that value.
            log(f"secret {where} exists already: kept as it is")
        state.record(**{seed.state_key: generation})
