"""Everything a real `pulumi up` would put in the cluster, offline: the program's objects, every release rendered
with its real chart, and the objects controllers create from them (cited from their pinned sources).

The functional checks (`verify/function.py`) run on this inventory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from components.cluster import charts
from components.cluster import constants as c
from components.cluster import values as cluster_values
from components.cluster.charts import ChartPin
from components.cluster.plan import PlannedObject
from components.infisical_bootstrap import manifests as provisioner
from verify import rendering
from verify.evaluate import Evaluation
from verify.mocks import unwrap

HELM_RELEASE_TYPE = "kubernetes:helm.sh/v3:Release"
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


# --- Objects a chart creates, read from its source where no copy of that source exists offline -------------------

def infisical_upstream(values: dict[str, Any], pin: ChartPin) -> list[dict[str, Any]]:
    """What infisical-standalone renders from these values, read from its templates (Infisical/infisical,
    helm-charts/infisical-standalone-postgres/templates/infisical.yaml at 0deda063, ingress.yaml at 07679d93):

    - the Deployment's env has DB_CONNECTION_URI only with `postgresql.enabled` (a literal) or
      `postgresql.useExistingPostgresSecret.enabled`, REDIS_URL only with `redis.enabled`; `envFrom.secretRef`
      names `infisical.kubeSecretRef`;
    - the Service `<fullname>` (release-chart-infisical) listens on 8080;
    - `ingress.enabled` adds Ingress `infisical-ingress` to that Service, with `ingress.tls` as given.
    """
    infisical = values.get("infisical", {})
    env: list[dict[str, Any]] = []
    postgres, redis = values.get("postgresql", {}), values.get("redis", {})
    # _helpers.tpl: infisical.postgresDBConnectionString and infisical.redisConnectionString, chart defaults.
    if postgres.get("enabled", True):
        auth = postgres.get("auth", {})
        env.append({"name": "DB_CONNECTION_URI", "value": f"postgresql://{auth.get('username', 'infisical')}:"
                    f"{auth.get('password', 'root')}@postgresql:5432/{auth.get('database', 'infisicalDB')}"})
    if redis.get("enabled", True):
        env.append({"name": "REDIS_URL",
                    "value": f"redis://default:{redis.get('auth', {}).get('password', 'mysecretpassword')}"
                             "@redis-master:6379"})
    container: dict[str, Any] = {"name": "infisical", "envFrom": [{"secretRef": {"name": infisical["kubeSecretRef"]}}]}
    if env:
        container["env"] = env
    objects: list[dict[str, Any]] = [
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": cluster_values.INFISICAL_SERVICE},
         "spec": {"template": {"spec": {"containers": [container]}}}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": cluster_values.INFISICAL_SERVICE},
         "spec": {"ports": [{"port": cluster_values.INFISICAL_PORT}]}},
    ]
    ingress = values.get("ingress", {})
    if ingress.get("enabled", True):
        objects.append({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                        "metadata": {"name": "infisical-ingress", "annotations": ingress.get("annotations", {})},
                        "spec": {"tls": ingress.get("tls", [])}})
    if ingress.get("nginx", {}).get("enabled", True):
        # The bundled subchart ingress-nginx 4.0.13 (Chart.yaml dependency, condition ingress.nginx.enabled): its
        # controller Deployment, labelled as that chart labels it (templates/controller-deployment.yaml).
        objects.append({"apiVersion": "apps/v1", "kind": "Deployment",
                        "metadata": {"name": f"{pin.release_name}-ingress-nginx-controller",
                                     "labels": {"app.kubernetes.io/name": "ingress-nginx",
                                                "app.kubernetes.io/component": "controller"}},
                        "spec": {"template": {"spec": {"containers": [{"name": "controller"}]}}}})
    return objects


UPSTREAM: dict[str, Callable[[dict[str, Any], ChartPin], list[dict[str, Any]]]] = {
    charts.INFISICAL.key: infisical_upstream,
}


# --- Objects controllers create at run time, from the objects above --------------------------------------------

def _secret(name: str, namespace: str, keys: list[str] | None, **labels: str) -> dict[str, Any]:
    manifest: dict[str, Any] = {"apiVersion": "v1", "kind": "Secret",
                                "metadata": {"name": name, "namespace": namespace, "labels": labels}}
    if keys is not None:
        manifest["data"] = dict.fromkeys(keys, "")
    return manifest


def _service(name: str, namespace: str, port: int) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": namespace},
            "spec": {"ports": [{"port": port}]}}


def from_external_secret(item: Item) -> list[dict[str, Any]]:
    spec = item.manifest.get("spec", {})
    keys = [entry["secretKey"] for entry in spec.get("data", [])]
    return [_secret(spec["target"]["name"], item.namespace, keys)]


def from_static_secret(item: Item) -> list[dict[str, Any]]:
    return [_secret(target["name"], target["namespace"], list(target.get("template", {}).get("data", {})))
            for target in item.manifest.get("spec", {}).get("targets", []) if target.get("kind") == "Secret"]


def from_database_cluster(item: Item) -> list[dict[str, Any]]:
    """cloudnative-pg v1.30.0: Services <name>-rw/-ro/-r on 5432 (pkg/specs/services.go); the CA and server
    certificates (setupPostgresPKI); no `<name>-app` Secret when `initdb.secret` is given (api/v1/cluster_funcs.go)."""
    name, namespace = item.name, item.namespace
    return [*(_service(f"{name}-{suffix}", namespace, c.DATABASE_PORT) for suffix in ("rw", "ro", "r")),
            _secret(f"{name}-ca", namespace, ["ca.crt", "ca.key"]),
            _secret(f"{name}-server", namespace, ["tls.crt", "tls.key"])]


def from_cluster_issuer(item: Item) -> list[dict[str, Any]]:
    """cert-manager stores the ACME account key in privateKeySecretRef, in its cluster resource namespace."""
    acme = item.manifest.get("spec", {}).get("acme", {})
    return [_secret(acme["privateKeySecretRef"]["name"], c.NS_CERT_MANAGER, ["tls.key"])] if acme else []


def from_ingress(item: Item) -> list[dict[str, Any]]:
    """cert-manager's ingress-shim issues each TLS entry's Secret when the Ingress names an issuer."""
    annotations = item.manifest.get("metadata", {}).get("annotations") or {}
    if c.CLUSTER_ISSUER_ANNOTATION not in annotations:
        return []
    return [_secret(tls["secretName"], item.namespace, ["tls.crt", "tls.key", "ca.crt"])
            for tls in item.manifest.get("spec", {}).get("tls", []) if tls.get("secretName")]


def from_job(item: Item) -> list[dict[str, Any]]:
    """The Secrets a Job fills:

    - argo-cd 10.1.1 templates/redis-secret-init/job.yaml: the hook Job creates Secret argocd-redis (key auth);
    - the provisioner Job (components/infisical_bootstrap/provision.py) patches the credentials Secret (the
      client id and secret keys its settings name) and its state Secret.
    """
    if item.name.endswith("redis-secret-init"):
        return [_secret("argocd-redis", item.namespace, ["auth"])]
    if (item.manifest.get("metadata", {}).get("labels") or {}).get("app.kubernetes.io/name") != provisioner.NAME:
        return []
    from components.infisical_bootstrap.provision import SETTINGS_ENV, STATE_KEYS, Settings

    env = {entry["name"]: entry.get("value") for container in item.manifest["spec"]["template"]["spec"]["containers"]
           for entry in container.get("env", [])}
    settings = Settings.from_json(str(env[SETTINGS_ENV]))
    return [_secret(settings.credentials.name, settings.credentials.namespace,
                    [settings.client_id_key, settings.client_secret_key]),
            _secret(settings.state.name, settings.state.namespace, list(STATE_KEYS))]


CONTROLLERS: dict[str, Callable[[Item], list[dict[str, Any]]]] = {
    "ExternalSecret": from_external_secret,
    "InfisicalStaticSecret": from_static_secret,
    "Cluster": from_database_cluster,
    "ClusterIssuer": from_cluster_issuer,
    "Ingress": from_ingress,
    "Job": from_job,
}


def build(evaluation: Evaluation, waiting: tuple[PlannedObject, ...] = ()) -> Inventory:
    """`waiting`: planned objects not applied yet (they wait for a secret); checked for their shape only."""
    inventory = Inventory()
    for manifest in program_manifests(evaluation):
        inventory.add(manifest, "program")
    for planned in waiting:
        inventory.add(planned.manifest(), "waiting")
    for registration in evaluation.by_type(HELM_RELEASE_TYPE):
        pin = charts.BY_KEY.get(registration.name)
        if pin is None:
            continue
        release_values = unwrap(registration.inputs.get("values")) or {}
        inventory.release_values[pin.key] = release_values
        rendered = rendering.render(pin, release_values)
        inventory.releases.append(rendered)
        for manifest in rendered.objects:
            inventory.add(manifest, f"release {pin.key}", pin.namespace)
        if not rendered.rendered and pin.key in UPSTREAM:
            for manifest in UPSTREAM[pin.key](release_values, pin):
                inventory.add(manifest, f"upstream {pin.key}", pin.namespace)
    installed = {release.pin.key for release in inventory.releases}
    for pin in charts.ALL:
        if pin.key in installed or not pin.source_offline:
            continue
        # Not installed here (the cluster already runs it): its CRDs still define what our objects may hold.
        for manifest in rendering.render(pin, {}).objects:
            if manifest.get("kind") == "CustomResourceDefinition":
                inventory.add(manifest, f"crds {pin.key}")
    order = {pin.key: index for index, pin in enumerate(charts.ALL)}
    inventory.releases.sort(key=lambda release: order[release.pin.key])
    for item in list(inventory.items):
        controller = CONTROLLERS.get(item.kind)
        for manifest in controller(item) if controller else []:
            inventory.add(manifest, f"controller {item.kind}")
    return inventory
