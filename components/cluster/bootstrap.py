"""The bootstrap Secrets: credentials the runtime platform needs before it can start."""

from __future__ import annotations

import pulumi
import pulumi_random as random

from components.cluster import core_kinds, manifests
from components.cluster.plan import GUARDED_SECRETS
from components.cluster.wiring import ClusterContext
from components.secrets_registry import SecretSpec


def guard_name(spec: SecretSpec) -> str:
    """`infisical-encryption-key-guard` for `infisical_encryption_key`."""
    return f"{spec.name.replace('_', '-')}-guard"


def versioned_name(base: str, digest: pulumi.Output[str]) -> pulumi.Output[str]:
    """`<base>-<10 hex of the keyed digest>`: a keyed digest reveals nothing without its key, so it may be plain."""
    plain: pulumi.Output[str] = pulumi.Output.unsecret(digest)
    return plain.apply(lambda value: f"{base}-{value[:10]}")


class ClusterBootstrapSecrets(pulumi.ComponentResource):
    """The bootstrap Secrets, and a guard per secret that encrypts stored data (Infisical's ENCRYPTION_KEY), so that
    it never changes by accident.

    A guard is a protected resource replaced whenever its secret changes: Pulumi refuses to replace a protected
    resource, so a changed key stops `pulumi preview` and `pulumi up` before the Secret holding it is touched.
    `allowDataKeyChange` lifts the protection for a deliberate change.
    """

    def __init__(self, name: str, ctx: ClusterContext, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("homelab:cluster:BootstrapSecrets", name, None, opts)
        created = ctx.created
        self.guards: dict[SecretSpec, random.RandomId] = {
            spec: random.RandomId(
                guard_name(spec),
                byte_length=4,
                keepers={spec.config_key: ctx.secrets.value(spec)},
                opts=pulumi.ResourceOptions(parent=self, protect=not ctx.allow_data_key_change),
            ) for spec in GUARDED_SECRETS}
        for secret in ctx.plan.bootstrap:
            data = secret.data(ctx.secrets, ctx.cluster)
            created.digests[secret.name] = ctx.digests.of(**data)
            applied_name: pulumi.Input[str] = secret.name
            if secret.versioned:
                applied_name = versioned_name(secret.name, created.digests[secret.name])
            created.names[secret.name] = applied_name
            created.secrets[secret.name] = core_kinds.Secret(
                secret.resource_name,
                metadata=manifests.bootstrap_metadata(applied_name, secret.namespace, dict(secret.extra_labels)),
                string_data=data,
                secret_type=secret.secret_type,
                opts=ctx.options(self, depends_on=[created.namespaces[secret.namespace],
                                                   *(self.guards[spec] for spec in secret.guarded)],
                                 retain_on_delete=secret.retain_on_delete),
            )
        self.register_outputs({})
