"""Helm releases: pinned charts from their repositories, each switchable off in the stack config."""

from __future__ import annotations

import pulumi

from components.cluster import core_kinds
from components.cluster.charts import ChartPin
from components.cluster.wiring import ClusterContext

RELEASE_TIMEOUT_SECONDS = 600
MAX_HISTORY = 5  # Helm keeps each revision's values in a release Secret


class ClusterReleases(pulumi.ComponentResource):
    def __init__(self, name: str, pins: tuple[ChartPin, ...], ctx: ClusterContext,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        """Each release waits for its namespace, the bootstrap Secrets it reads, and the releases and custom
        resources created before it that its record names (`after`, `needs_objects`).

        A release with an Ingress also waits for the cluster hosts' DNS records, so cert-manager's DNS-01 order for
        the Ingress's certificate starts only once the names resolve.
        """
        super().__init__("homelab:cluster:HelmReleases", name, None, opts)
        created = ctx.created
        values_context = ctx.release_context()
        for pin in pins:
            installed: dict[str, pulumi.Resource] = {**created.objects, **created.releases}
            depends_on: list[pulumi.Resource] = [created.namespaces[pin.namespace]]
            depends_on += created.secrets_named(pin.reads)
            depends_on += [installed[key] for key in (*pin.after, *pin.needs_objects) if key in installed]
            depends_on += list(ctx.dns_records) if pin.serves_hosts and values_context.ingress else []
            created.releases[pin.key] = core_kinds.Release(
                pin.key,
                release_name=pin.release_name,
                chart=pin.chart,
                version=pin.version,
                repository=pin.repository,
                namespace=pin.namespace,
                values=pin.values(values_context),
                timeout=RELEASE_TIMEOUT_SECONDS,
                max_history=MAX_HISTORY,
                opts=ctx.options(self, depends_on=depends_on),
            )
        self.register_outputs({})
