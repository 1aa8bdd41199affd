"""The cluster side as one component: provider and namespaces, bootstrap Secrets, Helm releases, custom resources."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi

from components.bootstrap_secrets import BootstrapSecrets
from components.cluster import constants as c
from components.cluster.app_secrets import AppSecrets
from components.cluster.base import ClusterBase
from components.cluster.bootstrap import ClusterBootstrapSecrets
from components.cluster.context import ReleaseContext
from components.cluster.plan import GRAFANA_OAUTH_SEED, ClusterPlan, make_plan
from components.cluster.provisioner import Provisioner
from components.cluster.releases import ClusterReleases
from components.cluster.sync import ClusterObjects
from components.config.model import Settings
from components.digests import DigestKey
from components.secrets_registry import (
    GRAFANA_OAUTH_CLIENT_SECRET,
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
    """Order: operators and their CRDs; the custom resources they reconcile; the releases that need those."""

    def __init__(self, name: str, settings: Settings, secrets: BootstrapSecrets,
                 dns_records: Sequence[pulumi.Resource] = (), opts: pulumi.ResourceOptions | None = None) -> None:
        plan = make_plan(settings.cluster, settings.cluster.authentik_host, available_secrets(secrets))
        if plan.problems:
            raise pulumi.RunError("the cluster settings have problems:\n" + "\n".join(
                f"  - {problem}" for problem in plan.problems))
        super().__init__("homelab:cluster:ClusterPlatform", name, None, opts)
        self.plan: ClusterPlan = plan
        child = pulumi.ResourceOptions(parent=self)
        self.base = ClusterBase("cluster-base", plan, secrets.value(KUBECONFIG), child)
        digests = DigestKey("cluster-digest-key", self)
        self.bootstrap = ClusterBootstrapSecrets("cluster-bootstrap", plan, settings.cluster, secrets, self.base,
                                                 settings.allow_data_key_change, digests, child)
        context = ReleaseContext(settings.cluster, plan.oidc_authentik_host, self.bootstrap.digests)
        first = tuple(pin for pin in plan.releases if not pin.needs_objects)
        self.operators = ClusterReleases("cluster-releases", first, context, self.base, self.bootstrap.secrets, {},
                                         dns_records, child)
        # What the ESO objects carry as their credentials annotation, so a rotation re-syncs them at once: a keyed
        # digest of supplied credentials, or the rotation counter of provisioned ones (the Job issues them).
        credentials: pulumi.Input[str] | None = None
        if plan.provisioner is not None:
            credentials = f"generation-{plan.provisioner.generation}"
        elif plan.machine_identity:
            credentials = digests.of(client_id=secrets.value(MACHINE_IDENTITY_CLIENT_ID),
                                     client_secret=secrets.value(MACHINE_IDENTITY_CLIENT_SECRET))
        platform_objects = tuple(item for item in plan.objects if not item.needs_identity)
        sync_objects = tuple(item for item in plan.objects if item.needs_identity)
        self.objects = ClusterObjects("cluster-objects", platform_objects, self.base, self.operators.releases,
                                      self.bootstrap.secrets, self.bootstrap.names, None, child)
        later = tuple(pin for pin in plan.releases if pin.needs_objects)
        self.apps = ClusterReleases("cluster-apps", later, context, self.base, self.bootstrap.secrets,
                                    {**self.operators.releases, **self.objects.resources}, dns_records, child)
        self.releases = {**self.operators.releases, **self.apps.releases}
        self.provisioner: Provisioner | None = None
        if plan.provisioner is not None:
            generated = AppSecrets("cluster-app-secrets", settings.cluster.apps, child)
            if settings.cluster.grafana_oauth:
                generated.values[GRAFANA_OAUTH_SEED.file] = secrets.value(GRAFANA_OAUTH_CLIENT_SECRET)
            self.provisioner = Provisioner(
                "cluster-provisioner", plan.provisioner, self.base,
                [*self.apps.releases.values(), self.bootstrap.secrets[c.SECRET_INFISICAL_ADMIN]], generated.values,
                child)
        # Every sync object starts once the Job has filled the credentials Secret it reads.
        job = [self.provisioner.job] if self.provisioner and self.provisioner.job else []
        self.sync = ClusterObjects("cluster-sync", sync_objects, self.base, self.operators.releases,
                                   self.bootstrap.secrets, self.bootstrap.names, credentials, child, extra=job)
        self.register_outputs({})
