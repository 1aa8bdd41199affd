"""What a chart's controller creates at run time from the objects it reconciles, read from its pinned source.

The offline check adds these objects to its inventory, so a reference to a Secret or Service that only a controller
makes still resolves. Each function takes one manifest (its namespace set) and returns the objects made from it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from components.cluster import constants as c

Manifest = dict[str, Any]
Controller = Callable[[Manifest], list[Manifest]]


def secret(name: str, namespace: str, keys: list[str] | None) -> Manifest:
    manifest: Manifest = {"apiVersion": "v1", "kind": "Secret",
                          "metadata": {"name": name, "namespace": namespace, "labels": {}}}
    if keys is not None:
        manifest["data"] = dict.fromkeys(keys, "")
    return manifest


def service(name: str, namespace: str, port: int) -> Manifest:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": namespace},
            "spec": {"ports": [{"port": port}]}}


def _namespace(manifest: Manifest) -> str:
    return str(manifest.get("metadata", {}).get("namespace") or "")


def _name(manifest: Manifest) -> str:
    return str(manifest.get("metadata", {}).get("name", ""))


def from_external_secret(manifest: Manifest) -> list[Manifest]:
    """ESO writes the ExternalSecret's target Secret in its own namespace, one key per `data` entry."""
    spec = manifest.get("spec", {})
    keys = [entry["secretKey"] for entry in spec.get("data", [])]
    return [secret(spec["target"]["name"], _namespace(manifest), keys)]


def from_static_secret(manifest: Manifest) -> list[Manifest]:
    """The Infisical operator writes each Secret target, one key per template entry."""
    return [secret(target["name"], target["namespace"], list(target.get("template", {}).get("data", {})))
            for target in manifest.get("spec", {}).get("targets", []) if target.get("kind") == "Secret"]


def from_database_cluster(manifest: Manifest) -> list[Manifest]:
    """cloudnative-pg v1.30.0: Services <name>-rw/-ro/-r on 5432 (pkg/specs/services.go); the CA and server
    certificates (setupPostgresPKI); no `<name>-app` Secret when `initdb.secret` is given (api/v1/cluster_funcs.go)."""
    name, namespace = _name(manifest), _namespace(manifest)
    return [*(service(f"{name}-{suffix}", namespace, c.DATABASE_PORT) for suffix in ("rw", "ro", "r")),
            secret(f"{name}-ca", namespace, ["ca.crt", "ca.key"]),
            secret(f"{name}-server", namespace, ["tls.crt", "tls.key"])]


def from_cluster_issuer(manifest: Manifest) -> list[Manifest]:
    """cert-manager stores the ACME account key in privateKeySecretRef, in its cluster resource namespace."""
    acme = manifest.get("spec", {}).get("acme", {})
    return [secret(acme["privateKeySecretRef"]["name"], c.NS_CERT_MANAGER, ["tls.key"])] if acme else []


def from_ingress(manifest: Manifest) -> list[Manifest]:
    """cert-manager's ingress-shim issues each TLS entry's Secret when the Ingress names an issuer."""
    annotations = manifest.get("metadata", {}).get("annotations") or {}
    if c.CLUSTER_ISSUER_ANNOTATION not in annotations:
        return []
    return [secret(tls["secretName"], _namespace(manifest), ["tls.crt", "tls.key", "ca.crt"])
            for tls in manifest.get("spec", {}).get("tls", []) if tls.get("secretName")]


def from_argocd_job(manifest: Manifest) -> list[Manifest]:
    """argo-cd 10.1.1 templates/redis-secret-init/job.yaml: the hook Job creates Secret argocd-redis (key auth)."""
    if not _name(manifest).endswith("redis-secret-init"):
        return []
    return [secret("argocd-redis", _namespace(manifest), ["auth"])]


# --- The Secrets a controller reads, from the fields of the objects it reconciles ------------------------------------

class SecretKeyRef(NamedTuple):
    namespace: str
    name: str
    key: str | None  # None: every key
    label: tuple[str, str] | None = None  # the label the Secret must carry for the controller to read it


Reader = Callable[[Manifest], list[SecretKeyRef]]


def _selector(value: dict[str, Any], default_namespace: str) -> SecretKeyRef:
    return SecretKeyRef(str(value.get("namespace") or default_namespace), str(value["name"]), value.get("key"))


def store_credentials(manifest: Manifest) -> list[SecretKeyRef]:
    """ESO's ClusterSecretStore, Infisical provider: universal-auth selectors, each naming its namespace."""
    credentials = manifest["spec"]["provider"]["infisical"]["auth"]["universalAuthCredentials"]
    return [_selector(credentials[field], "") for field in ("clientId", "clientSecret")]


def auth_credentials(manifest: Manifest) -> list[SecretKeyRef]:
    """The Infisical operator's InfisicalAuth: universal-auth refs, in its own namespace unless they name one."""
    universal = manifest["spec"]["universal"]
    return [_selector(universal[field], _namespace(manifest)) for field in ("clientIdRef", "clientSecretRef")]


def issuer_token(manifest: Manifest) -> list[SecretKeyRef]:
    """A ClusterIssuer's Cloudflare DNS-01 token, read from cert-manager's cluster resource namespace."""
    solvers = manifest.get("spec", {}).get("acme", {}).get("solvers", [])
    return [_selector(token, c.NS_CERT_MANAGER) for solver in solvers
            if (token := solver.get("dns01", {}).get("cloudflare", {}).get("apiTokenSecretRef"))]


def initdb_secret(manifest: Manifest) -> list[SecretKeyRef]:
    """A CloudNativePG Cluster's `initdb.secret`: a basic-auth Secret (username and password) in its namespace."""
    initdb = manifest.get("spec", {}).get("bootstrap", {}).get("initdb", {})
    if "secret" not in initdb:
        return []
    return [SecretKeyRef(_namespace(manifest), str(initdb["secret"]["name"]), key) for key in ("username", "password")]
