"""Helm releases: pinned charts from their repositories, each switchable off in the stack config."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_kubernetes as k8s

from components.cluster.base import ClusterBase
from components.cluster.charts import ChartPin
from components.cluster.context import ReleaseContext

RELEASE_TIMEOUT_SECONDS = 600
MAX_HISTORY = 5  # Helm keeps each revision's values in a release Secret


class ClusterReleases(pulumi.ComponentResource):
    def __init__(self, name: str, pins: tuple[ChartPin, ...], context: ReleaseContext, base: ClusterBase,
                 secrets: Mapping[str, pulumi.Resource], earlier: Mapping[str, pulumi.Resource],
                 dns_records: Sequence[pulumi.Resource] = (), opts: pulumi.ResourceOptions | None = None) -> None:
        """`earlier`: releases and custom resources applied before these, by release key or "Kind/name".

        `dns_records`: the cluster hosts' records. A release with an Ingress waits for them, so cert-manager's
        DNS-01 order for the Ingress's certificate starts only once the names resolve.
        """
        super().__init__("homelab:cluster:HelmReleases", name, None, opts)
        self.releases: dict[str, k8s.helm.v3.Release] = {}
        for pin in pins:
            installed: dict[str, pulumi.Resource] = {**earlier, **self.releases}
            depends_on: list[pulumi.Resource] = [base.namespaces[pin.namespace]]
            depends_on += [secrets[secret] for secret in pin.reads if secret in secrets]
            depends_on += [installed[key] for key in (*pin.after, *pin.needs_objects) if key in installed]
            depends_on += list(dns_records) if pin.serves_hosts and context.ingress else []
            self.releases[pin.key] = k8s.helm.v3.Release(
                pin.key,
                name=pin.release_name,
                chart=pin.chart,
                version=pin.version,
                repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=pin.repository),
                namespace=pin.namespace,
                create_namespace=False,
                values=pin.values(context),
                timeout=RELEASE_TIMEOUT_SECONDS,
                max_history=MAX_HISTORY,
                opts=base.child(depends_on=depends_on, parent=self),
            )
        self.register_outputs({})
