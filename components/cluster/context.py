"""What a chart's values function may read: the typed cluster settings and digests, never a sibling component."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi

from components.config.model import ClusterSettings


@dataclass(frozen=True)
class ReleaseContext:
    cluster: ClusterSettings
    oidc_authentik_host: str | None  # set when Argo CD OIDC is configured
    # bootstrap Secret name -> keyed digest of its content (secret Output), to roll pods that read it at start
    digests: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)

    def digest(self, secret_name: str) -> pulumi.Input[str]:
        # Offline rendering and plan-only callers pass no digests: the annotation is then a fixed placeholder.
        return self.digests.get(secret_name, "")

    @property
    def ingress(self) -> bool:
        return bool(self.cluster.ingress_class)
