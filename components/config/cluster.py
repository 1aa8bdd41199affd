"""The Kubernetes side's settings: what to install, Infisical's project, the catalog, TLS and SSO."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from components.config import fields
from components.config.apps import Owned, read_apps
from components.config.model import ClusterSettings
from components.config.problems import quote_plain, remove_command, set_command
from components.config.reader import Reader
from components.config.schema import ACME_ENVIRONMENTS, SYNC_OPERATORS
from components.config.shared import Shared


@dataclass(frozen=True)
class Installs:
    """The cluster's install switches, read first: the shared values some of them require depend on them."""

    external_secrets: bool
    infisical_operator: bool
    infisical: bool
    argocd: bool
    cert_manager: bool
    cloudnative_pg: bool


def read_installs(r: Reader) -> Installs:
    return Installs(
        external_secrets=r.boolean("installExternalSecrets"),
        infisical_operator=r.boolean("installInfisicalOperator"),
        infisical=r.boolean("installInfisical"),
        argocd=r.boolean("installArgocd"),
        cert_manager=r.boolean("installCertManager"),
        cloudnative_pg=r.boolean("installCloudNativePg"),
    )


def read_cluster(r: Reader, installs: Installs | None, shared: Shared, owned: Owned) -> ClusterSettings:
    if installs is None:
        return ClusterSettings(enabled=False)
    default_operator = r.choice("defaultSyncOperator", SYNC_OPERATORS)
    return ClusterSettings(
        enabled=True,
        infisical_host=r.domain("infisicalHost", "infisical.example.com"),
        project_slug=_slug(r, "infisicalProjectSlug", "homelab"),
        environment_slug=_slug(r, "infisicalEnvironment", "prod"),
        default_operator=default_operator,
        install_external_secrets=installs.external_secrets,
        install_infisical_operator=installs.infisical_operator,
        install_infisical=installs.infisical,
        install_argocd=installs.argocd,
        cloudflare_secret_key=_cloudflare_secret_key(r),
        argocd_host=shared.argocd_host,
        authentik_host=shared.authentik_host,
        apps=read_apps(r, default_operator, owned),
        install_cert_manager=installs.cert_manager,
        install_cloudnative_pg=installs.cloudnative_pg,
        ingress_class=_checked(r, "ingressClass", "traefik", fields.is_dns_subdomain, "a valid IngressClass name"),
        acme_environment=r.choice("acmeEnvironment", ACME_ENVIRONMENTS),
        acme_email=shared.acme_email if installs.cert_manager else "",
        argocd_default_role=_argocd_role(r),
        infisical_api_url=_infisical_api_url(r, installs.infisical),
        cluster_issuer=_checked(r, "clusterIssuer", "letsencrypt", fields.is_dns_subdomain,
                                "a valid ClusterIssuer name"),
        admin_email=shared.admin_email if installs.infisical else "",
        infisical_organization=_organization(r),
        machine_identity_generation=r.integer("machineIdentityGeneration"),
    )


def _slug(r: Reader, key: str, example: str) -> str:
    value = r.text(key, example)
    if not fields.is_dns_label(value):
        r.problem(key, f"is not a valid slug ({quote_plain(value)})", set_command(key, example))
    return value


def _checked(r: Reader, key: str, example: str, valid: Callable[[str], bool], what: str) -> str:
    value = r.text(key, example)
    if value and not valid(value):
        r.problem(key, f"is not {what} ({quote_plain(value)})", set_command(key, example))
    return value


def _cloudflare_secret_key(r: Reader) -> str:
    value = r.text("cloudflareSecretKey", "api-token")
    if not fields.is_secret_data_key(value):
        r.problem("cloudflareSecretKey", f"is not a valid Secret data key ({quote_plain(value)}): letters, digits, "
                  "- _ ., and not ., .. or starting with ..", set_command("cloudflareSecretKey", "api-token"))
    return value


def _organization(r: Reader) -> str:
    value = r.text("infisicalOrganization", "homelab")
    if not fields.ORGANIZATION.fullmatch(value):
        r.problem("infisicalOrganization", f"must be 1 to 64 letters, digits, spaces, `_`, `.` or `-` "
                  f"({quote_plain(value)})", set_command("infisicalOrganization", "homelab"))
    return value


def _infisical_api_url(r: Reader, installed: bool) -> str:
    """Where the sync operators reach Infisical when the program does not install it."""
    value = r.raw_text("infisicalApiUrl")
    example = "https://infisical.example.com/api"
    if installed:
        if value:
            r.problem("infisicalApiUrl", "is set while installInfisical is true: the operators use the installed "
                      "Infisical's in-cluster Service", remove_command("infisicalApiUrl"))
        return ""
    if not value:
        r.problem("infisicalApiUrl", "is required when installInfisical is false (the sync operators need an "
                  "Infisical API)", set_command("infisicalApiUrl", example))
    elif not fields.is_http_url(value):
        r.problem("infisicalApiUrl", f"is not an http(s) URL ({quote_plain(value)})",
                  set_command("infisicalApiUrl", example))
    return value


def _argocd_role(r: Reader) -> str:
    value = r.text("argocdDefaultRole", "role:readonly")
    if value and not fields.ARGOCD_ROLE.fullmatch(value):
        r.problem("argocdDefaultRole", f"must be an Argo CD role such as role:readonly, or empty "
                  f"({quote_plain(value)})", set_command("argocdDefaultRole", "role:readonly"))
    return value
