"""The bootstrap Secrets: credentials the runtime platform needs before it can start."""

from __future__ import annotations

import pulumi
import pulumi_random as random

from components.bootstrap_secrets import BootstrapSecrets
from components.cluster import core_kinds, manifests
from components.cluster.base import ClusterBase
from components.cluster.plan import ClusterPlan, bootstrap_keys
from components.config.model import ClusterSettings
from components.digests import DigestKey
from components.secrets_registry import INFISICAL_ENCRYPTION_KEY

ENCRYPTION_KEY_GUARD = "infisical-encryption-key-guard"


def versioned_name(base: str, digest: pulumi.Output[str]) -> pulumi.Output[str]:
    """`<base>-<10 hex of the keyed digest>`: a keyed digest reveals nothing without its key, so it may be plain."""
    plain: pulumi.Output[str] = pulumi.Output.unsecret(digest)
    return plain.apply(lambda value: f"{base}-{value[:10]}")


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
        self.digests: dict[str, pulumi.Output[str]] = {}  # Secret name -> keyed digest of its content
        self.names: dict[str, pulumi.Input[str]] = {}  # planned name -> name applied (versioned Secrets differ)
        self.key_guard = random.RandomId(
            ENCRYPTION_KEY_GUARD,
            byte_length=4,
            keepers={"infisicalEncryptionKey": secrets.value(INFISICAL_ENCRYPTION_KEY)},
            opts=pulumi.ResourceOptions(parent=self, protect=not allow_key_change),
        )
        for secret in plan.bootstrap:
            data = dict(secret.data(secrets, cluster))
            keys = bootstrap_keys(secret, cluster)
            assert tuple(data) == keys, f"{secret.name}: keys {tuple(data)} != plan {keys}"
            guards = [self.key_guard] if INFISICAL_ENCRYPTION_KEY in secret.secrets else []
            self.digests[secret.name] = digests.of(**data)
            applied_name: pulumi.Input[str] = secret.name
            if secret.versioned:
                applied_name = versioned_name(secret.name, self.digests[secret.name])
            self.names[secret.name] = applied_name
            self.secrets[secret.name] = core_kinds.Secret(
                secret.resource_name,
                metadata=manifests.bootstrap_metadata(applied_name, secret.namespace, dict(secret.extra_labels)),
                string_data=data,
                secret_type=secret.secret_type,
                opts=base.child(depends_on=[base.namespaces[secret.namespace], *guards],
                                retain_on_delete=secret.retain_on_delete, parent=self),
            )
        self.register_outputs({})
