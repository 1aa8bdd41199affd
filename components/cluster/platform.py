"""The cluster side as one component: provider and namespaces, bootstrap Secrets, Helm releases, custom resources."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi

from components.bootstrap_secrets import BootstrapSecrets
from components.cluster.app_secrets import AppSecrets
from components.cluster.base import ClusterBase
from components.cluster.bootstrap import ClusterBootstrapSecrets
from components.cluster.plan import ClusterPlan, make_plan, registry_seeds
from components.cluster.provisioner import Provisioner
from components.cluster.releases import ClusterReleases
from components.cluster.sync import ClusterObjects
from components.cluster.wiring import ClusterContext
from components.config.model import Settings
from components.digests import DigestKey
from components.secrets_registry import (
    KUBECONFIG,
    MACHINE_IDENTITY_CLIENT_ID,
    MACHINE_IDENTITY_CLIENT_SECRET,
    SECRETS,
    Scope,
    SecretSpec,
)


def available_secrets(secrets: BootstrapSecrets) -> frozenset[SecretSpec]:
    specs = (spec for spec in SECRETS if spec.scope in (Scope.CLUSTER, Scope.BOTH))
    return frozenset(spec for spec in specs if secrets.optional(spec) is not None)


class ClusterPlatform(pulumi.ComponentResource):
    """Order: operators and their CRDs; the custom resources they reconcile; the releases that need those.

    Every part receives one ClusterContext and finds what an earlier part created in its registry.
    """

    def __init__(self, name: str, settings: Settings, secrets: BootstrapSecrets,
                 dns_records: Sequence[pulumi.Resource] = (), opts: pulumi.ResourceOptions | None = None) -> None:
        plan = make_plan(settings.cluster, settings.cluster.authentik_host, available_secrets(secrets))
        if plan.problems:
            raise pulumi.RunError("the cluster settings have problems:\n" + "\n".join(
                f"  - {problem}" for problem in plan.problems))
        super().__init__("homelab:cluster:ClusterPlatform", name, None, opts)
        self.plan: ClusterPlan = plan
        child = pulumi.ResourceOptions(parent=self)
        base = ClusterBase("cluster-base", plan.namespaces, secrets.value(KUBECONFIG), child)
        ctx = ClusterContext(plan, settings.cluster, secrets, base.provider, DigestKey("cluster-digest-key", self),
                             settings.allow_data_key_change, tuple(dns_records))
        ctx.created.namespaces.update(base.namespaces)
        ClusterBootstrapSecrets("cluster-bootstrap", ctx, child)
        ClusterReleases("cluster-releases", tuple(pin for pin in plan.releases if not pin.needs_objects), ctx, child)
        # What the ESO objects carry as their credentials annotation, so a rotation re-syncs them at once: a keyed
        # digest of supplied credentials, or the rotation counter of provisioned ones (the Job issues them).
        credentials: pulumi.Input[str] | None = None
        if plan.provisioner is not None:
            credentials = f"generation-{plan.provisioner.generation}"
        elif plan.machine_identity:
            credentials = ctx.digests.of(client_id=secrets.value(MACHINE_IDENTITY_CLIENT_ID),
                                         client_secret=secrets.value(MACHINE_IDENTITY_CLIENT_SECRET))
        platform_objects = tuple(item for item in plan.objects if not item.needs_identity)
        sync_objects = tuple(item for item in plan.objects if item.needs_identity)
        ClusterObjects("cluster-objects", platform_objects, ctx, opts=child)
        later = tuple(pin for pin in plan.releases if pin.needs_objects)
        ClusterReleases("cluster-apps", later, ctx, child)
        job: list[pulumi.Resource] = []
        if plan.provisioner is not None:
            generated = AppSecrets("cluster-app-secrets", settings.cluster.apps, child)
            for entry in registry_seeds(settings.cluster):
                generated.values[entry.seed.file] = secrets.value(entry.spec)
            readers = [secret.name for secret in plan.bootstrap if secret.provisioner_reads]
            provisioner = Provisioner(
                "cluster-provisioner", ctx,
                [*(ctx.created.releases[pin.key] for pin in later), *ctx.created.secrets_named(readers)],
                generated.values, child)
            job = [provisioner.job] if provisioner.job else []
        # Every sync object starts once the Job has filled the credentials Secret it reads.
        ClusterObjects("cluster-sync", sync_objects, ctx, credentials, extra=job, opts=child)
        self.register_outputs({})
