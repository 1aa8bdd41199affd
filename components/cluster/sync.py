"""The custom resources of the plan, each planned by the record of the chart whose controller reconciles it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi

from components.cluster import constants as c
from components.cluster import core_kinds
from components.cluster.objects import PlannedObject
from components.cluster.wiring import ClusterContext


def bind_names(value: Any, names: Mapping[str, pulumi.Input[str]]) -> Any:
    """The value with every string equal to a planned Secret name replaced by the name actually applied."""
    if isinstance(value, str):
        return names.get(value, value)
    if isinstance(value, Mapping):
        return {key: bind_names(item, names) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [bind_names(item, names) for item in value]
    return value


class ClusterObjects(pulumi.ComponentResource):
    """Each object waits for the releases that bring its CRD and controller, and for the Secrets it reads.

    ESO objects carry a keyed digest of the machine-identity credentials: ESO re-syncs on any annotation change
    and re-reads the credentials on every reconcile, so a rotation reaches the synced Secrets at once.
    """

    def __init__(self, name: str, objects: tuple[PlannedObject, ...], ctx: ClusterContext,
                 credentials_digest: pulumi.Input[str] | None = None, extra: Sequence[pulumi.Resource] = (),
                 opts: pulumi.ResourceOptions | None = None) -> None:
        """`extra`: what every object also waits for (the provisioner Job that fills the credentials)."""
        super().__init__("homelab:cluster:Objects", name, None, opts)
        created = ctx.created
        for item in objects:
            manifest = item.manifest()
            metadata = manifest["metadata"]
            if item.resync_on_credentials and credentials_digest is not None:
                metadata["annotations"] = {c.CREDENTIALS_DIGEST_ANNOTATION: credentials_digest}
            depends_on: list[pulumi.Resource] = [created.releases[key] for key in item.after
                                                 if key in created.releases]
            depends_on += created.secrets_named(item.reads)
            depends_on += list(extra)
            if item.namespace:
                depends_on.append(created.namespaces[item.namespace])
            created.objects[f"{item.kind}/{item.resource_name}"] = core_kinds.CustomResource(
                item.resource_name,
                api_version=item.api_version,
                kind=item.kind,
                metadata=metadata,
                spec=bind_names(manifest["spec"], created.names),
                opts=ctx.options(self, depends_on=depends_on),
            )
        self.register_outputs({})
