"""The Helm charts the program installs, one record each: pin, placement, values and what a real install runs.

A record carries everything about its chart: the pinned version and repository, where the release goes, the
function that builds its values, when it is installed, the bootstrap Secrets it reads at install time, the custom
resources the program plans for its controller, and the facts the offline check holds its rendered manifests to
(the workloads it may run, the containers whose chart gives no way to harden them, what its controller creates at
run time). Adding a chart is one record here, one values function and, when the program plans custom resources
for its controller, one function in `custom_resources`.

`open_maps` lists the value paths a chart documents as free-form maps (any key is passed through), so a key set
under them need not appear in the chart's values.yaml; every other value path must.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from components.cluster import constants as c
from components.cluster import custom_resources, runtime, upstream, values
from components.cluster.context import ReleaseContext
from components.cluster.objects import ObjectContext, PlannedObject
from components.config import schema as config_schema
from components.config.model import ClusterSettings

ValuePath = tuple[str, ...]


@dataclass(frozen=True)
class ConfigSecretRefs:
    """A ConfigMap of the chart whose `$<secret>:<key>` values the chart's server resolves from Secrets, and the
    label such a Secret must carry to be read."""

    configmap: str
    label: tuple[str, str]

    def refs(self, manifest: dict[str, Any]) -> list[runtime.SecretKeyRef]:
        """The `$<secret>:<key>` references in the ConfigMap's values (none in any other object)."""
        metadata = manifest.get("metadata", {})
        if manifest.get("kind") != "ConfigMap" or metadata.get("name") != self.configmap:
            return []
        return [runtime.SecretKeyRef(str(metadata.get("namespace") or ""), name, key, self.label)
                for text in (manifest.get("data") or {}).values() for name, key in _DOLLAR_REF.findall(str(text))]


_DOLLAR_REF = re.compile(r"\$([a-z0-9][a-z0-9.-]*):([A-Za-z0-9_.-]+)")


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
    # False: no offline copy of the chart's source exists; it is rendered once `python -m verify charts fetch`
    # has pulled it from its repository, and checked against its cited templates (`upstream`) until then. Its
    # `workloads` and `unhardened` were then written without a render: the first render will report what they
    # lack, to be filled in from it.
    source_offline: bool = True
    serves_hosts: bool = False  # carries an Ingress: waits for the DNS records before cert-manager is asked
    open_maps: tuple[ValuePath, ...] = ()
    # The custom resources the program plans for this chart's controller (see custom_resources.py); called
    # whether or not the chart is installed, with the catalog apps whose `operator` is `operator`.
    objects: Callable[[ObjectContext], tuple[PlannedObject, ...]] = custom_resources.none
    operator: str = ""  # the catalog's `operator` value of apps this chart's controller syncs
    # Kind -> what the chart's controller creates at run time from an object of that kind (see runtime.py).
    controllers: tuple[tuple[str, runtime.Controller], ...] = ()
    # Kind -> the Secret references its controller follows in an object of that kind (see runtime.py).
    secret_readers: tuple[tuple[str, runtime.Reader], ...] = ()
    # What the chart renders, from its cited templates, when no copy of its source exists to render.
    upstream: Callable[[dict[str, Any], str], list[dict[str, Any]]] | None = None
    # (kind, field path) through which its controller reaches Infisical: an in-cluster Service URL when the program
    # installs Infisical, never a public host (that needs DNS, TLS and an ingress controller; they get no CA).
    in_cluster_fields: tuple[tuple[str, ValuePath], ...] = ()
    issues_certificates: bool = False  # its ClusterIssuers issue the Ingresses' certificates
    serves_infisical_api: bool = False  # in-cluster clients reach Infisical's API through its Service
    namespace_kept: bool = False  # its namespace is created even while the chart is not installed

    @property
    def source_name(self) -> str:
        """The chart directory's name in a chart cache: `<chart>-<version>`."""
        return f"{self.chart}-{self.version}"


CERT_MANAGER = ChartPin(
    key="cert-manager", chart="cert-manager", version="v1.21.1",
    repository="https://charts.jetstack.io",
    release_name="cert-manager", namespace=c.NS_CERT_MANAGER,
    values=values.cert_manager_values,
    namespace_kept=True,
    wanted=lambda cluster: cluster.install_cert_manager,
    reads=(c.SECRET_CLOUDFLARE,),
    workloads=("Deployment/cert-manager", "Deployment/cert-manager-cainjector", "Deployment/cert-manager-webhook",
               "Job/cert-manager-startupapicheck"),
    objects=custom_resources.cert_manager,
    controllers=(("ClusterIssuer", runtime.from_cluster_issuer), ("Ingress", runtime.from_ingress)),
    secret_readers=(("ClusterIssuer", runtime.issuer_token),),
    issues_certificates=True)

EXTERNAL_SECRETS = ChartPin(
    key="external-secrets", chart="external-secrets", version="2.9.0",
    repository="https://charts.external-secrets.io",
    release_name="external-secrets", namespace=c.NS_EXTERNAL_SECRETS,
    values=values.external_secrets_values,
    namespace_kept=True,
    wanted=lambda cluster: cluster.install_external_secrets,
    workloads=("Deployment/external-secrets", "Deployment/external-secrets-cert-controller",
               "Deployment/external-secrets-webhook"),
    objects=custom_resources.external_secrets, operator=config_schema.EXTERNAL_SECRETS_OPERATOR,
    controllers=(("ExternalSecret", runtime.from_external_secret),),
    secret_readers=(("ClusterSecretStore", runtime.store_credentials),),
    in_cluster_fields=(("ClusterSecretStore", ("spec", "provider", "infisical", "hostAPI")),))

INFISICAL_OPERATOR = ChartPin(
    key="secrets-operator", chart="secrets-operator", version="v0.11.5",
    repository="https://dl.cloudsmith.io/public/infisical/helm-charts/helm/charts/",
    release_name="secrets-operator", namespace=c.NS_INFISICAL_OPERATOR,
    values=values.infisical_operator_values,
    wanted=lambda cluster: cluster.install_infisical_operator,
    # The chart's fullname helper truncates to 15 characters (templates/_helpers.tpl).
    workloads=("Deployment/secrets-operato-controller-manager",),
    objects=custom_resources.infisical_operator, operator=config_schema.INFISICAL_OPERATOR,
    controllers=(("InfisicalStaticSecret", runtime.from_static_secret),),
    secret_readers=(("InfisicalAuth", runtime.auth_credentials),),
    in_cluster_fields=(("InfisicalConnection", ("spec", "address")),))

CLOUDNATIVE_PG = ChartPin(
    key="cloudnative-pg", chart="cloudnative-pg", version="0.29.0",
    repository="https://cloudnative-pg.github.io/charts",
    release_name="cnpg", namespace=c.NS_CNPG,
    values=values.cloudnative_pg_values,
    wanted=lambda cluster: cluster.install_infisical and cluster.install_cloudnative_pg,
    workloads=("Deployment/cnpg-cloudnative-pg",),
    objects=custom_resources.cloudnative_pg,
    controllers=(("Cluster", runtime.from_database_cluster),),
    secret_readers=(("Cluster", runtime.initdb_secret),))

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
    namespace_kept=True,
    wanted=lambda cluster: cluster.install_infisical,
    reads=(c.SECRET_INFISICAL,),
    after=("valkey", "cloudnative-pg"),
    needs_objects=(f"Cluster/{c.NS_INFISICAL}-{c.DATABASE_CLUSTER}",),
    source_offline=False,
    upstream=upstream.infisical,
    serves_infisical_api=True,
    serves_hosts=True,
    # "Custom annotations for Infisical pods", an empty map in values.yaml.
    open_maps=(("infisical", "podAnnotations"), ("ingress", "annotations")))

# Argo CD resolves `$<secret>:<key>` in argocd-cm from Secrets labelled part-of argocd.
ARGOCD_SECRET_REFS = ConfigSecretRefs("argocd-cm", (c.ARGOCD_PART_OF_LABEL, "argocd"))

ARGOCD = ChartPin(
    key="argo-cd", chart="argo-cd", version="10.1.1",
    repository="https://argoproj.github.io/argo-helm",
    release_name="argocd", namespace=c.NS_ARGOCD,
    values=values.argocd_values,
    namespace_kept=True,
    wanted=lambda cluster: cluster.install_argocd,
    reads=(c.SECRET_ARGOCD_OIDC,),
    serves_hosts=True,
    workloads=("StatefulSet/argocd-application-controller", "Deployment/argocd-applicationset-controller",
               "Deployment/argocd-notifications-controller", "Deployment/argocd-repo-server",
               "Deployment/argocd-server", "Deployment/argocd-redis", "Job/argocd-redis-secret-init"),
    # "Any values you put under `.configs.cm` are passed to argocd-cm ConfigMap" (the chart's values.yaml); the
    # same holds for argocd-cmd-params-cm (`configs.params`) and argocd-rbac-cm (`configs.rbac`).
    open_maps=(("configs", "cm"), ("configs", "params"), ("configs", "rbac"), ("server", "ingress", "annotations")),
    controllers=(("Job", runtime.from_argocd_job),),
    secret_readers=(("ConfigMap", ARGOCD_SECRET_REFS.refs),))

# Install order: CRD-bringing operators first, then what runs on them.
ALL: tuple[ChartPin, ...] = (CERT_MANAGER, EXTERNAL_SECRETS, INFISICAL_OPERATOR, CLOUDNATIVE_PG, VALKEY, INFISICAL,
                             ARGOCD)
BY_KEY: dict[str, ChartPin] = {pin.key: pin for pin in ALL}
BY_CHART: dict[str, ChartPin] = {pin.chart: pin for pin in ALL}
