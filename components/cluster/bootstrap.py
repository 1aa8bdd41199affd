"""The bootstrap Secrets: credentials the runtime platform needs before it can start."""

from __future__ import annotations

import pulumi
import pulumi_random as random

from components.bootstrap_secrets import BootstrapSecrets
from components.cluster import constants as c
from components.cluster import core_kinds, manifests
from components.cluster.base import ClusterBase
from components.cluster.plan import BootstrapSecret, ClusterPlan
from components.digests import DigestKey
from components.settings import ClusterSettings

ENCRYPTION_KEY_GUARD = "infisical-encryption-key-guard"


def _string_data(secret: BootstrapSecret, cluster: ClusterSettings,
                 secrets: BootstrapSecrets) -> dict[str, pulumi.Input[str]]:
    """Each key's value: secret Outputs (`secrets.value` is always secret), except the plain SITE_URL."""
    if secret.name == c.SECRET_INFISICAL:
        return {
            "AUTH_SECRET": secrets.value("infisical_auth_secret"),
            "ENCRYPTION_KEY": secrets.value("infisical_encryption_key"),
            "SITE_URL": f"https://{cluster.infisical_host}",
        }
    if secret.name == c.SECRET_CLOUDFLARE:
        return {cluster.cloudflare_secret_key: secrets.value("cloudflare_api_token")}
    if secret.name == c.SECRET_INFISICAL_HELM:
        # Rendered inside the apply: the text exists only within the secret Output.
        blob: pulumi.Output[str] = pulumi.Output.all(
            secrets.value("infisical_postgres_password"), secrets.value("infisical_redis_password"),
        ).apply(lambda passwords: manifests.infisical_helm_values_blob(passwords[0], passwords[1]))
        return {c.KEY_HELM_VALUES: pulumi.Output.secret(blob)}
    if secret.name == c.SECRET_MACHINE_IDENTITY:
        return {
            c.KEY_CLIENT_ID: secrets.value("machine_identity_client_id"),
            c.KEY_CLIENT_SECRET: secrets.value("machine_identity_client_secret"),
        }
    if secret.name == c.SECRET_ARGOCD_OIDC:
        return {c.KEY_OIDC_CLIENT_SECRET: secrets.value("argocd_oidc_client_secret")}
    raise AssertionError(f"no data for bootstrap Secret {secret.namespace}/{secret.name}")


class ClusterBootstrapSecrets(pulumi.ComponentResource):
    """The bootstrap Secrets, and the guard that keeps Infisical's ENCRYPTION_KEY from changing by accident.

    The guard is a protected resource replaced whenever the key changes: Pulumi refuses to replace a
    protected resource, so a changed key stops `pulumi preview` and `pulumi up` before the Secret holding
    it is touched. `allowDataKeyChange` lifts the protection for a deliberate change.
    """

    def __init__(self, name: str, plan: ClusterPlan, cluster: ClusterSettings, secrets: BootstrapSecrets,
                 base: ClusterBase, allow_key_change: bool, digests: DigestKey,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("homelab:cluster:BootstrapSecrets", name, None, opts)
        self.secrets: dict[str, core_kinds.Secret] = {}
        self.infisical_digest: pulumi.Output[str] | None = None  # of infisical-secrets' content
        self.key_guard = random.RandomId(
            ENCRYPTION_KEY_GUARD,
            byte_length=4,
            keepers={"infisicalEncryptionKey": secrets.value("infisical_encryption_key")},
            opts=pulumi.ResourceOptions(parent=self, protect=not allow_key_change),
        )
        for secret in plan.bootstrap:
            data = _string_data(secret, cluster, secrets)
            assert tuple(data) == secret.keys, f"{secret.name}: keys {tuple(data)} != plan {secret.keys}"
            guards = [self.key_guard] if "infisical_encryption_key" in secret.secrets else []
            if secret.name == c.SECRET_INFISICAL:
                self.infisical_digest = digests.of(**data)
            self.secrets[secret.name] = core_kinds.Secret(
                secret.resource_name,
                metadata=manifests.bootstrap_metadata(secret.name, secret.namespace, dict(secret.extra_labels)),
                string_data=data,
                opts=base.child(depends_on=[base.namespaces[secret.namespace], *guards],
                                retain_on_delete=secret.retain_on_delete, parent=self),
            )
        self.register_outputs({})
