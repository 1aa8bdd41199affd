"""Values more than one area uses, read once here and handed to each area's reader.

A host or email is required as soon as one enabled area needs it, and reported once whichever area that is.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.config.reader import Reader


@dataclass(frozen=True)
class Areas:
    """What the stack turns on: the two sides, and the cluster's installs that need a shared value."""

    bifrost: bool
    cluster: bool
    cert_manager: bool = False  # the cluster's ClusterIssuer needs acmeEmail
    infisical: bool = False  # the installed Infisical's first admin is adminEmail


@dataclass(frozen=True)
class Shared:
    authentik_host: str  # Bifrost serves it; the cluster's Argo CD uses it as OIDC issuer
    argocd_host: str  # the cluster's Argo CD, and its OAuth2 client in the Authentik blueprint
    acme_email: str  # Let's Encrypt account of Traefik and of the cluster's ClusterIssuer
    admin_email: str  # the first admin of Authentik, NetBird and Infisical


def read_areas(r: Reader) -> Areas:
    """The two switches. The cluster's installs are added by `load.py`, once it has read them."""
    return Areas(bifrost=r.boolean("bifrostEnabled"), cluster=r.boolean("clusterEnabled"))


def read_shared(r: Reader, areas: Areas) -> Shared:
    if not (areas.bifrost or areas.cluster):
        return Shared("", "", "", "")
    return Shared(
        authentik_host=r.domain("authentikHost", "auth.example.com", required=areas.bifrost),
        argocd_host=r.domain("argocdHost", "argocd.example.com", required=False),
        acme_email=r.email("acmeEmail", "admin@example.com", required=areas.bifrost or areas.cert_manager),
        admin_email=r.email("adminEmail", "admin@example.com", required=areas.bifrost or areas.infisical),
    )
