"""Declarations of every non-secret stack setting: key, type, default and description.

Each setting's default lives here and only here: the readers fall back to it, and a disabled area's settings
are built from it. `Pulumi.yaml` declares the same keys (a test keeps the two equal) and the config reference
is checked against this list. Secret keys are declared from the secret registry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from components.secrets_registry import SECRETS, Need, Scope, SecretSpec

# The values of a catalog entry's `operator` (and of defaultSyncOperator); each names the chart record that syncs it.
EXTERNAL_SECRETS_OPERATOR: Final = "external-secrets"
INFISICAL_OPERATOR: Final = "infisical-operator"
SYNC_OPERATORS: Final = (EXTERNAL_SECRETS_OPERATOR, INFISICAL_OPERATOR)
LOCATIONS: Final = ("fsn1", "nbg1", "hel1", "ash", "hil", "sin")  # Hetzner's locations
ACME_ENVIRONMENTS: Final = ("production", "staging")  # Let's Encrypt's directories (cluster constants ACME_SERVERS)


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Final = _Required()

ConfigDefault = str | int | bool | list[str] | _Required


@dataclass(frozen=True)
class SettingSpec:
    key: str
    type: str  # the Pulumi.yaml type: string, integer, boolean or array (of strings)
    description: str
    default: ConfigDefault = REQUIRED
    declared: bool = True  # False only for structured values Pulumi.yaml cannot type (the app catalog)

    @property
    def required(self) -> bool:
        return isinstance(self.default, _Required)


SETTINGS: tuple[SettingSpec, ...] = (
    SettingSpec("bifrostEnabled", "boolean", "Provision the Bifrost VPS (Hetzner, Traefik, Authentik, NetBird).",
                True),
    SettingSpec("clusterEnabled", "boolean", "Bootstrap the Kubernetes secrets platform.", True),
    SettingSpec("serverName", "string", "Name of the Hetzner server, SSH key, firewall and primary IP.",
                "bifrost"),
    SettingSpec("location", "string",
                f"Hetzner location ({', '.join(LOCATIONS)}). A change waits for serverReplacement replace.",
                LOCATIONS[0]),
    SettingSpec("serverType", "string", "Hetzner server type; cx22/cpx21 and the other Gen1/Gen2 types are gone.",
                "cx23"),
    SettingSpec("image", "string",
                "Server image. A new image means a new server: the change waits for serverReplacement replace.",
                "ubuntu-24.04"),
    SettingSpec("sshSourceRanges", "array",
                "CIDRs allowed to reach SSH (port 22). No default: use your own address, or 0.0.0.0/0 and ::/0 "
                "on purpose."),
    SettingSpec("sshPublicKey", "string",
                "Your own OpenSSH ed25519 public key for the server; empty means a generated deploy key. "
                "Setting it requires sshPrivateKey.", ""),
    SettingSpec("authentikHost", "string", "Public hostname of Authentik, e.g. auth.example.com."),
    SettingSpec("netbirdHost", "string", "Public hostname of NetBird, e.g. netbird.example.com."),
    SettingSpec("acmeEmail", "string", "Email for Let's Encrypt (Traefik's Cloudflare DNS challenge)."),
    SettingSpec("adminEmail", "string",
                "Email of the first admin: Authentik's akadmin and NetBird's owner account."),
    SettingSpec("serverReplacement", "string",
                "off: changes of cloud-init, image and location are held back and the server is protected. "
                "unprotect: lift Hetzner's delete/rebuild protection (first step of a deliberate replacement; "
                "the changes are still held back). replace: apply them, which replaces the server; the primary "
                "IP is kept.", "off"),
    SettingSpec("bootstrapStageTimeout", "integer",
                "Seconds each bootstrap.sh stage may wait for its services to become healthy.", 300),
    SettingSpec("allowDataKeyChange", "boolean",
                "Explicit override that lets netbirdStoreKey or infisicalEncryptionKey change. Losing the old "
                "key loses the data encrypted with it.", False),
    SettingSpec("infisicalHost", "string", "Public hostname of Infisical in the cluster, e.g. infisical.example.com."),
    SettingSpec("infisicalProjectSlug", "string", "Infisical project slug the sync reads from.", "homelab"),
    SettingSpec("infisicalEnvironment", "string", "Infisical environment slug the sync reads from.", "prod"),
    SettingSpec("defaultSyncOperator", "string",
                "Operator that syncs catalog apps without their own `operator`: "
                f"{EXTERNAL_SECRETS_OPERATOR} or {INFISICAL_OPERATOR}.", EXTERNAL_SECRETS_OPERATOR),
    SettingSpec("installExternalSecrets", "boolean", "Install the External Secrets Operator chart.", True),
    SettingSpec("installInfisicalOperator", "boolean", "Install the Infisical secrets-operator chart.", True),
    SettingSpec("installInfisical", "boolean", "Install Infisical (infisical-standalone) with Helm.", True),
    SettingSpec("installArgocd", "boolean", "Install Argo CD with Helm.", True),
    SettingSpec("infisicalApiUrl", "string",
                "API URL of an existing Infisical, only with installInfisical false (e.g. "
                "http://infisical.infisical.svc.cluster.local:8080/api). Otherwise the operators use the installed "
                "Infisical's in-cluster Service.", ""),
    SettingSpec("installCertManager", "boolean",
                "Install cert-manager (CRDs included) and its Let's Encrypt ClusterIssuer (Cloudflare DNS-01).",
                True),
    SettingSpec("installCloudNativePg", "boolean",
                "Install the CloudNativePG operator that runs Infisical's PostgreSQL; turn it off when the "
                "cluster already runs one.", True),
    SettingSpec("ingressClass", "string",
                "An existing IngressClass for the Infisical and Argo CD Ingresses (with cert-manager TLS). Empty: "
                "no Ingress; no ingress controller is ever installed.", ""),
    SettingSpec("infisicalOrganization", "string",
                "Organization the provisioner Job creates when it bootstraps the installed Infisical.", "homelab"),
    SettingSpec("machineIdentityGeneration", "integer",
                "Rotation counter of the machine identity the provisioner Job issues: bump it for a new client "
                "secret (the old ones are revoked).", 0),
    SettingSpec("clusterIssuer", "string",
                "The ClusterIssuer that issues the Ingresses' certificates: created by the program with "
                "installCertManager, otherwise one that already exists in the cluster.", "letsencrypt"),
    SettingSpec("acmeEnvironment", "string",
                f"Let's Encrypt directory of the cluster's ClusterIssuer: {' or '.join(ACME_ENVIRONMENTS)}.",
                ACME_ENVIRONMENTS[0]),
    SettingSpec("argocdDefaultRole", "string",
                "Argo CD role of every other SSO user (policy.default): role:readonly, or empty for none.",
                "role:readonly"),
    SettingSpec("cloudflareSecretKey", "string",
                "Key name inside cert-manager/cloudflare-api-token (cert-manager's docs use api-token).",
                "api-token"),
    SettingSpec("argocdHost", "string", "Public hostname of Argo CD, used for its OIDC redirect.", ""),
    SettingSpec("grafanaHost", "string",
                "Public hostname of Grafana; when set, Authentik gets Grafana's OAuth2 client (redirect "
                "https://<grafanaHost>/login/generic_oauth).", ""),
    SettingSpec("argocdAdminGroup", "string",
                "Authentik group the blueprint creates for Argo CD admins; Argo CD's RBAC maps the same name.",
                "argocd-admins"),
    SettingSpec("githubOauthClientId", "string",
                "Client ID of a GitHub OAuth app; when set (with authentikGithubSecret), Authentik offers GitHub "
                "login.", ""),
    SettingSpec("dnsZone", "string",
                "Cloudflare zone, found by name, that holds the DNS records of every configured host, e.g. "
                "example.com. Empty: the program manages no DNS record.", ""),
    SettingSpec("dnsUnmanagedHosts", "array",
                "Host keys whose DNS record the program leaves alone, e.g. [argocdHost] (one of authentikHost, "
                "netbirdHost, infisicalHost, argocdHost, grafanaHost).", []),
    SettingSpec("clusterIngressAddresses", "array",
                "IPv4 and/or IPv6 addresses of the cluster's ingress: infisicalHost, argocdHost and grafanaHost "
                "get A/AAAA records to them.", []),
    SettingSpec("apps", "object",
                "App catalog: list of {name, namespace, target (Secret name), path, "
                "keys (Kubernetes key: Infisical key), refreshInterval, operator}.",
                [], declared=False),
)


def generation_settings(specs: tuple[SecretSpec, ...] = SECRETS) -> tuple[SettingSpec, ...]:
    """One rotation counter per generated secret: bumping it regenerates exactly that secret."""
    return tuple(
        SettingSpec(s.generation_key, "integer",
                    f"Rotation counter of the generated {s.config_key}; bump it to regenerate.", 0)
        for s in specs if s.generated
    )


_SCOPE_SWITCHES = {Scope.BIFROST: "bifrostEnabled is true", Scope.CLUSTER: "clusterEnabled is true",
                   Scope.BOTH: "bifrostEnabled or clusterEnabled is true"}


def secret_declaration(spec: SecretSpec) -> dict[str, object]:
    """How Pulumi.yaml declares a secret key: a plain string defaulting to empty, whatever the secret.

    Pulumi makes a declared key without a default mandatory, whichever components are enabled, and a
    `secret: true` key cannot have a default (the CLI would store the default in plaintext and then reject
    it). So no secret is declared `secret: true`: the config model decides which secrets the enabled areas
    require (`components/config/secrets.py`), and it refuses any secret that was not stored encrypted
    with `pulumi config set --secret`.
    """
    description = f"{spec.title}. Secret: set with `pulumi config set --secret`."
    if spec.generated:
        description += " Generated when empty; set it to keep an existing deployment's value."
    elif spec.need is Need.REQUIRED:
        description += f" Required when {_SCOPE_SWITCHES[spec.scope]}."
    return {"type": "string", "description": description, "default": ""}


ALL_SETTINGS: tuple[SettingSpec, ...] = SETTINGS + generation_settings()
BY_KEY: dict[str, SettingSpec] = {s.key: s for s in ALL_SETTINGS}


def default(key: str) -> ConfigDefault:
    return BY_KEY[key].default


def text_default(key: str) -> str:
    """A string setting's default; empty for a required one (its reader reports it missing)."""
    value = BY_KEY[key].default
    return value if isinstance(value, str) else ""


def bool_default(key: str) -> bool:
    value = BY_KEY[key].default
    assert isinstance(value, bool), f"{key} is not a boolean setting"
    return value


def int_default(key: str) -> int:
    value = BY_KEY[key].default
    assert isinstance(value, int) and not isinstance(value, bool), f"{key} is not an integer setting"
    return value


def known_keys() -> frozenset[str]:
    """Every key of the project namespace the program reads: the settings and the secrets."""
    return frozenset(BY_KEY) | frozenset(spec.config_key for spec in SECRETS)
