"""A custom resource the plan applies, and what a chart record reads to plan the ones its controller reconciles."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from components.cluster import values
from components.config.model import AppEntry, ClusterSettings
from components.infisical_bootstrap.kube import SecretRef


@dataclass(frozen=True)
class PlannedObject:
    """A custom resource the program applies (after the releases that bring its CRD)."""

    api_version: str
    kind: str
    name: str
    namespace: str | None
    spec: Mapping[str, Any]
    labels: Mapping[str, str] = field(default_factory=dict)
    after: tuple[str, ...] = ()  # keys of the releases it needs (CRDs, webhooks, controllers)
    reads: tuple[str, ...] = ()  # bootstrap Secrets it references
    needs_identity: bool = False  # authenticates with the machine identity (waits for the provisioner Job)
    resync_on_credentials: bool = False  # carries the credentials digest (ESO re-syncs on any annotation change)
    writes: tuple[tuple[str, str], ...] = ()  # (namespace, name) of the Secrets its controller syncs into

    @property
    def resource_name(self) -> str:
        return f"{self.namespace}-{self.name}" if self.namespace else self.name

    def manifest(self) -> dict[str, Any]:
        metadata: dict[str, Any] = {"name": self.name, "labels": {"app.kubernetes.io/managed-by": "pulumi",
                                                                   **self.labels}}
        if self.namespace:
            metadata["namespace"] = self.namespace
        return {"apiVersion": self.api_version, "kind": self.kind, "metadata": metadata, "spec": dict(self.spec)}


@dataclass(frozen=True)
class IdentityRefs:
    """Where each operator reads the machine identity's credentials."""

    eso: SecretRef
    operator: SecretRef


@dataclass(frozen=True)
class ObjectContext:
    """What a chart record's `objects` function reads: the settings, what the plan installs, the identity's
    Secrets, and the catalog apps whose `operator` is that chart's."""

    cluster: ClusterSettings
    installed: frozenset[str]  # keys of the releases the plan installs
    identity: IdentityRefs
    release: str = ""  # the key of the chart whose objects are planned
    apps: tuple[AppEntry, ...] = ()

    def after_release(self) -> tuple[str, ...]:
        """The chart's own release, when the plan installs it (otherwise the cluster already runs it)."""
        return (self.release,) if self.release in self.installed else ()

    @property
    def api_url(self) -> str:
        cluster = self.cluster
        return values.infisical_api_url("" if cluster.install_infisical else cluster.infisical_api_url)
