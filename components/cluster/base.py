"""The Kubernetes provider (explicit kubeconfig, never ambient) and the namespaces everything lives in."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components.cluster import core_kinds


class ClusterBase(pulumi.ComponentResource):
    """Owns the provider every cluster resource uses, and the namespaces.

    Namespaces are kept on delete: deleting one deletes everything in it (Infisical's database volume,
    an app's workloads), so removing a catalog entry or a component never removes a namespace.
    """

    def __init__(self, name: str, namespaces: tuple[str, ...], kubeconfig: pulumi.Output[str],
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("homelab:cluster:ClusterBase", name, None, opts)
        self.provider = k8s.Provider(
            "cluster",
            kubeconfig=kubeconfig,  # a secret Output: supplied with `pulumi config set --secret`
            # Stated rather than inherited from provider defaults or PULUMI_K8S_* variables:
            enable_server_side_apply=True,
            enable_secret_mutable=True,  # a changed Secret is updated in place, not deleted and recreated
            upsert_existing_objects=False,  # an object that already exists is an error, never adopted silently
            delete_unreachable=False,  # an unreachable cluster fails the update instead of dropping state
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.namespaces: dict[str, pulumi.Resource] = {
            namespace: core_kinds.Namespace(
                namespace,
                metadata={"name": namespace, "labels": {"app.kubernetes.io/managed-by": "pulumi"}},
                opts=pulumi.ResourceOptions(parent=self, provider=self.provider, depends_on=[], retain_on_delete=True),
            ) for namespace in namespaces}
        self.register_outputs({})
