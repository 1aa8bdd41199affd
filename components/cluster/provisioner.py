"""The in-cluster provisioner: the Job that bootstraps the installed Infisical and issues the machine identity.

The Job (components/infisical_bootstrap, docs/infisical-bootstrap.md) reaches Infisical through its Service and
writes the credentials straight into the cluster Secret both operators read: they never pass through the
laptop, Pulumi's state, an argument list or a log. The program creates the Secrets the Job fills, empty, so
the Job's Role can name them, and never writes their data itself (`ignore_changes`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi

from components.cluster import constants as c
from components.cluster import core_kinds
from components.cluster.wiring import ClusterContext
from components.infisical_bootstrap import manifests as provisioner

# Above the Job's own activeDeadlineSeconds: the provider's default Job timeout (10 minutes) would end the wait
# while the Job still retries a slow first start of Infisical.
JOB_TIMEOUT = f"{provisioner.ACTIVE_DEADLINE_SECONDS // 60 + 5}m"


class Provisioner(pulumi.ComponentResource):
    def __init__(self, name: str, ctx: ClusterContext, after: Sequence[pulumi.Resource],
                 seed_values: Mapping[str, pulumi.Input[str]], opts: pulumi.ResourceOptions | None = None) -> None:
        """`after`: what the Job waits for (the Infisical release, the admin password's Secret); `seed_values`:
        the generated app secrets, by seed file."""
        super().__init__("homelab:cluster:Provisioner", name, None, opts)
        params = ctx.plan.provisioner
        assert params is not None, "the plan provisions no machine identity"
        namespaces = ctx.created.namespaces
        owned: list[pulumi.Resource] = []
        if params.seed_secret:
            assert set(seed_values) == {seed.file for seed in params.seeds}
            owned.append(core_kinds.Secret(
                f"{params.namespace}-{params.seed_secret}",
                metadata={"name": params.seed_secret, "namespace": params.namespace,
                          "labels": provisioner.labels(),
                          "annotations": {c.ARGOCD_SYNC_OPTIONS: c.BOOTSTRAP_SYNC_OPTIONS}},
                string_data=dict(sorted(seed_values.items())),
                opts=ctx.options(self, depends_on=[namespaces[params.namespace]])))
        for secret in provisioner.owned_secrets(params):
            is_state = secret.ref.name == params.state.name
            owned.append(core_kinds.Object(
                f"{secret.ref.namespace}-{secret.ref.name}", secret.manifest(),
                opts=ctx.options(self, depends_on=[namespaces[secret.ref.namespace]],
                                 retain_on_delete=secret.retain_on_delete).merge(pulumi.ResourceOptions(
                    ignore_changes=list(provisioner.IGNORE_CHANGES),
                    additional_secret_outputs=["data", "stringData"],
                    # The state holds the instance-admin token, which Infisical issues once: never deleted by
                    # accident.
                    protect=is_state))))
        previous: list[pulumi.Resource] = [namespaces[params.namespace], *owned, *after]
        self.job: pulumi.Resource | None = None
        for manifest in provisioner.provisioner_objects(params):
            kind = str(manifest["kind"])
            metadata = manifest["metadata"]
            options = ctx.options(self, depends_on=previous)
            if kind == "Job":
                options = options.merge(pulumi.ResourceOptions(custom_timeouts=pulumi.CustomTimeouts(
                    create=JOB_TIMEOUT, update=JOB_TIMEOUT)))
            # A stable resource name: the Job's and the ConfigMap's object names carry a digest of their content.
            resource = core_kinds.Object(f"{metadata['namespace']}-{kind.lower()}-{provisioner.NAME}", manifest,
                                         opts=options)
            if kind == "Job":
                self.job = resource
            else:
                previous.append(resource)
        self.register_outputs({})
