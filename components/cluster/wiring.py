"""What every cluster component receives: one context, never a sibling component.

A component finds what an earlier one created in the context's registry, by planned name (a namespace, a
bootstrap Secret, a release key, "Kind/resource name" of a custom resource), and registers what it creates there.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from components.cluster.context import ReleaseContext
from components.cluster.plan import ClusterPlan, SecretValues
from components.config.model import ClusterSettings
from components.digests import DigestKey


@dataclass
class Created:
    """The cluster resources created so far, by planned name."""

    namespaces: dict[str, pulumi.Resource] = field(default_factory=dict)
    secrets: dict[str, pulumi.Resource] = field(default_factory=dict)  # bootstrap Secrets
    names: dict[str, pulumi.Input[str]] = field(default_factory=dict)  # planned Secret name -> name applied
    digests: dict[str, pulumi.Output[str]] = field(default_factory=dict)  # Secret name -> keyed digest of content
    releases: dict[str, pulumi.Resource] = field(default_factory=dict)  # release key -> Helm release
    objects: dict[str, pulumi.Resource] = field(default_factory=dict)  # "Kind/resource name" -> custom resource

    def secrets_named(self, names: Iterable[str]) -> list[pulumi.Resource]:
        """The bootstrap Secrets of these names that exist (a planned-away Secret is not waited for)."""
        return [self.secrets[name] for name in names if name in self.secrets]


@dataclass(frozen=True)
class ClusterContext:
    plan: ClusterPlan
    cluster: ClusterSettings
    secrets: SecretValues
    provider: k8s.Provider
    digests: DigestKey
    allow_data_key_change: bool  # lifts the guard on keys that encrypt stored data
    dns_records: Sequence[pulumi.Resource] = ()  # the cluster hosts' DNS records
    created: Created = field(default_factory=Created)

    def options(self, parent: pulumi.Resource, depends_on: Sequence[pulumi.Resource] = (),
                retain_on_delete: bool = False) -> pulumi.ResourceOptions:
        """Options for a cluster resource: the explicit-kubeconfig provider, explicit dependencies."""
        return pulumi.ResourceOptions(parent=parent, provider=self.provider, depends_on=list(depends_on),
                                      retain_on_delete=retain_on_delete)

    def release_context(self) -> ReleaseContext:
        """What the charts' values functions read; the digests are those of the bootstrap Secrets created so far."""
        return ReleaseContext(self.cluster, self.plan.oidc_authentik_host, self.created.digests)
