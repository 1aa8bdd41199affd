"""The Kubernetes objects of the Infisical provisioner, as plain dicts. Pure: parameters in, manifests out.

`provisioner_objects(params)` is the one entry point the cluster component wires: a ServiceAccount, a Role
and RoleBinding per namespace it touches (get/patch on named Secrets only), an immutable ConfigMap with the
runtime sources and the Job. `owned_secrets(params)` is the record of the Secrets the Job fills: the program
creates them empty, before the Job, and must never write their data itself (see `IGNORE_CHANGES`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .kube import SecretRef
from .provision import ADMIN_PASSWORD_ENV, SEED_DIR_ENV, SETTINGS_ENV, STATE_ADMIN_TOKEN, STATE_KEYS, Seed, Settings

# The Job's interpreter: the same minor version the project runs and tests on (Python 3.11), newest patch of
# the Docker official image's slim Debian variant as listed in docker-library/official-images
# `library/python` (3.11.14-slim-trixie). Bump it together with the project's Python.
PYTHON_IMAGE = "docker.io/library/python:3.11.14-slim-trixie"  # renovate: docker
NAME = "infisical-bootstrap"
SOURCE_DIR = Path(__file__).parent
MOUNT_DIR = "/opt"  # the package is mounted at /opt/infisical_bootstrap; `python -m` finds it from here
PACKAGE = "infisical_bootstrap"
SEED_MOUNT = "/run/infisical-bootstrap-seeds"
NOBODY = 65534
# The modules the Job runs, shipped in the ConfigMap; every one of them imports the standard library only.
RUNTIME_MODULES = ("__init__.py", "__main__.py", "api.py", "kube.py", "logs.py", "provision.py", "transport.py")
# What the Pulumi side sets on the Secrets the Job fills, so it never fights the Job over their data.
IGNORE_CHANGES = ("data", "stringData")
# The credentials Secret the sync operators read (ESO's ClusterSecretStore, the Infisical operator's auth).
MACHINE_IDENTITY_SECRET = SecretRef("external-secrets", "infisical-machine-identity")
BACKOFF_LIMIT = 3
# Above the retry budget of a run's calls for a homelab catalog. Infisical rate-limits folder and secret writes
# (secretsLimit in its rate-limit config, 60 a minute in the versions read): a first run writes one folder per
# catalog folder and one secret per generated key, so some 800 of those would outlast this deadline.
ACTIVE_DEADLINE_SECONDS = 900


@dataclass(frozen=True)
class InfisicalService:
    """The Infisical chart's Service: the Job reaches the API through it, never through the public host."""

    name: str
    namespace: str
    port: int = 8080

    @property
    def api_url(self) -> str:
        return f"http://{self.name}.{self.namespace}.svc.cluster.local:{self.port}/api"


@dataclass(frozen=True)
class SecretKey:
    """A key of a Secret in the Job's own namespace (a secretKeyRef cannot cross namespaces)."""

    name: str
    key: str


@dataclass(frozen=True)
class BootstrapParams:
    service: InfisicalService
    organization: str
    admin_email: str
    admin_password: SecretKey
    project_slug: str
    environment_slug: str
    namespace: str = "infisical"  # where the Job, its ServiceAccount and the state Secret live
    state_secret: str = "infisical-bootstrap-state"
    credentials: SecretRef = MACHINE_IDENTITY_SECRET
    client_id_key: str = "clientId"
    client_secret_key: str = "clientSecret"
    generation: int = 0  # bump to rotate the machine identity's client secret
    project_role: str = "viewer"
    image: str = PYTHON_IMAGE
    seeds: tuple[Seed, ...] = field(default=())
    seed_secret: str = ""  # a Secret in `namespace` whose keys are the seeds' files, mounted read-only
    folders: tuple[str, ...] = field(default=())  # Infisical folders the Job ensures, parents first

    @property
    def state(self) -> SecretRef:
        return SecretRef(self.namespace, self.state_secret)

    def settings(self) -> Settings:
        return Settings(
            api_url=self.service.api_url, organization=self.organization, admin_email=self.admin_email,
            project_slug=self.project_slug, environment_slug=self.environment_slug, state=self.state,
            credentials=self.credentials, client_id_key=self.client_id_key,
            client_secret_key=self.client_secret_key, project_role=self.project_role,
            generation=self.generation, seeds=self.seeds, folders=self.folders)


@dataclass(frozen=True)
class OwnedSecret:
    """A Secret the Job fills. The program creates it empty (so the Role can name it), with
    `ignore_changes=IGNORE_CHANGES`, and keeps it on delete: it holds what cannot be issued twice."""

    ref: SecretRef
    keys: tuple[str, ...]
    purpose: str
    retain_on_delete: bool = True

    def manifest(self) -> dict[str, Any]:
        return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                "metadata": {"name": self.ref.name, "namespace": self.ref.namespace, "labels": labels()}}


def labels() -> dict[str, str]:
    return {"app.kubernetes.io/name": NAME, "app.kubernetes.io/part-of": "homelab-secrets",
            "app.kubernetes.io/managed-by": "pulumi"}


def owned_secrets(params: BootstrapParams) -> tuple[OwnedSecret, ...]:
    seed_keys = tuple(seed.state_key for seed in params.seeds)
    return (
        OwnedSecret(params.state, STATE_KEYS + seed_keys,
                    f"provisioning state; {STATE_ADMIN_TOKEN} is the instance-admin token, issued once at bootstrap"),
        OwnedSecret(params.credentials, (params.client_id_key, params.client_secret_key),
                    "machine identity credentials read by ESO and the Infisical operator"),
    )


def runtime_sources() -> dict[str, str]:
    return {module: (SOURCE_DIR / module).read_text() for module in RUNTIME_MODULES}


def _digest(params: BootstrapParams, sources: dict[str, str]) -> str:
    """Changes exactly when something the Job acts on changes: then, and only then, it runs again."""
    document = {"settings": params.settings().to_json(), "image": params.image, "sources": sources,
                "password": [params.admin_password.name, params.admin_password.key], "seedSecret": params.seed_secret}
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()[:10]


def service_account(params: BootstrapParams) -> dict[str, Any]:
    # No token for pods by default; the Job's pod asks for it explicitly (it patches Secrets).
    return {"apiVersion": "v1", "kind": "ServiceAccount", "automountServiceAccountToken": False,
            "metadata": {"name": NAME, "namespace": params.namespace, "labels": labels()}}


def rbac(params: BootstrapParams) -> list[dict[str, Any]]:
    """Per namespace a Role with `get` and `patch` on exactly the Secrets the Job owns there, bound to the
    Job's ServiceAccount (cross-namespace where the credentials Secret lives elsewhere). No list, no watch,
    no create, no ClusterRole."""
    by_namespace: dict[str, list[str]] = {}
    for owned in owned_secrets(params):
        by_namespace.setdefault(owned.ref.namespace, []).append(owned.ref.name)
    objects: list[dict[str, Any]] = []
    for namespace, names in sorted(by_namespace.items()):
        metadata = {"name": NAME, "namespace": namespace, "labels": labels()}
        objects.append({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": metadata,
                        "rules": [{"apiGroups": [""], "resources": ["secrets"], "resourceNames": sorted(names),
                                   "verbs": ["get", "patch"]}]})
        objects.append({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": metadata,
                        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": NAME},
                        "subjects": [{"kind": "ServiceAccount", "name": NAME, "namespace": params.namespace}]})
    return objects


def sources_config_map(params: BootstrapParams, sources: dict[str, str]) -> dict[str, Any]:
    digest = hashlib.sha256(json.dumps(sources, sort_keys=True).encode()).hexdigest()[:10]
    return {"apiVersion": "v1", "kind": "ConfigMap", "immutable": True,
            "metadata": {"name": f"{NAME}-src-{digest}", "namespace": params.namespace, "labels": labels()},
            "data": dict(sorted(sources.items()))}


def _container_security() -> dict[str, Any]:
    return {"runAsNonRoot": True, "runAsUser": NOBODY, "runAsGroup": NOBODY, "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True, "privileged": False, "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"}}


def job(params: BootstrapParams, config_map: str, sources: dict[str, str]) -> dict[str, Any]:
    env: list[dict[str, Any]] = [
        {"name": SETTINGS_ENV, "value": params.settings().to_json()},
        {"name": ADMIN_PASSWORD_ENV, "valueFrom": {"secretKeyRef": {
            "name": params.admin_password.name, "key": params.admin_password.key}}},
        {"name": "PYTHONDONTWRITEBYTECODE", "value": "1"},  # the root filesystem is read-only
        {"name": "PYTHONUNBUFFERED", "value": "1"},
    ]
    mounts: list[dict[str, Any]] = [{"name": "sources", "mountPath": f"{MOUNT_DIR}/{PACKAGE}", "readOnly": True}]
    volumes: list[dict[str, Any]] = [{"name": "sources", "configMap": {"name": config_map, "defaultMode": 0o444}}]
    if params.seeds:
        env.append({"name": SEED_DIR_ENV, "value": SEED_MOUNT})
        mounts.append({"name": "seeds", "mountPath": SEED_MOUNT, "readOnly": True})
        volumes.append({"name": "seeds", "secret": {"secretName": params.seed_secret, "defaultMode": 0o400}})
    pod_labels = {**labels(), "app.kubernetes.io/component": "provisioner"}
    return {
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": f"{NAME}-{_digest(params, sources)}", "namespace": params.namespace,
                     "labels": pod_labels},
        "spec": {
            "backoffLimit": BACKOFF_LIMIT,
            "activeDeadlineSeconds": ACTIVE_DEADLINE_SECONDS,
            "template": {
                "metadata": {"labels": pod_labels},
                "spec": {
                    "serviceAccountName": NAME,
                    "automountServiceAccountToken": True,
                    "enableServiceLinks": False,
                    "restartPolicy": "Never",
                    "securityContext": {"runAsNonRoot": True, "runAsUser": NOBODY, "runAsGroup": NOBODY,
                                        "fsGroup": NOBODY, "seccompProfile": {"type": "RuntimeDefault"}},
                    "containers": [{
                        "name": "provision",
                        "image": params.image,
                        "imagePullPolicy": "IfNotPresent",
                        "command": ["python", "-m", PACKAGE],
                        "workingDir": MOUNT_DIR,
                        "env": env,
                        "volumeMounts": mounts,
                        "securityContext": _container_security(),
                        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
                    }],
                    "volumes": volumes,
                },
            },
        },
    }


def provisioner_objects(params: BootstrapParams) -> list[dict[str, Any]]:
    """Everything the cluster component registers for the provisioner, in apply order. The Secrets of
    `owned_secrets(params)` and the admin password's Secret are created by the program, not here."""
    if params.seeds and not params.seed_secret:
        raise ValueError("seeds are set but seed_secret names no Secret to read their values from")
    sources = runtime_sources()
    config_map = sources_config_map(params, sources)
    return [service_account(params), *rbac(params), config_map,
            job(params, config_map["metadata"]["name"], sources)]
