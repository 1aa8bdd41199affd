"""Everything a real `pulumi up` would put in the cluster, offline: the program's objects, every release rendered
with its real chart, and the objects controllers create from them (cited from their pinned sources).

The functional checks (`verify/function.py`) run on this inventory.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from components.cluster import charts, runtime
from components.cluster.constants import HELM_RELEASE_TYPE
from components.cluster.objects import PlannedObject
from components.infisical_bootstrap import manifests as provisioner
from verify import leaks, rendering
from verify.evaluate import Evaluation
from verify.mocks import unwrap

CLUSTER_SCOPED = {
    "Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration", "IngressClass", "PriorityClass", "StorageClass", "APIService",
    "PersistentVolume", "ClusterIssuer", "ClusterSecretStore", "ClusterExternalSecret", "ClusterGenerator",
    "ClusterPushSecret",
}
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod", "ReplicaSet"}


@dataclass
class Item:
    manifest: dict[str, Any]
    # "program", "release <key>", "upstream <key>" (a chart's objects read from its cited source), "controller
    # <kind>" (made at run time by a controller from another object) or "waiting" (planned, waits for a secret)
    source: str

    @property
    def kind(self) -> str:
        return str(self.manifest.get("kind", ""))

    @property
    def name(self) -> str:
        return str(self.manifest.get("metadata", {}).get("name", ""))

    @property
    def namespace(self) -> str:
        return str(self.manifest.get("metadata", {}).get("namespace") or "")

    @property
    def where(self) -> str:
        location = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.kind} {location} ({self.source})"


@dataclass
class Inventory:
    items: list[Item] = field(default_factory=list)
    releases: list[rendering.RenderedRelease] = field(default_factory=list)
    release_values: dict[str, dict[str, Any]] = field(default_factory=dict)
    results: dict[str, list[str]] | None = None  # the functional checks' problems, once run

    def of_kind(self, *kinds: str) -> Iterator[Item]:
        return (item for item in self.items if item.kind in kinds)

    def add(self, manifest: dict[str, Any], source: str, namespace: str = "") -> None:
        metadata = manifest.setdefault("metadata", {})
        if namespace and not metadata.get("namespace") and manifest.get("kind") not in CLUSTER_SCOPED:
            metadata["namespace"] = namespace
        self.items.append(Item(manifest, source))


def program_manifests(evaluation: Evaluation) -> Iterator[dict[str, Any]]:
    """Every Kubernetes object the program registers itself (providers and Helm releases aside)."""
    for registration in evaluation.registrations:
        if not registration.type.startswith("kubernetes:") or registration.type == HELM_RELEASE_TYPE:
            continue
        manifest = {key: unwrap(value) for key, value in registration.inputs.items()
                    if not key.startswith("__") and value is not None}
        yield manifest


# --- Objects controllers create at run time, from the objects above --------------------------------------------
# What a chart's controller creates is on its record (`ChartPin.controllers`, components/cluster/runtime.py); the
# program's own provisioner Job is the one controller here.

def from_provisioner_job(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """The provisioner Job (components/infisical_bootstrap/provision.py) patches the credentials Secret (the client
    id and secret keys its settings name) and its state Secret."""
    if (manifest.get("metadata", {}).get("labels") or {}).get("app.kubernetes.io/name") != provisioner.NAME:
        return []
    from components.infisical_bootstrap.provision import SETTINGS_ENV, STATE_KEYS, Settings

    env = {entry["name"]: entry.get("value") for container in manifest["spec"]["template"]["spec"]["containers"]
           for entry in container.get("env", [])}
    settings = Settings.from_json(str(env[SETTINGS_ENV]))
    return [runtime.secret(settings.credentials.name, settings.credentials.namespace,
                           [settings.client_id_key, settings.client_secret_key]),
            runtime.secret(settings.state.name, settings.state.namespace, list(STATE_KEYS))]


def controllers() -> dict[str, list[runtime.Controller]]:
    """Kind -> what the controllers create from an object of that kind: every chart record's (installed or not:
    the cluster may run it already), then the program's own."""
    by_kind: dict[str, list[runtime.Controller]] = {}
    for pin in charts.ALL:
        for kind, controller in pin.controllers:
            by_kind.setdefault(kind, []).append(controller)
    by_kind.setdefault("Job", []).append(from_provisioner_job)
    return by_kind


def secret_readers() -> dict[str, list[runtime.Reader]]:
    """Kind -> the Secret references controllers follow in an object of that kind, from every chart record."""
    by_kind: dict[str, list[runtime.Reader]] = {}
    for pin in charts.ALL:
        for kind, reader in pin.secret_readers:
            by_kind.setdefault(kind, []).append(reader)
    return by_kind


def build(evaluation: Evaluation, waiting: tuple[PlannedObject, ...] = ()) -> Inventory:
    """`waiting`: planned objects not applied yet (they wait for a secret); checked for their shape only."""
    inventory = Inventory()
    for manifest in program_manifests(evaluation):
        inventory.add(manifest, "program")
    for planned in waiting:
        inventory.add(planned.manifest(), "waiting")
    # What the leak scan looks for in each canary: no stored render may hold it.
    forbidden = [text for canary in evaluation.canaries for text in leaks.needles(canary)]
    for registration in evaluation.by_type(HELM_RELEASE_TYPE):
        pin = charts.BY_KEY.get(registration.name)
        if pin is None:
            continue
        registered = registration.inputs.get("values") or {}
        release_values = unwrap(registered)
        inventory.release_values[pin.key] = release_values
        # The registered values keep their secret markers, so the render cache never stores a marked value.
        rendered = rendering.render(pin, registered, forbidden=forbidden)
        inventory.releases.append(rendered)
        for manifest in rendered.objects:
            inventory.add(manifest, f"release {pin.key}", pin.namespace)
        if not rendered.rendered and pin.upstream is not None:
            for manifest in pin.upstream(release_values, pin.release_name):
                inventory.add(manifest, f"upstream {pin.key}", pin.namespace)
    installed = {release.pin.key for release in inventory.releases}
    for pin in charts.ALL:
        if pin.key in installed:
            continue
        # Not installed here (the cluster already runs it): its CRDs still define what our objects may hold.
        for manifest in rendering.render(pin, {}).objects:
            if manifest.get("kind") == "CustomResourceDefinition":
                inventory.add(manifest, f"crds {pin.key}")
    order = {pin.key: index for index, pin in enumerate(charts.ALL)}
    inventory.releases.sort(key=lambda release: order[release.pin.key])
    by_kind = controllers()
    for item in list(inventory.items):
        for controller in by_kind.get(item.kind, []):
            for manifest in controller(item.manifest):
                inventory.add(manifest, f"controller {item.kind}")
    return inventory
