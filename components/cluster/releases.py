"""Helm releases: pinned charts from their repositories, each switchable off in the stack config."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.bootstrap_secrets import BootstrapSecrets
from components.cluster import charts, values
from components.cluster import constants as c
from components.cluster.base import ClusterBase
from components.cluster.bootstrap import ClusterBootstrapSecrets
from components.cluster.charts import ChartPin
from components.cluster.plan import ClusterPlan
from components.settings import ClusterSettings

RELEASE_TIMEOUT_SECONDS = 600
MAX_HISTORY = 5  # Helm keeps each revision's values (secret ones included) in a release Secret


class ClusterReleases(pulumi.ComponentResource):
    def __init__(self, name: str, plan: ClusterPlan, cluster: ClusterSettings, secrets: BootstrapSecrets,
                 base: ClusterBase, bootstrap: ClusterBootstrapSecrets,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("homelab:cluster:HelmReleases", name, None, opts)
        self.releases: dict[str, k8s.helm.v3.Release] = {}
        for pin in plan.releases:
            chart_values, reads = self._values(pin, plan, cluster, secrets, bootstrap)
            depends_on: list[pulumi.Resource] = [base.namespaces[pin.namespace]]
            depends_on += [bootstrap.secrets[secret] for secret in reads if secret in bootstrap.secrets]
            self.releases[pin.key] = k8s.helm.v3.Release(
                pin.key,
                name=pin.release_name,
                chart=pin.chart,
                version=pin.version,
                repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=pin.repository),
                namespace=pin.namespace,
                create_namespace=False,
                values=chart_values,
                timeout=RELEASE_TIMEOUT_SECONDS,
                max_history=MAX_HISTORY,
                opts=base.child(depends_on=depends_on, parent=self),
            )
        self.register_outputs({})

    @staticmethod
    def _values(pin: ChartPin, plan: ClusterPlan, cluster: ClusterSettings, secrets: BootstrapSecrets,
                bootstrap: ClusterBootstrapSecrets) -> tuple[dict[str, Any], tuple[str, ...]]:
        """The chart's values and the bootstrap Secrets the release reads at install time."""
        if pin is charts.EXTERNAL_SECRETS:
            return values.external_secrets_values(), ()
        if pin is charts.INFISICAL_OPERATOR:
            return values.infisical_operator_values(cluster.infisical_host), ()
        if pin is charts.INFISICAL:
            assert bootstrap.infisical_digest is not None
            return values.infisical_values(
                cluster.infisical_host,
                secrets.value("infisical_postgres_password"),
                secrets.value("infisical_redis_password"),
                bootstrap.infisical_digest,
            ), (c.SECRET_INFISICAL,)
        if pin is charts.ARGOCD:
            return values.argocd_values(cluster.argocd_host, plan.oidc_authentik_host), (c.SECRET_ARGOCD_OIDC,)
        raise AssertionError(f"no values for chart {pin.chart}")
