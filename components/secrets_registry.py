"""Every bootstrap secret of the product, declared once.

Rendering, validation, the secrets table of docs/reference.md, the offline check and the leak canaries all read this
registry, so a secret cannot be added in one place and forgotten in another.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from components import formats
from components.config_commands import PROJECT, config_set, full_key
from components.formats import FormatRule

__all__ = ["PROJECT"]  # re-exported: the registry's readers name the namespace with its secrets


class Scope(Enum):
    BIFROST = "bifrost"
    CLUSTER = "cluster"
    BOTH = "both"


class Need(Enum):
    """When an operator-supplied secret must be present."""

    REQUIRED = "required"
    LATER = "later"  # issued by a running service after the first deploy; its consumer waits until set
    OPTIONAL = "optional"  # only for an optional feature; the setting that turns it on requires it


@dataclass(frozen=True)
class RandomPasswordGen:
    length: int
    with_bcrypt: bool = False


@dataclass(frozen=True)
class RandomBytesGen:
    length: int
    encoding: str  # "hex" or "base64"


@dataclass(frozen=True)
class Ed25519Gen:
    pass


Generator = RandomPasswordGen | RandomBytesGen | Ed25519Gen


@dataclass(frozen=True, eq=False)  # one record per secret: compared and hashed by identity, a typed handle
class SecretSpec:
    name: str
    config_key: str
    title: str
    scope: Scope
    format: FormatRule
    rotatable: bool
    rotation_note: str
    consumers: tuple[str, ...]
    generator: Generator | None = None
    need: Need = Need.REQUIRED
    guards_data: bool = False  # encrypts stored data: a change is refused unless allowDataKeyChange is set
    why_manual: str = ""  # why a person must supply it, for the pending step
    # The Pulumi resource name of the generated secret's resource, fixed on the record: renaming config_key
    # must not regenerate the secret (nor, for a data key, stop the deploy at its guard).
    state_name: str = ""
    required_with: str = ""  # a setting that, when set, requires this secret too
    operator_output: str = ""  # stack output (encrypted) that hands the operator the generated value to sign in with

    def __post_init__(self) -> None:
        if self.generator is not None and not self.state_name:
            raise ValueError(f"{self.name}: a generated secret needs a fixed state_name")

    @property
    def generated(self) -> bool:
        return self.generator is not None

    @property
    def full_key(self) -> str:
        return full_key(self.config_key)

    @property
    def generation_key(self) -> str:
        return f"{self.config_key}Generation"

    def set_command(self) -> str:
        if self.format.read_from_file:
            return config_set(self.config_key, secret=True, from_file=True)
        return config_set(self.config_key, f"'<{self.config_key}>'", secret=True)



HCLOUD_TOKEN = SecretSpec(
    name="hcloud_token", config_key="hcloudToken", title="Hetzner Cloud API token",
    scope=Scope.BIFROST, format=formats.HCLOUD_TOKEN, rotatable=True,
    rotation_note="issue a new token in the Hetzner console, set it, `pulumi up`",
    consumers=("hcloud provider (explicit, never ambient)",))

CLOUDFLARE_API_TOKEN = SecretSpec(
    name="cloudflare_api_token", config_key="cloudflareApiToken",
    title="Cloudflare API token (Zone DNS edit)", scope=Scope.BOTH, format=formats.API_TOKEN,
    rotatable=True, rotation_note="set the new token, `pulumi up`: Traefik is recreated, the Secret updated",
    consumers=("bifrost traefik: CF_DNS_API_TOKEN",
               "cluster Secret cert-manager/cloudflare-api-token: key cloudflareSecretKey (api-token)"))

NETBIRD_STORE_KEY = SecretSpec(
    name="netbird_store_key", config_key="netbirdStoreKey",
    title="NetBird store encryption key (NB_DATA_STORE_KEY)", scope=Scope.BIFROST,
    format=formats.BASE64_32_BYTES, rotatable=False,
    rotation_note="never: the NetBird database is encrypted with it; a change loses every peer",
    consumers=("bifrost netbird config.yaml: server.store.encryptionKey",),
    generator=RandomBytesGen(32, "base64"), guards_data=True,
    state_name="netbirdStoreKey")

NETBIRD_RELAY_SECRET = SecretSpec(
    name="netbird_relay_secret", config_key="netbirdRelaySecret",
    title="NetBird relay auth secret (NB_RELAY_SECRET)", scope=Scope.BIFROST,
    format=formats.BASE64_32_BYTES, rotatable=True,
    rotation_note="bump its generation, `pulumi up`: every peer reconnects to the relay",
    consumers=("bifrost netbird config.yaml: server.authSecret",),
    generator=RandomBytesGen(32, "base64"),
    state_name="netbirdRelaySecret")

NETBIRD_OWNER_PASSWORD_HASH = SecretSpec(
    name="netbird_owner_password_hash", config_key="netbirdOwnerPasswordHash",
    title="NetBird owner password (bcrypt hash in config.yaml)", scope=Scope.BIFROST,
    format=formats.BCRYPT_HASH, rotatable=True,
    rotation_note="read on first start only: change the password in the NetBird dashboard",
    consumers=("bifrost netbird config.yaml: server.auth.owner.password",),
    generator=RandomPasswordGen(24, with_bcrypt=True), operator_output="netbirdOwnerPassword",
    state_name="netbirdOwnerPasswordHash")

NETBIRD_PROXY_TOKEN = SecretSpec(
    name="netbird_proxy_token", config_key="netbirdProxyToken",
    title="NetBird proxy access token (NB_PROXY_TOKEN)", scope=Scope.BIFROST,
    format=formats.API_TOKEN, rotatable=True, need=Need.OPTIONAL,
    rotation_note="issued on the VPS by bootstrap.sh (netbird-server admin token create) and kept there; "
                  "set it only to keep an existing token: a supplied one wins",
    consumers=("bifrost netbird-proxy: NB_PROXY_TOKEN",))

NETBIRD_SETUP_KEY = SecretSpec(
    name="netbird_setup_key", config_key="netbirdSetupKey",
    title="NetBird setup key of the Bifrost routing agent (NB_BIFROST_SETUP_KEY)", scope=Scope.BIFROST,
    format=formats.UUID, rotatable=True, need=Need.LATER,
    rotation_note="create a new setup key in the NetBird dashboard, set it, `pulumi up`",
    consumers=("bifrost netbird-agent: NB_SETUP_KEY",),
    why_manual="NetBird cannot mint, without a person, the admin token its API needs to create a setup key "
               "(netbirdio/netbird#5898): create one in the dashboard (Setup Keys)")

AUTHENTIK_SECRET_KEY = SecretSpec(
    name="authentik_secret_key", config_key="authentikSecretKey",
    title="Authentik secret key (AUTHENTIK_SECRET_KEY)", scope=Scope.BIFROST,
    format=formats.DJANGO_SECRET_KEY, rotatable=True,
    rotation_note="bump its generation, `pulumi up`: sessions are signed out",
    consumers=("bifrost authentik-migrate, authentik-server, authentik-worker: AUTHENTIK_SECRET_KEY",),
    generator=RandomPasswordGen(64),
    state_name="authentikSecretKey")

AUTHENTIK_POSTGRES_PASSWORD = SecretSpec(
    name="authentik_postgres_password", config_key="authentikPostgresPassword",
    title="Authentik PostgreSQL password", scope=Scope.BIFROST, format=formats.ALNUM_16_128,
    rotatable=False,
    rotation_note="postgres reads it at initdb only: change it with ALTER USER first, then set it",
    consumers=("bifrost authentik-postgres: POSTGRES_PASSWORD",
               "bifrost authentik-migrate, authentik-server, authentik-worker: AUTHENTIK_POSTGRESQL__PASSWORD"),
    generator=RandomPasswordGen(32),
    state_name="authentikPostgresPassword")

AUTHENTIK_BOOTSTRAP_TOKEN = SecretSpec(
    name="authentik_bootstrap_token", config_key="authentikBootstrapToken",
    title="Authentik bootstrap API token (AUTHENTIK_BOOTSTRAP_TOKEN)", scope=Scope.BIFROST,
    format=formats.ALNUM_32_128, rotatable=False,
    rotation_note="read on first start only: delete the token in Authentik instead",
    consumers=("bifrost authentik-worker: AUTHENTIK_BOOTSTRAP_TOKEN",),
    generator=RandomPasswordGen(60),
    state_name="authentikBootstrapToken")

AUTHENTIK_BOOTSTRAP_PASSWORD = SecretSpec(
    name="authentik_bootstrap_password", config_key="authentikBootstrapPassword",
    title="Authentik akadmin password (AUTHENTIK_BOOTSTRAP_PASSWORD)", scope=Scope.BIFROST,
    format=formats.ALNUM_16_128, rotatable=False,
    rotation_note="read on first start only: change it in the Authentik UI",
    consumers=("bifrost authentik-worker: AUTHENTIK_BOOTSTRAP_PASSWORD",),
    generator=RandomPasswordGen(32), operator_output="authentikAdminPassword",
    state_name="authentikBootstrapPassword")

AUTHENTIK_API_TOKEN = SecretSpec(
    name="authentik_api_token", config_key="authentikApiToken",
    title="Authentik API token for NetBird and automation (identifier bifrost-automation)",
    scope=Scope.BIFROST, format=formats.ALNUM_32_128, rotatable=True,
    rotation_note="bump its generation, `pulumi up`: bootstrap.sh updates the token key in place",
    consumers=("bifrost authentik-worker: BIFROST_API_TOKEN (read inside the container by ak shell)",),
    generator=RandomPasswordGen(60),
    state_name="authentikApiToken")

SSH_HOST_KEY = SecretSpec(
    name="ssh_host_key", config_key="sshHostPrivateKey", title="Bifrost SSH host key (ed25519)",
    scope=Scope.BIFROST, format=formats.OPENSSH_PRIVATE_KEY, rotatable=False,
    rotation_note="part of cloud-init: a new host key means a new server (see the replacement path)",
    consumers=("bifrost cloud-init ssh_keys", "host_key pin of every SSH connection (public half)"),
    generator=Ed25519Gen(),
    state_name="sshHostPrivateKey")

SSH_DEPLOY_KEY = SecretSpec(
    name="ssh_deploy_key", config_key="sshPrivateKey", title="SSH deploy key Pulumi connects with",
    scope=Scope.BIFROST, format=formats.OPENSSH_PRIVATE_KEY, rotatable=False,
    rotation_note="the server's authorized key is set at creation: rotate by hand on the server first",
    consumers=("every remote.Command / CopyToRemote connection", "hcloud SSH key (public half)"),
    generator=Ed25519Gen(), required_with="sshPublicKey", operator_output="bifrostDeployKey",
    state_name="sshPrivateKey")

KUBECONFIG = SecretSpec(
    name="kubeconfig", config_key="kubeconfig", title="kubeconfig of the target cluster",
    scope=Scope.CLUSTER, format=formats.KUBECONFIG, rotatable=True,
    rotation_note="set the new kubeconfig, `pulumi up`",
    consumers=("kubernetes provider (explicit, never ambient)",))

INFISICAL_ENCRYPTION_KEY = SecretSpec(
    name="infisical_encryption_key", config_key="infisicalEncryptionKey",
    title="Infisical ENCRYPTION_KEY", scope=Scope.CLUSTER, format=formats.HEX_32, rotatable=False,
    rotation_note="never: Infisical's stored secrets are encrypted with it",
    consumers=("cluster Secret infisical/infisical-secrets: ENCRYPTION_KEY",),
    generator=RandomBytesGen(16, "hex"), guards_data=True,
    state_name="infisicalEncryptionKey")

INFISICAL_AUTH_SECRET = SecretSpec(
    name="infisical_auth_secret", config_key="infisicalAuthSecret", title="Infisical AUTH_SECRET",
    scope=Scope.CLUSTER, format=formats.BASE64_32_BYTES, rotatable=True,
    rotation_note="bump its generation, `pulumi up`: Infisical restarts, users sign in again",
    consumers=("cluster Secret infisical/infisical-secrets: AUTH_SECRET",),
    generator=RandomBytesGen(32, "base64"),
    state_name="infisicalAuthSecret")

INFISICAL_POSTGRES_PASSWORD = SecretSpec(
    name="infisical_postgres_password", config_key="infisicalPostgresPassword",
    title="Infisical PostgreSQL password", scope=Scope.CLUSTER, format=formats.ALNUM_16_128,
    rotatable=True,
    rotation_note="bump its generation, `pulumi up`: CloudNativePG sets the owner's new password from its "
                  "Secret, Infisical restarts with the new connection string",
    consumers=("cluster Secret infisical/infisical-db-credentials: password (CloudNativePG initdb owner)",
               "cluster Secret infisical/infisical-secrets: DB_CONNECTION_URI"),
    generator=RandomPasswordGen(32),
    state_name="infisicalPostgresPassword")

INFISICAL_REDIS_PASSWORD = SecretSpec(
    name="infisical_redis_password", config_key="infisicalRedisPassword",
    title="Infisical Redis password", scope=Scope.CLUSTER, format=formats.ALNUM_16_128, rotatable=True,
    rotation_note="bump its generation, `pulumi up`: Valkey and Infisical restart",
    consumers=("cluster Secret infisical/infisical-valkey-users: default (Valkey ACL user)",
               "cluster Secret infisical/infisical-secrets: REDIS_URL"),
    generator=RandomPasswordGen(32),
    state_name="infisicalRedisPassword")

INFISICAL_ADMIN_PASSWORD = SecretSpec(
    name="infisical_admin_password", config_key="infisicalAdminPassword",
    title="Infisical admin user password (instance bootstrap)", scope=Scope.CLUSTER,
    format=formats.ALNUM_16_128, rotatable=False,
    rotation_note="read once, when the infisical-bootstrap Job bootstraps the instance: change it in the "
                  "Infisical UI afterwards",
    consumers=("cluster Secret infisical/infisical-admin: password (env of the infisical-bootstrap Job, "
               "POST /api/v1/admin/bootstrap on the first run only)",),
    generator=RandomPasswordGen(32), operator_output="infisicalAdminPassword",
    state_name="infisicalAdminPassword")

MACHINE_IDENTITY_CLIENT_ID = SecretSpec(
    name="machine_identity_client_id", config_key="machineIdentityClientId",
    title="Infisical machine identity client ID (universal auth)", scope=Scope.CLUSTER,
    format=formats.UUID, rotatable=True, need=Need.OPTIONAL,
    rotation_note="only to keep an existing identity, or with installInfisical false (otherwise the "
                  "provisioner Job issues it: bump machineIdentityGeneration): set both, `pulumi up`",
    consumers=("cluster Secret external-secrets/infisical-machine-identity: clientId (ClusterSecretStore)",
               "cluster Secret infisical-operator-system/infisical-operator-identity-<digest>: clientId "
               "(InfisicalAuth)"))

MACHINE_IDENTITY_CLIENT_SECRET = SecretSpec(
    name="machine_identity_client_secret", config_key="machineIdentityClientSecret",
    title="Infisical machine identity client secret", scope=Scope.CLUSTER, format=formats.API_TOKEN,
    rotatable=True, need=Need.OPTIONAL,
    rotation_note="only to keep an existing identity, or with installInfisical false (otherwise the "
                  "provisioner Job issues it: bump machineIdentityGeneration): set both, `pulumi up`",
    consumers=("cluster Secret external-secrets/infisical-machine-identity: clientSecret (ClusterSecretStore)",
               "cluster Secret infisical-operator-system/infisical-operator-identity-<digest>: clientSecret "
               "(InfisicalAuth)"))

ARGOCD_OIDC_CLIENT_SECRET = SecretSpec(
    name="argocd_oidc_client_secret", config_key="argocdOidcClientSecret",
    title="Argo CD OIDC client secret (Authentik provider argocd)", scope=Scope.BOTH,
    format=formats.API_TOKEN, rotatable=True,
    rotation_note="bump its generation, `pulumi up`: Authentik re-applies its blueprint, Argo CD's Secret is "
                  "updated",
    consumers=("bifrost authentik-worker: BIFROST_ARGOCD_CLIENT_SECRET (blueprint !Env, OAuth2 provider argocd)",
               "cluster Secret argocd/argocd-oidc: clientSecret (labelled part-of argocd)",
               "helm argo-cd: configs.cm oidc.config references $argocd-oidc:clientSecret"),
    generator=RandomPasswordGen(48),
    state_name="argocdOidcClientSecret")

GRAFANA_OAUTH_CLIENT_SECRET = SecretSpec(
    name="grafana_oauth_client_secret", config_key="grafanaOauthClientSecret",
    title="Grafana OAuth client secret (Authentik provider grafana, GRAFANA_OAUTH_CLIENT_SECRET)",
    scope=Scope.BOTH, format=formats.API_TOKEN, rotatable=True,
    rotation_note="bump its generation, `pulumi up`: Authentik re-applies its blueprint, Grafana's Secret is "
                  "updated",
    consumers=("bifrost authentik-worker: BIFROST_GRAFANA_CLIENT_SECRET (blueprint !Env, OAuth2 provider "
               "grafana; declared when grafanaHost is set)",
               "Grafana's generic OAuth client secret on the cluster side"),
    generator=RandomPasswordGen(48),
    state_name="grafanaOauthClientSecret")

AUTHENTIK_GITHUB_SECRET = SecretSpec(
    name="authentik_github_secret", config_key="authentikGithubSecret",
    title="GitHub OAuth app client secret of Authentik's GitHub source (AUTHENTIK_GITHUB_SECRET)",
    scope=Scope.BIFROST, format=formats.API_TOKEN, rotatable=True, need=Need.OPTIONAL,
    rotation_note="generate a new secret in the GitHub OAuth app, set it, `pulumi up`",
    consumers=("bifrost authentik-worker: BIFROST_GITHUB_CLIENT_SECRET (blueprint !Env, OAuth source github; "
               "declared when githubOauthClientId is set)",),
    required_with="githubOauthClientId")

SECRETS: tuple[SecretSpec, ...] = (
    HCLOUD_TOKEN,
    CLOUDFLARE_API_TOKEN,
    NETBIRD_STORE_KEY,
    NETBIRD_RELAY_SECRET,
    NETBIRD_OWNER_PASSWORD_HASH,
    NETBIRD_PROXY_TOKEN,
    NETBIRD_SETUP_KEY,
    AUTHENTIK_SECRET_KEY,
    AUTHENTIK_POSTGRES_PASSWORD,
    AUTHENTIK_BOOTSTRAP_TOKEN,
    AUTHENTIK_BOOTSTRAP_PASSWORD,
    AUTHENTIK_API_TOKEN,
    SSH_HOST_KEY,
    SSH_DEPLOY_KEY,
    KUBECONFIG,
    INFISICAL_ENCRYPTION_KEY,
    INFISICAL_AUTH_SECRET,
    INFISICAL_POSTGRES_PASSWORD,
    INFISICAL_REDIS_PASSWORD,
    INFISICAL_ADMIN_PASSWORD,
    MACHINE_IDENTITY_CLIENT_ID,
    MACHINE_IDENTITY_CLIENT_SECRET,
    ARGOCD_OIDC_CLIENT_SECRET,
    GRAFANA_OAUTH_CLIENT_SECRET,
    AUTHENTIK_GITHUB_SECRET,
)

BY_KEY: dict[str, SecretSpec] = {spec.config_key: spec for spec in SECRETS}
