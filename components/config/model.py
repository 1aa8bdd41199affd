"""The typed settings the components receive. Immutable; secrets only as opaque handles.

Every field that comes from a setting takes its default from the schema record (`schema.py`), the one place
that default is written: a disabled area is its settings class built with `enabled=False` and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NoReturn

from components.config.schema import bool_default, int_default, text_default
from components.dns.hosts import DnsHost
from components.secrets_registry import SecretSpec


class SecretValue:
    """A supplied secret's value, read once from config. Neither `repr` nor `str` shows it; `reveal` is for the
    one place that turns it into a secret Output (`BootstrapSecrets`)."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "SecretValue(<hidden>)"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        raise TypeError("a secret value is not copied out of the process")


@dataclass(frozen=True)
class GeneratedKey:
    """An Infisical key of a catalog app that the program generates and writes to Infisical at the app's path."""

    name: str  # the Infisical key
    length: int
    format: str  # alnum, hex or base64
    generation: int = 0  # bump to regenerate


@dataclass(frozen=True)
class AppEntry:
    name: str
    namespace: str
    secret_name: str
    path: str
    keys: tuple[tuple[str, str], ...]  # (Kubernetes key, Infisical key), in catalog order
    refresh_interval: str
    operator: str
    generated: tuple[GeneratedKey, ...] = ()  # Infisical keys the program generates (the rest a person sets)

    @property
    def resource_name(self) -> str:
        return f"{self.namespace}-{self.name}"

    def seed_file(self, key: GeneratedKey) -> str:
        """The key of the provisioner's seeds Secret holding one generated value (a Secret data key)."""
        return f"{self.namespace}.{self.name}.{key.name}"


@dataclass(frozen=True)
class BifrostSettings:
    enabled: bool
    server_name: str = text_default("serverName")
    location: str = text_default("location")
    server_type: str = text_default("serverType")
    image: str = text_default("image")
    ssh_source_ranges: tuple[str, ...] = ()
    ssh_public_key: str = text_default("sshPublicKey")
    authentik_host: str = text_default("authentikHost")
    netbird_host: str = text_default("netbirdHost")
    acme_email: str = text_default("acmeEmail")
    admin_email: str = text_default("adminEmail")
    server_replacement: str = text_default("serverReplacement")
    stage_timeout: int = int_default("bootstrapStageTimeout")


@dataclass(frozen=True)
class ClusterSettings:
    enabled: bool
    infisical_host: str = text_default("infisicalHost")
    project_slug: str = text_default("infisicalProjectSlug")
    environment_slug: str = text_default("infisicalEnvironment")
    default_operator: str = text_default("defaultSyncOperator")
    install_external_secrets: bool = bool_default("installExternalSecrets")
    install_infisical_operator: bool = bool_default("installInfisicalOperator")
    install_infisical: bool = bool_default("installInfisical")
    install_argocd: bool = bool_default("installArgocd")
    cloudflare_secret_key: str = text_default("cloudflareSecretKey")
    argocd_host: str = text_default("argocdHost")
    authentik_host: str = text_default("authentikHost")  # the OIDC issuer of Argo CD; optional on this side
    apps: tuple[AppEntry, ...] = ()
    install_cert_manager: bool = bool_default("installCertManager")
    install_cloudnative_pg: bool = bool_default("installCloudNativePg")
    ingress_class: str = text_default("ingressClass")
    acme_environment: str = text_default("acmeEnvironment")
    acme_email: str = text_default("acmeEmail")
    argocd_admin_group: str = text_default("argocdAdminGroup")  # the blueprint's group, read with the identity
    argocd_default_role: str = text_default("argocdDefaultRole")
    infisical_api_url: str = text_default("infisicalApiUrl")  # an existing Infisical's API, when not installed
    cluster_issuer: str = text_default("clusterIssuer")  # the ClusterIssuer the Ingresses name
    admin_email: str = text_default("adminEmail")  # the first Infisical admin (shared with Authentik and NetBird)
    infisical_organization: str = text_default("infisicalOrganization")
    machine_identity_generation: int = int_default("machineIdentityGeneration")  # bump to rotate its secret
    grafana_oauth: bool = False  # Authentik declares Grafana's client: its secret is written to Infisical too
    # Rotation counter of each generated secret (the same as Settings.generations): a registry secret the Job also
    # writes into Infisical is written again when its counter moves.
    generations: Mapping[SecretSpec, int] = field(default_factory=dict)


@dataclass(frozen=True)
class IdentitySettings:
    """What the Authentik blueprint declares: the OAuth2 clients, the Argo CD admin group, the GitHub source."""

    argocd_host: str = text_default("argocdHost")  # Argo CD's client is declared when set
    grafana_host: str = text_default("grafanaHost")  # Grafana's client is declared when set
    argocd_admin_group: str = text_default("argocdAdminGroup")  # Argo CD's RBAC maps this same group to admin
    github_client_id: str = text_default("githubOauthClientId")  # the GitHub OAuth source is declared when set


@dataclass(frozen=True)
class DnsRecordHost:
    host: DnsHost
    name: str  # the configured host name


@dataclass(frozen=True)
class DnsSettings:
    zone: str = text_default("dnsZone")  # empty: no DNS record is managed
    hosts: tuple[DnsRecordHost, ...] = ()  # the managed hosts, in table order
    cluster_ingress: tuple[str, ...] = ()  # IPv4 and IPv6 addresses, as configured


@dataclass(frozen=True)
class Settings:
    stack: str
    bifrost: BifrostSettings
    cluster: ClusterSettings
    identity: IdentitySettings
    dns: DnsSettings
    allow_data_key_change: bool
    generations: Mapping[SecretSpec, int]  # rotation counter of each generated secret
    # Each supplied secret's value, read once by the config model: the only copy the program holds.
    secret_values: Mapping[SecretSpec, SecretValue] = field(default_factory=dict, repr=False, compare=False)

    @property
    def supplied(self) -> frozenset[SecretSpec]:
        """The secrets whose value comes from config."""
        return frozenset(self.secret_values)

