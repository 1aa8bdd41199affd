"""The Helm charts the program installs, one record each: pin, placement, values and what a real install runs.

A record carries everything about its chart: the pinned version and repository, where the release goes, the
function that builds its values, when it is installed, the bootstrap Secrets it reads at install time, and the
facts the offline check holds its rendered manifests to (the workloads it may run, the containers whose chart
gives no way to harden them). Adding a chart is one record here and one values function.

`open_maps` lists the value paths a chart documents as free-form maps (any key is passed through), so a key set
under them need not appear in the chart's values.yaml; every other value path must.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from components.cluster import constants as c
from components.cluster import values
from components.cluster.context import ReleaseContext
from components.config.model import ClusterSettings

ValuePath = tuple[str, ...]


@dataclass(frozen=True)
class ChartPin:
    key: str  # Pulumi resource name of the release
    chart: str
    version: str
    repository: str
    release_name: str
    namespace: str
    values: Callable[[ReleaseContext], dict[str, Any]]
    wanted: Callable[[ClusterSettings], bool]
    reads: tuple[str, ...] = ()  # bootstrap Secrets the release needs at install time (created first)
    after: tuple[str, ...] = ()  # keys of releases that must be installed first (their CRDs or webhooks)
    needs_objects: tuple[str, ...] = ()  # "Kind/resource name" of planned custom resources it waits for
    workloads: tuple[str, ...] = ()  # "Kind/name" of every workload a real install runs (hooks included)
    unhardened: tuple[tuple[str, str], ...] = ()  # ("Kind/name/container", why the chart allows no hardening)
    source_offline: bool = True  # False: no copy of the chart's source exists to render (see docs)
    serves_hosts: bool = False  # carries an Ingress: waits for the DNS records before cert-manager is asked
    open_maps: tuple[ValuePath, ...] = ()

    @property
    def source_name(self) -> str:
        """The chart directory's name in a chart cache: `<chart>-<version>`."""
        return f"{self.chart}-{self.version}"


CERT_MANAGER = ChartPin(
    key="cert-manager", chart="cert-manager", version="v1.21.1",
    repository="https://charts.jetstack.io",
    release_name="cert-manager", namespace=c.NS_CERT_MANAGER,
    values=values.cert_manager_values,
    wanted=lambda cluster: cluster.install_cert_manager,
    reads=(c.SECRET_CLOUDFLARE,),
    workloads=("Deployment/cert-manager", "Deployment/cert-manager-cainjector", "Deployment/cert-manager-webhook",
               "Job/cert-manager-startupapicheck"))

EXTERNAL_SECRETS = ChartPin(
    key="external-secrets", chart="external-secrets", version="2.9.0",
    repository="https://charts.external-secrets.io",
    release_name="external-secrets", namespace=c.NS_EXTERNAL_SECRETS,
    values=values.external_secrets_values,
    wanted=lambda cluster: cluster.install_external_secrets,
    workloads=("Deployment/external-secrets", "Deployment/external-secrets-cert-controller",
               "Deployment/external-secrets-webhook"))

INFISICAL_OPERATOR = ChartPin(
    key="secrets-operator", chart="secrets-operator", version="v0.11.5",
    repository="https://dl.cloudsmith.io/public/infisical/helm-charts/helm/charts/",
    release_name="secrets-operator", namespace=c.NS_INFISICAL_OPERATOR,
    values=values.infisical_operator_values,
    wanted=lambda cluster: cluster.install_infisical_operator,
    # The chart's fullname helper truncates to 15 characters (templates/_helpers.tpl).
    workloads=("Deployment/secrets-operato-controller-manager",))

CLOUDNATIVE_PG = ChartPin(
    key="cloudnative-pg", chart="cloudnative-pg", version="0.29.0",
    repository="https://cloudnative-pg.github.io/charts",
    release_name="cnpg", namespace=c.NS_CNPG,
    values=values.cloudnative_pg_values,
    wanted=lambda cluster: cluster.install_infisical and cluster.install_cloudnative_pg,
    workloads=("Deployment/cnpg-cloudnative-pg",))

VALKEY = ChartPin(
    key="valkey", chart="valkey", version="0.11.0",
    repository="https://valkey.io/valkey-helm/",
    release_name=c.VALKEY_RELEASE, namespace=c.NS_INFISICAL,
    values=values.valkey_values,
    wanted=lambda cluster: cluster.install_infisical,
    reads=(c.SECRET_VALKEY_USERS,),
    workloads=(f"Deployment/{c.VALKEY_RELEASE}",),
    # "Custom annotations for pods" and the ACL users map (user name -> settings), both maps in values.yaml.
    open_maps=(("podAnnotations",), ("auth", "aclUsers")))

INFISICAL = ChartPin(
    key="infisical", chart="infisical-standalone", version="1.7.5",
    repository="https://dl.cloudsmith.io/public/infisical/helm-charts/helm/charts/",
    release_name="infisical", namespace=c.NS_INFISICAL,
    values=values.infisical_values,
    wanted=lambda cluster: cluster.install_infisical,
    reads=(c.SECRET_INFISICAL,),
    after=("valkey", "cloudnative-pg"),
    needs_objects=(f"Cluster/{c.NS_INFISICAL}-{c.DATABASE_CLUSTER}",),
    source_offline=False,
    serves_hosts=True,
    # "Custom annotations for Infisical pods", an empty map in values.yaml.
    open_maps=(("infisical", "podAnnotations"), ("ingress", "annotations")))

ARGOCD = ChartPin(
    key="argo-cd", chart="argo-cd", version="10.1.1",
    repository="https://argoproj.github.io/argo-helm",
    release_name="argocd", namespace=c.NS_ARGOCD,
    values=values.argocd_values,
    wanted=lambda cluster: cluster.install_argocd,
    reads=(c.SECRET_ARGOCD_OIDC,),
    serves_hosts=True,
    workloads=("StatefulSet/argocd-application-controller", "Deployment/argocd-applicationset-controller",
               "Deployment/argocd-notifications-controller", "Deployment/argocd-repo-server",
               "Deployment/argocd-server", "Deployment/argocd-redis", "Job/argocd-redis-secret-init"),
    # "Any values you put under `.configs.cm` are passed to argocd-cm ConfigMap" (the chart's values.yaml); the
    # same holds for argocd-cmd-params-cm (`configs.params`) and argocd-rbac-cm (`configs.rbac`).
    open_maps=(("configs", "cm"), ("configs", "params"), ("configs", "rbac"), ("server", "ingress", "annotations")))

# Install order: CRD-bringing operators first, then what runs on them.
ALL: tuple[ChartPin, ...] = (CERT_MANAGER, EXTERNAL_SECRETS, INFISICAL_OPERATOR, CLOUDNATIVE_PG, VALKEY, INFISICAL,
                             ARGOCD)
BY_KEY: dict[str, ChartPin] = {pin.key: pin for pin in ALL}
BY_CHART: dict[str, ChartPin] = {pin.chart: pin for pin in ALL}
