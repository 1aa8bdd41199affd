"""Kubernetes objects of the cluster side, as plain dicts. Pure: settings in, manifests out.

The runtime-sync custom resources (ClusterSecretStore, ExternalSecret, InfisicalSecret), the metadata of
the bootstrap Secrets and the Helm values blob Argo CD hands to the Infisical chart in GitOps mode.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from components.cluster import constants as c
from components.cluster.values import infisical_api_url
from components.settings import AppEntry

_DURATION_PART = re.compile(r"([0-9]+)(h|m|s)")
_SECONDS = {"h": 3600, "m": 60, "s": 1}
INFISICAL_MIN_RESYNC_SECONDS = 5


def bootstrap_metadata(
    name: str, namespace: str, extra_labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Every bootstrap Secret: found by its label, never pruned by Argo CD."""
    labels = {c.BOOTSTRAP_LABEL: "true", **(extra_labels or {})}
    return {
        "name": name,
        "namespace": namespace,
        "labels": dict(sorted(labels.items())),
        "annotations": {c.ARGOCD_SYNC_OPTIONS: c.BOOTSTRAP_SYNC_OPTIONS},
    }


def infisical_helm_values_blob(postgres_password: str, redis_password: str) -> str:
    """The values.yaml Argo CD passes to the infisical-standalone chart (GitOps mode), as YAML text.

    Called inside an `apply` on the secret passwords, so the text stays a secret Output.
    """
    import yaml

    document = {
        "postgresql": {"auth": {"password": postgres_password}},
        "redis": {"auth": {"password": redis_password}},
    }
    return str(yaml.safe_dump(document, sort_keys=True, default_flow_style=False))


def seconds(interval: str) -> int:
    """Seconds of a catalog duration (`60s`, `15m`, `1h30m`); the config model checked its shape."""
    parts = _DURATION_PART.findall(interval)
    if not parts or "".join(n + u for n, u in parts) != interval:
        raise ValueError(f"not a duration like 60s, 15m or 1h: {interval!r}")
    return sum(int(number) * _SECONDS[unit] for number, unit in parts)


def infisical_resync_interval(interval: str) -> str:
    """The Infisical operator reads one number and one unit (s, m, h, ...), at least 5 seconds.

    A compound catalog duration such as `1h30m` becomes the same span in the largest exact unit (`90m`).
    """
    total = seconds(interval)
    if total < INFISICAL_MIN_RESYNC_SECONDS:
        raise ValueError(f"the Infisical operator resyncs at most every {INFISICAL_MIN_RESYNC_SECONDS}s, "
                         f"not every {interval}")
    for unit in ("h", "m"):
        if total % _SECONDS[unit] == 0:
            return f"{total // _SECONDS[unit]}{unit}"
    return f"{total}s"


def remote_key(app: AppEntry, key: str, store_path: str = c.STORE_SECRETS_PATH) -> str:
    """How an ExternalSecret names an Infisical key for ESO's Infisical provider (2.9.0).

    The provider resolves `remoteRef.key` against the store's `secretsPath`: a bare name is looked up in
    that path, a key starting with `/` is an absolute `<folder>/<name>`. So an entry whose path is the
    store's uses the bare name, any other entry the absolute form.
    """
    if app.path == store_path:
        return key
    return f"{app.path.rstrip('/')}/{key}"


def cluster_secret_store(project_slug: str, environment_slug: str, infisical_host: str) -> dict[str, Any]:
    """The one ClusterSecretStore: universal auth from the machine-identity Secret (namespace required)."""
    def selector(key: str) -> dict[str, str]:
        return {"name": c.SECRET_MACHINE_IDENTITY, "namespace": c.NS_EXTERNAL_SECRETS, "key": key}

    return {
        "provider": {
            "infisical": {
                "hostAPI": infisical_api_url(infisical_host),
                "auth": {
                    "universalAuthCredentials": {
                        "clientId": selector(c.KEY_CLIENT_ID),
                        "clientSecret": selector(c.KEY_CLIENT_SECRET),
                    },
                },
                "secretsScope": {
                    "projectSlug": project_slug,
                    "environmentSlug": environment_slug,
                    "secretsPath": c.STORE_SECRETS_PATH,
                },
            },
        },
    }


def external_secret(app: AppEntry) -> dict[str, Any]:
    return {
        "refreshInterval": app.refresh_interval,
        "secretStoreRef": {"name": c.STORE_NAME, "kind": "ClusterSecretStore"},
        "target": {"name": app.secret_name, "creationPolicy": c.CREATION_POLICY},
        "data": [
            {"secretKey": k8s_key, "remoteRef": {"key": remote_key(app, infisical_key)}}
            for k8s_key, infisical_key in app.keys
        ],
    }


def infisical_template_value(infisical_key: str) -> str:
    """A Go template reading one Infisical key; `index` also works for keys with `-` or `.`."""
    return '{{ (index . "' + infisical_key + '").Value }}'


def infisical_secret(app: AppEntry, project_slug: str, environment_slug: str, infisical_host: str) -> dict[str, Any]:
    """One InfisicalSecret: universal auth, the entry's folder, exactly the catalog's keys."""
    return {
        "hostAPI": infisical_api_url(infisical_host),
        "authentication": {
            "universalAuth": {
                "credentialsRef": {"secretName": c.SECRET_MACHINE_IDENTITY, "secretNamespace": c.NS_EXTERNAL_SECRETS},
                "secretsScope": {"projectSlug": project_slug, "envSlug": environment_slug, "secretsPath": app.path},
            },
        },
        "managedKubeSecretReferences": [
            {
                "secretName": app.secret_name,
                "secretNamespace": app.namespace,
                "creationPolicy": c.CREATION_POLICY,
                "template": {
                    "includeAllSecrets": False,
                    "data": {k8s_key: infisical_template_value(key) for k8s_key, key in app.keys},
                },
            },
        ],
        "syncConfig": {"resyncInterval": infisical_resync_interval(app.refresh_interval)},
    }


def sync_metadata(app: AppEntry, annotations: Mapping[str, Any] | None = None) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "name": app.secret_name,
        "namespace": app.namespace,
        "labels": {"app.kubernetes.io/name": app.name, "app.kubernetes.io/managed-by": "pulumi"},
    }
    if annotations:
        metadata["annotations"] = dict(annotations)
    return metadata

