"""The cluster side as one component: provider and namespaces, bootstrap Secrets, Helm releases, runtime sync."""

from __future__ import annotations

import pulumi

from components.bootstrap_secrets import BootstrapSecrets
from components.cluster.base import ClusterBase
from components.cluster.bootstrap import ClusterBootstrapSecrets
from components.cluster.plan import ClusterPlan, make_plan
from components.cluster.releases import ClusterReleases
from components.cluster.sync import RuntimeSync
from components.digests import DigestKey
from components.secrets_registry import SECRETS, Scope
from components.settings import Settings


def available_secrets(secrets: BootstrapSecrets) -> frozenset[str]:
    names = (spec.name for spec in SECRETS if spec.scope in (Scope.CLUSTER, Scope.BOTH))
    return frozenset(name for name in names if secrets.optional(name) is not None)


class ClusterPlatform(pulumi.ComponentResource):
    def __init__(self, name: str, settings: Settings, secrets: BootstrapSecrets,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        plan = make_plan(settings.cluster, settings.cluster.authentik_host, available_secrets(secrets))
        if plan.problems:
            raise pulumi.RunError("the cluster settings have problems:\n" + "\n".join(
                f"  - {problem}" for problem in plan.problems))
        super().__init__("homelab:cluster:ClusterPlatform", name, None, opts)
        self.plan: ClusterPlan = plan
        child = pulumi.ResourceOptions(parent=self)
        self.base = ClusterBase("cluster-base", plan, secrets.value("kubeconfig"), child)
        digests = DigestKey("cluster-digest-key", self)
        self.bootstrap = ClusterBootstrapSecrets("cluster-bootstrap", plan, settings.cluster, secrets, self.base,
                                                 settings.allow_data_key_change, digests, child)
        self.releases = ClusterReleases("cluster-releases", plan, settings.cluster, secrets, self.base,
                                        self.bootstrap, child)
        self.sync = RuntimeSync("cluster-sync", plan, settings.cluster, self.base, self.bootstrap, self.releases,
                                secrets, digests, child)
        self.register_outputs({})
