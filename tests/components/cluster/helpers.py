"""Settings builders for the pure cluster tests."""

from __future__ import annotations

import dataclasses
from typing import Any

from components.config.model import AppEntry, ClusterSettings

ESO_APP = AppEntry("grafana", "monitoring", "grafana-secret", "/", (("ADMIN_PASSWORD", "GRAFANA_ADMIN_PASSWORD"),),
                   "1h", "external-secrets")
ESO_FOLDER_APP = AppEntry("harbor", "harbor", "harbor-admin", "/harbor",
                          (("HARBOR_ADMIN_PASSWORD", "HARBOR_ADMIN_PASSWORD"),), "15m", "external-secrets")
INFISICAL_APP = AppEntry("n8n", "n8n", "n8n-db", "/n8n",
                         (("DB_PASSWORD", "DB_PASSWORD"), ("N8N_ENCRYPTION_KEY", "N8N_ENCRYPTION_KEY")), "60s",
                         "infisical-operator")

IDENTITY = frozenset({"machine_identity_client_id", "machine_identity_client_secret"})
EVERYTHING = IDENTITY | {"argocd_oidc_client_secret"}


def cluster_settings(**overrides: Any) -> ClusterSettings:
    base = ClusterSettings(
        enabled=True, infisical_host="infisical.example.com", project_slug="homelab", environment_slug="prod",
        default_operator="external-secrets", install_external_secrets=True, install_infisical_operator=True,
        install_infisical=True, install_argocd=True, cloudflare_secret_key="api-token",
        argocd_host="argocd.example.com", authentik_host="auth.example.com",
        apps=(ESO_APP, ESO_FOLDER_APP, INFISICAL_APP), install_cert_manager=True, install_cloudnative_pg=True,
        ingress_class="traefik", acme_email="ops@example.com")
    return dataclasses.replace(base, **overrides)
