"""Runtime sync from the app catalog: one ClusterSecretStore and an ExternalSecret or InfisicalSecret per app."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components.bootstrap_secrets import BootstrapSecrets
from components.cluster import charts, manifests
from components.cluster import constants as c
from components.cluster.base import ClusterBase
from components.cluster.bootstrap import ClusterBootstrapSecrets
from components.cluster.plan import ClusterPlan
from components.cluster.releases import ClusterReleases
from components.digests import DigestKey
from components.settings import ClusterSettings


class RuntimeSync(pulumi.ComponentResource):
    """Every custom resource depends on the release that installs its CRD (when this program installs it)
    and on the machine-identity Secret it authenticates with."""

    def __init__(self, name: str, plan: ClusterPlan, cluster: ClusterSettings, base: ClusterBase,
                 bootstrap: ClusterBootstrapSecrets, releases: ClusterReleases, secrets: BootstrapSecrets,
                 digests: DigestKey, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("homelab:cluster:RuntimeSync", name, None, opts)
        self.store: k8s.apiextensions.CustomResource | None = None
        self.external_secrets: dict[str, k8s.apiextensions.CustomResource] = {}
        self.infisical_secrets: dict[str, k8s.apiextensions.CustomResource] = {}
        identity = [bootstrap.secrets[c.SECRET_MACHINE_IDENTITY]] if plan.machine_identity else []
        # A keyed digest of the credentials: when they rotate the annotation changes, and a changed
        # annotation makes ESO and the Infisical operator re-sync at once. No change, no new annotation.
        credentials: dict[str, pulumi.Input[str]] = {}
        if plan.machine_identity:
            credentials[c.CREDENTIALS_DIGEST_ANNOTATION] = digests.of(
                client_id=secrets.value("machine_identity_client_id"),
                client_secret=secrets.value("machine_identity_client_secret"))
        eso_release = releases.releases.get(charts.EXTERNAL_SECRETS.key)
        operator_release = releases.releases.get(charts.INFISICAL_OPERATOR.key)

        if plan.cluster_secret_store:
            self.store = k8s.apiextensions.CustomResource(
                c.STORE_NAME,
                api_version=c.ESO_API_VERSION,
                kind="ClusterSecretStore",
                metadata={"name": c.STORE_NAME, "labels": {"app.kubernetes.io/managed-by": "pulumi"},
                          **({"annotations": credentials} if credentials else {})},
                spec=manifests.cluster_secret_store(cluster.project_slug, cluster.environment_slug,
                                                    cluster.infisical_host),
                opts=base.child(depends_on=[*identity, *([eso_release] if eso_release else [])], parent=self),
            )
        for app in plan.external_secrets:
            depends_on: list[pulumi.Resource] = [base.namespaces[app.namespace]]
            depends_on += [self.store] if self.store else []
            depends_on += [eso_release] if eso_release else []
            self.external_secrets[app.resource_name] = k8s.apiextensions.CustomResource(
                app.resource_name,
                api_version=c.ESO_API_VERSION,
                kind="ExternalSecret",
                metadata=manifests.sync_metadata(app, credentials),
                spec=manifests.external_secret(app),
                opts=base.child(depends_on=depends_on, parent=self),
            )
        for app in plan.infisical_secrets:
            depends_on = [base.namespaces[app.namespace], *identity]
            depends_on += [operator_release] if operator_release else []
            self.infisical_secrets[app.resource_name] = k8s.apiextensions.CustomResource(
                app.resource_name,
                api_version=c.INFISICAL_API_VERSION,
                kind="InfisicalSecret",
                metadata=manifests.sync_metadata(
                    app, {c.ARGOCD_SYNC_OPTIONS: c.INFISICAL_SECRET_SYNC_OPTIONS, **credentials}),
                spec=manifests.infisical_secret(app, cluster.project_slug, cluster.environment_slug,
                                                cluster.infisical_host),
                opts=base.child(depends_on=depends_on, parent=self),
            )
        self.register_outputs({})
