"""Kubernetes objects of the cluster side, as plain dicts. Pure: settings in, manifests out.

The runtime-sync custom resources (ClusterSecretStore and ExternalSecrets; InfisicalConnection, InfisicalAuth and
InfisicalStaticSecrets), the ClusterIssuer, Infisical's database Cluster, and the bootstrap Secrets' metadata.
"""

from __future__ import annotations

from typing import Any

from components import durations
from components.cluster import constants as c
from components.config.model import AppEntry
from components.infisical_bootstrap.kube import SecretRef


def bootstrap_metadata(
    name: Any, namespace: str, extra_labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Every bootstrap Secret: found by its label, never pruned by Argo CD."""
    labels = {c.BOOTSTRAP_LABEL: "true", **(extra_labels or {})}
    return {
        "name": name,
        "namespace": namespace,
        "labels": dict(sorted(labels.items())),
        "annotations": {c.ARGOCD_SYNC_OPTIONS: c.BOOTSTRAP_SYNC_OPTIONS},
    }


def remote_key(app: AppEntry, key: str, store_path: str = c.STORE_SECRETS_PATH) -> str:
    """How an ExternalSecret names an Infisical key for ESO's Infisical provider (2.9.0).

    The provider resolves `remoteRef.key` against the store's `secretsPath`: a bare name is looked up in
    that path, a key starting with `/` is an absolute `<folder>/<name>`. So an entry whose path is the
    store's uses the bare name, any other entry the absolute form.
    """
    if app.path == store_path:
        return key
    return f"{app.path.rstrip('/')}/{key}"


def cluster_secret_store(project_slug: str, environment_slug: str, api_url: str,
                         credentials: SecretRef) -> dict[str, Any]:
    """The one ClusterSecretStore: universal auth from the machine-identity Secret (namespace required)."""
    def selector(key: str) -> dict[str, str]:
        return {"name": credentials.name, "namespace": credentials.namespace, "key": key}

    return {
        "provider": {
            "infisical": {
                "hostAPI": api_url,
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


def infisical_static_secret(app: AppEntry, project_slug: str, environment_slug: str) -> dict[str, Any]:
    """One InfisicalStaticSecret (v1beta1): the shared InfisicalAuth, the entry's folder, exactly its keys."""
    return {
        "infisicalAuthRef": {"name": c.INFISICAL_AUTH, "namespace": c.NS_INFISICAL_OPERATOR},
        "sources": [{"projectSlug": project_slug, "environmentSlug": environment_slug, "secretPath": app.path}],
        "syncOptions": {
            "refreshInterval": durations.infisical_resync_interval(app.refresh_interval), "instantUpdates": False,
        },
        "targets": [{
            "kind": "Secret",
            "name": app.secret_name,
            "namespace": app.namespace,
            "creationPolicy": c.CREATION_POLICY,
            "template": {
                "engineVersion": "v1",
                "data": {k8s_key: infisical_template_value(key) for k8s_key, key in app.keys},
            },
        }],
    }


def infisical_connection(api_url: str) -> dict[str, Any]:
    """How the Infisical operator reaches Infisical: by default its in-cluster Service (plain HTTP in the cluster)."""
    return {"address": api_url.removesuffix("/api")}


def infisical_auth(credentials: SecretRef) -> dict[str, Any]:
    """Universal auth from a machine-identity Secret whose name changes on rotation (see plan.py)."""
    def ref(key: str) -> dict[str, str]:
        return {"name": credentials.name, "namespace": credentials.namespace, "key": key}

    return {
        "infisicalConnectionRef": {"name": c.INFISICAL_CONNECTION, "namespace": c.NS_INFISICAL_OPERATOR},
        "method": "universal",
        "universal": {"clientIdRef": ref(c.KEY_CLIENT_ID), "clientSecretRef": ref(c.KEY_CLIENT_SECRET)},
    }


def cluster_issuer(acme_environment: str, email: str, cloudflare_key: str) -> dict[str, Any]:
    """Let's Encrypt through Cloudflare DNS-01, with the cloudflare-api-token bootstrap Secret.

    A ClusterIssuer reads its Secrets from cert-manager's cluster resource namespace, by default the namespace
    cert-manager runs in, which is where the bootstrap Secret is.
    """
    return {
        "acme": {
            "server": c.ACME_SERVERS[acme_environment],
            "email": email,
            "privateKeySecretRef": {"name": c.ACME_ACCOUNT_KEY_SECRET},
            "solvers": [{"dns01": {"cloudflare": {
                "apiTokenSecretRef": {"name": c.SECRET_CLOUDFLARE, "key": cloudflare_key}}}}],
        },
    }


def database_cluster() -> dict[str, Any]:
    """Infisical's PostgreSQL as a CloudNativePG Cluster: one instance, the owner's password from our Secret."""
    return {
        "instances": 1,
        "imageName": c.DATABASE_IMAGE,
        "enableSuperuserAccess": False,
        "storage": {"size": "8Gi"},
        "bootstrap": {"initdb": {
            "database": c.DATABASE_NAME, "owner": c.DATABASE_OWNER, "secret": {"name": c.SECRET_DATABASE}}},
    }
