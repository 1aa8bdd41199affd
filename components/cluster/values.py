"""Helm values of each chart, as plain dicts. Pure: a ReleaseContext in, values out.

No value here is a secret: every password reaches its consumer through a Secret the chart references
(`kubeSecretRef`, `usersExistingSecret`, `initdb.secret`, `$<secret>:<key>`), never as a Helm value, so no
password is stored in a Helm release Secret or rendered into a Deployment's env. Every path set here exists in
the pinned chart's values.yaml (a test checks it against the chart), except keys under documented free-form maps.
"""

from __future__ import annotations

from typing import Any

from components.cluster import constants as c
from components.cluster.context import ReleaseContext

# Infisical's Service, from the infisical-standalone chart (Infisical/infisical,
# helm-charts/infisical-standalone-postgres/templates/infisical.yaml: `name: {{ include "infisical.fullname" . }}
# -infisical`, port 8080; _helpers.tpl: fullname is `<release>-<chart>` unless the release name contains the chart
# name). Release `infisical` of chart `infisical-standalone` gives this name.
INFISICAL_SERVICE = "infisical-infisical-standalone-infisical"
INFISICAL_PORT = 8080


def service_url(scheme: str, service: str, namespace: str, port: int, path: str = "") -> str:
    return f"{scheme}://{service}.{namespace}.svc.cluster.local:{port}{path}"


def infisical_api_url(external: str = "") -> str:
    """The Infisical API both operators use: the installed Infisical's Service (no DNS, TLS or ingress involved),
    or `infisicalApiUrl` when the program does not install Infisical.

    ESO's Infisical provider passes `hostAPI` to the Infisical Go SDK, which appends `/api` only when it is missing;
    the Infisical operator's InfisicalConnection takes the same base address.
    """
    if external:
        return external.rstrip("/") if external.rstrip("/").endswith("/api") else external.rstrip("/") + "/api"
    return service_url("http", INFISICAL_SERVICE, c.NS_INFISICAL, INFISICAL_PORT, "/api")


def infisical_site_url(host: str) -> str:
    return f"https://{host}"


def database_host() -> str:
    # CloudNativePG creates `<cluster>-rw` for the primary (cloudnative-pg v1.30.0 pkg/specs/services.go).
    return f"{c.DATABASE_CLUSTER}-rw.{c.NS_INFISICAL}.svc.cluster.local"


def valkey_host() -> str:
    # The Valkey chart names its Service after the release fullname (valkey-0.11.0 templates/service.yaml).
    return f"{c.VALKEY_RELEASE}.{c.NS_INFISICAL}.svc.cluster.local"


def database_url(password: str) -> str:
    """Infisical's DB_CONNECTION_URI; built inside an apply on the secret password, so it stays secret."""
    from urllib.parse import quote

    return (f"postgresql://{c.DATABASE_OWNER}:{quote(password, safe='')}@{database_host()}:{c.DATABASE_PORT}/"
            f"{c.DATABASE_NAME}")


def redis_url(password: str) -> str:
    from urllib.parse import quote

    return f"redis://default:{quote(password, safe='')}@{valkey_host()}:{c.VALKEY_PORT}"


def _hardened_container() -> dict[str, Any]:
    return {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def _hardened_pod() -> dict[str, Any]:
    return {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}


def tls_ingress_annotations(issuer: str) -> dict[str, str]:
    """cert-manager's ingress-shim issues the Ingress's TLS Secret from the ClusterIssuer."""
    return {c.CLUSTER_ISSUER_ANNOTATION: issuer}


def tls_secret_name(host: str) -> str:
    return f"{host.replace('.', '-')}-tls"


def cert_manager_values(ctx: ReleaseContext) -> dict[str, Any]:
    """cert-manager with its CRDs (kept on uninstall), hardened containers, and Cloudflare's resolvers for the
    DNS-01 self-check. The program adds the Let's Encrypt ClusterIssuer (`letsencrypt`).

    A homelab resolver often answers for the zone itself (split horizon), so cert-manager's propagation check
    would never see the challenge record: it asks Cloudflare's resolvers instead.
    """
    container = {key: value for key, value in _hardened_container().items()
                 if key not in ("runAsNonRoot", "seccompProfile")}  # the chart sets those two per pod
    hardened = {"securityContext": _hardened_pod(), "containerSecurityContext": container}
    return {
        "crds": {"enabled": True, "keep": True},
        **hardened,
        "webhook": dict(hardened),
        "cainjector": dict(hardened),
        "startupapicheck": dict(hardened),
        "dns01RecursiveNameservers": "1.1.1.1:53,1.0.0.1:53",
        "dns01RecursiveNameserversOnly": True,
    }


def external_secrets_values(ctx: ReleaseContext) -> dict[str, Any]:
    """ESO with its CRDs and hardened controller, webhook and cert controller; the program adds the
    `ClusterSecretStore` `infisical` and an ExternalSecret per catalog app.

    The chart's defaults are already hardened; they are set here so a changed default cannot weaken them.
    """
    container = {"enabled": True, **_hardened_container()}
    return {
        "installCRDs": True,
        "podSecurityContext": {"enabled": True},
        "securityContext": container,
        "webhook": {"podSecurityContext": {"enabled": True}, "securityContext": container},
        "certController": {"podSecurityContext": {"enabled": True}, "securityContext": container},
    }


def infisical_operator_values(ctx: ReleaseContext) -> dict[str, Any]:
    """The Infisical operator with its CRDs (v1alpha1 and v1beta1) and a hardened manager; the program adds one
    InfisicalConnection and InfisicalAuth, and an InfisicalStaticSecret per catalog app.

    The API address lives in the InfisicalConnection, not in a chart-wide default.
    """
    container = dict(_hardened_container())
    container.pop("runAsNonRoot")
    container.pop("seccompProfile")
    return {
        "installCRDs": True,
        "controllerManager": {
            "manager": {"containerSecurityContext": container},
            "podSecurityContext": _hardened_pod(),
        },
    }


def cloudnative_pg_values(ctx: ReleaseContext) -> dict[str, Any]:
    """The CloudNativePG operator with its CRDs; the program adds Infisical's PostgreSQL `Cluster` (one instance,
    owner password from `infisical-db-credentials`)."""
    return {"crds": {"create": True}}


def valkey_values(ctx: ReleaseContext) -> dict[str, Any]:
    """Valkey for Infisical's queues and cache: ACL user `default` from `infisical-valkey-users`, no password in
    any env, `maxmemory-policy noeviction`, pods rolled by a digest of that Secret.

    The chart mounts `usersExistingSecret` in the init container only, which writes a hashed ACL file; the
    server gets no password env (valkey-0.11.0 templates/deploy_valkey.yaml, templates/init_config.yaml). The
    ACL is written at pod start, so a digest of the Secret in a pod annotation rolls the pod on rotation.
    """
    return {
        "auth": {
            "enabled": True,
            "usersExistingSecret": c.SECRET_VALKEY_USERS,
            "aclUsers": {"default": {"permissions": "~* &* +@all", "passwordKey": c.KEY_VALKEY_PASSWORD}},
        },
        "podAnnotations": {c.BOOTSTRAP_DIGEST_ANNOTATION: ctx.digest(c.SECRET_VALKEY_USERS)},
        "valkeyConfig": "maxmemory-policy noeviction\n",  # Infisical's BullMQ queues must never be evicted
    }


def infisical_values(ctx: ReleaseContext) -> dict[str, Any]:
    """infisical-standalone without its bundled ingress-nginx, PostgreSQL and Redis: env from `infisical-secrets`
    (`kubeSecretRef`, connection strings included), pods rolled by its digest, an Ingress only with `ingressClass`.

    - `ingress.nginx.enabled: false`: the chart would install ingress-nginx 4.0.13 (controller v1.1.0, 2021).
    - `postgresql.enabled` / `redis.enabled: false`: the chart would build DB_CONNECTION_URI and REDIS_URL from
      `*.auth.password` into plain Deployment env. The connection strings are keys of the `kubeSecretRef`
      Secret instead, which the Deployment reads with `envFrom`.
    - The pods read that Secret at start only: a digest of its content in a pod annotation rolls them.
    - An Ingress only with an operator-named class, TLS from cert-manager.

    What each value relies on, read in Infisical/infisical `helm-charts/infisical-standalone-postgres/` (no copy
    at exactly 1.7.5 could be read: these are the nearest stored versions, see upstream.py):
    `templates/infisical.yaml` at 0deda063 (env gates on `postgresql.enabled` / `redis.enabled`,
    `envFrom.secretRef: infisical.kubeSecretRef`, `infisical.podAnnotations`, the Service on 8080);
    `templates/ingress.yaml` at 07679d93 (`ingress.enabled`, `ingressClassName`, `annotations`, `tls`);
    `values.yaml` at fb94f89c (chart 1.7.2) and 002a40e9 (`ingress.nginx.enabled`, `postgresql.enabled`,
    `redis.enabled` defaults true; Chart.yaml 1.7.5 at 02fdd1de declares the three subcharts on those conditions).
    """
    cluster = ctx.cluster
    ingress: dict[str, Any] = {"enabled": False, "nginx": {"enabled": False}}
    if ctx.ingress:
        ingress.update({
            "enabled": True,
            "hostName": cluster.infisical_host,
            "ingressClassName": cluster.ingress_class,
            "annotations": tls_ingress_annotations(cluster.cluster_issuer),
            "tls": [{"secretName": tls_secret_name(cluster.infisical_host), "hosts": [cluster.infisical_host]}],
        })
    return {
        "infisical": {
            "kubeSecretRef": c.SECRET_INFISICAL,
            "podAnnotations": {c.BOOTSTRAP_DIGEST_ANNOTATION: ctx.digest(c.SECRET_INFISICAL)},
        },
        "ingress": ingress,
        "postgresql": {"enabled": False},
        "redis": {"enabled": False},
    }


def argocd_oidc_config(authentik_host: str) -> str:
    """The `oidc.config` of argocd-cm. The client secret is a `$<secret>:<key>` reference, never a value."""
    import yaml

    config = {
        "name": "Authentik",
        "issuer": argocd_oidc_issuer(authentik_host),
        "clientID": c.ARGOCD_OIDC_CLIENT_ID,
        "clientSecret": f"${c.SECRET_ARGOCD_OIDC}:{c.KEY_OIDC_CLIENT_SECRET}",
        "requestedScopes": ["openid", "profile", "email", "groups"],
    }
    return str(yaml.safe_dump(config, sort_keys=False, default_flow_style=False))


def argocd_oidc_issuer(authentik_host: str) -> str:
    # Authentik's per-application issuer: https://<host>/application/o/<application slug>/
    return f"https://{authentik_host}/application/o/{c.ARGOCD_OIDC_APP_SLUG}/"




def argocd_policy(admin_group: str) -> str:
    """Casbin policy lines: the Authentik group (the `groups` claim) is role:admin."""
    return f"g, {admin_group}, role:admin\n"


def argocd_values(ctx: ReleaseContext) -> dict[str, Any]:
    """Argo CD without Dex: OIDC against Authentik (once its client secret is set), RBAC mapping
    `argocdAdminGroup` to role:admin and `argocdDefaultRole` to everyone else, an Ingress with TLS.

    Dex is off: Argo CD talks OIDC to Authentik directly. `global.domain` gives argocd-cm its `url`, which the
    OIDC redirect URI is built from. TLS ends at the ingress controller, so the server runs `server.insecure`
    (plain HTTP behind the Ingress), as the chart's docs describe for TLS termination at the ingress.
    """
    cluster = ctx.cluster
    values: dict[str, Any] = {
        "dex": {"enabled": False},
        "configs": {
            "rbac": {
                "policy.default": cluster.argocd_default_role,
                "policy.csv": argocd_policy(cluster.argocd_admin_group),
                "scopes": "[groups]",
            },
        },
    }
    if cluster.argocd_host:
        values["global"] = {"domain": cluster.argocd_host}
    if ctx.oidc_authentik_host:
        values["configs"]["cm"] = {"oidc.config": argocd_oidc_config(ctx.oidc_authentik_host)}
    if ctx.ingress and cluster.argocd_host:
        values["configs"]["params"] = {"server.insecure": True}
        values["server"] = {"ingress": {
            "enabled": True,
            "ingressClassName": cluster.ingress_class,
            "hostname": cluster.argocd_host,
            "annotations": tls_ingress_annotations(cluster.cluster_issuer),
            "tls": True,  # the chart's TLS entry names Secret argocd-server-tls, issued by cert-manager
        }}
    return values
