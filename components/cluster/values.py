"""Helm values of each chart, as plain dicts. Pure: settings in, values out.

Secret values (passwords) come in as `pulumi.Input[str]` and are placed as they are, so a secret Output
stays a secret leaf inside the values. Every path set here exists in the pinned chart's values.yaml
(a test checks it against the chart), except keys under a chart's documented free-form maps.
"""

from __future__ import annotations

from typing import Any

import pulumi

from components.cluster import constants as c


def infisical_api_url(host: str) -> str:
    """The Infisical API base URL both operators take as `hostAPI`.

    The Infisical operator documents `https://<host>/api`; ESO's Infisical provider passes hostAPI to the
    Infisical Go SDK, which appends `/api` only when it is missing, so the same URL serves both.
    """
    return f"https://{host}/api"


def _hardened_container() -> dict[str, Any]:
    return {
        "enabled": True,
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def external_secrets_values() -> dict[str, Any]:
    """ESO installs its CRDs and runs controller, webhook and cert controller hardened.

    The chart's defaults are already hardened; they are set here so a changed default cannot weaken them.
    """
    return {
        "installCRDs": True,
        "podSecurityContext": {"enabled": True},
        "securityContext": _hardened_container(),
        "webhook": {"podSecurityContext": {"enabled": True}, "securityContext": _hardened_container()},
        "certController": {"podSecurityContext": {"enabled": True}, "securityContext": _hardened_container()},
    }


def infisical_operator_values(infisical_host: str) -> dict[str, Any]:
    """The Infisical operator: its CRDs, the self-hosted API as default host, a hardened manager."""
    return {
        "installCRDs": True,
        "hostAPI": infisical_api_url(infisical_host),
        "controllerManager": {
            "manager": {
                "containerSecurityContext": {
                    "allowPrivilegeEscalation": False,
                    "capabilities": {"drop": ["ALL"]},
                    "readOnlyRootFilesystem": True,
                },
            },
            "podSecurityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        },
    }


def infisical_values(
    infisical_host: str, postgres_password: pulumi.Input[str], redis_password: pulumi.Input[str],
    bootstrap_digest: pulumi.Input[str],
) -> dict[str, Any]:
    """infisical-standalone with its bundled PostgreSQL and Redis.

    `ENCRYPTION_KEY`, `AUTH_SECRET` and `SITE_URL` come from the bootstrap Secret (`kubeSecretRef`). The
    two passwords must be chart values: the bundled subcharts initialise with them and the chart builds
    `DB_CONNECTION_URI` / `REDIS_URL` from them. `postgresql.useExistingPostgresSecret` is deliberately
    left off: with the bundled PostgreSQL the pinned chart still renders the literal connection string
    as well (two `DB_CONNECTION_URI` entries, the literal one last, so it wins), which adds nothing.

    The pods read the bootstrap Secret at start only: `bootstrap_digest` (a digest of its content) in a
    pod annotation rolls them when it changes, e.g. after AUTH_SECRET is rotated.
    """
    return {
        "infisical": {
            "kubeSecretRef": c.SECRET_INFISICAL,
            "podAnnotations": {c.BOOTSTRAP_DIGEST_ANNOTATION: bootstrap_digest},
        },
        "ingress": {"hostName": infisical_host},
        "postgresql": {"auth": {"password": postgres_password}},
        "redis": {"auth": {"password": redis_password}},
    }


def argocd_oidc_config(authentik_host: str) -> str:
    """The `oidc.config` of argocd-cm. The client secret is a `$<secret>:<key>` reference, never a value."""
    import yaml

    config = {
        "name": "Authentik",
        "issuer": f"https://{authentik_host}/application/o/{c.ARGOCD_OIDC_APP_SLUG}/",
        "clientID": c.ARGOCD_OIDC_CLIENT_ID,
        "clientSecret": f"${c.SECRET_ARGOCD_OIDC}:{c.KEY_OIDC_CLIENT_SECRET}",
        "requestedScopes": ["openid", "profile", "email"],
    }
    return str(yaml.safe_dump(config, sort_keys=False, default_flow_style=False))


def argocd_values(argocd_host: str, oidc_authentik_host: str | None) -> dict[str, Any]:
    """Argo CD; with OIDC against Authentik when `oidc_authentik_host` is given.

    Dex is off: Argo CD talks OIDC to Authentik directly. `global.domain` also gives argocd-cm its `url`,
    which the OIDC redirect URI is built from.
    """
    values: dict[str, Any] = {"dex": {"enabled": False}}
    if argocd_host:
        values["global"] = {"domain": argocd_host}
    if oidc_authentik_host:
        values["configs"] = {"cm": {"oidc.config": argocd_oidc_config(oidc_authentik_host)}}
    return values
