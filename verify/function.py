"""Checks of function on the inventory: would the objects of a real install work together?

Each check returns a list of problems and can fail on exactly the defect it names
(tests/components/cluster/test_function.py shows each one failing). They read rendered manifests, not the
program's intentions.
"""

from __future__ import annotations

import contextvars
import functools
import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from components.cluster import charts, runtime
from components.cluster import constants as c
from verify import cache_files, jsontext, leaks
from verify.evaluate import Evaluation
from verify.inventory import WORKLOAD_KINDS, Inventory, Item, secret_readers

KUBERNETES_VERSION = "1.35.0"  # a version kubernetes-validate ships strict schemas for
FunctionCheck = Callable[[Inventory, Evaluation], list[str]]


# --- Schemas ----------------------------------------------------------------------------------------------------

def is_core_kind(api_version: str) -> bool:
    """Kinds Kubernetes itself serves (v1, apps/v1, rbac.authorization.k8s.io/v1), not CRD kinds."""
    group = api_version.rpartition("/")[0]
    return not group or "." not in group or group.endswith(".k8s.io")


@functools.cache
def _core_validator(kind: str, api_version: str) -> Any:
    """kubernetes-validate's strict schema for one kind, built once (its `validate` rebuilds it per call)."""
    import jsonschema
    import kubernetes_validate.utils as kv
    from referencing import Registry, Resource

    directory = f"kubernetes-json-schema/v{KUBERNETES_VERSION}-local-strict"
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    try:
        schema = kv.schema_contents(f"{directory}/{kind.lower()}-{group_version}.json", KUBERNETES_VERSION)
    except FileNotFoundError:
        return None
    definitions = kv.schema_contents(f"{directory}/_definitions.json", KUBERNETES_VERSION)
    registry: Registry[Any] = Resource.from_contents(definitions) @ (Resource.from_contents(schema) @ Registry())
    return jsonschema.Draft202012Validator(schema, registry=registry)


def core_object_problems(manifest: dict[str, Any]) -> list[str]:
    """Problems of one core-kind object under kubernetes-validate's strict schemas (Kubernetes 1.35)."""
    validator = _core_validator(str(manifest.get("kind", "")), str(manifest.get("apiVersion", "")))
    if validator is None:
        return [f"{manifest.get('apiVersion')} {manifest.get('kind')} is not a Kubernetes {KUBERNETES_VERSION} kind"]
    return [f"{manifest.get('kind')} {'.'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}"
            for error in validator.iter_errors(manifest)]


def strict(schema: Any) -> Any:
    """A CRD schema that rejects unknown fields, as the API server's strict field validation does."""
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    result = {key: strict(value) for key, value in schema.items()}
    if "properties" in schema and "additionalProperties" not in schema and not schema.get(
            "x-kubernetes-preserve-unknown-fields"):
        result["additionalProperties"] = False
    return result


VALID_CACHE = cache_files.CHECK_CACHE / "valid"


@functools.cache
def _validator_version() -> str:
    from importlib.metadata import version

    return version("kubernetes-validate")


# The JSON text of each object, made once per `run` and shared by the checks that read whole objects (the schema
# result cache and the plaintext prefilter); a check called on its own makes its own.
_TEXTS: contextvars.ContextVar[dict[int, str] | None] = contextvars.ContextVar("function_texts", default=None)


def object_text(manifest: dict[str, Any]) -> str:
    """The object as canonical JSON (keys sorted, every string verbatim)."""
    texts = _TEXTS.get()
    if texts is None:
        return _canonical(manifest)
    if id(manifest) not in texts:
        texts[id(manifest)] = _canonical(manifest)
    return texts[id(manifest)]


def _canonical(value: Any) -> str:
    return jsontext.dumps(value, sort_keys=True)


def _object_digest(schema_id: str, manifest: dict[str, Any]) -> str:
    return hashlib.sha256(f"{schema_id}\0{object_text(manifest)}".encode()).hexdigest()


def _shape_of_secret(manifest: dict[str, Any]) -> dict[str, Any]:
    """A Secret with every string value of its data and stringData emptied: what its schema result depends on.

    The strict Secret schema of kubernetes-validate (secret-v1.json) allows any string or null there (`format:
    byte` is not asserted without a format checker), so emptying a string value never changes the result, while
    a value of another type stays and is still caught. Only the digest of this shape is remembered: no secret
    value reaches the result cache.
    """
    shape = dict(manifest)
    for field in ("data", "stringData"):
        if isinstance(manifest.get(field), dict):
            shape[field] = {key: "" if isinstance(value, str) else value for key, value in manifest[field].items()}
    return shape


def known_valid(schema_id: str, manifest: dict[str, Any]) -> tuple[bool, str]:
    """Whether this exact object passed this exact schema before (a marker named by their digest), and the digest.

    Validating the same rendered object against the same schema always gives the same answer, and a pinned
    chart renders the same objects run after run, so a warm cache skips most of the schema work. Only the
    digest is written, never the object; a Secret's digest is that of its shape (`_shape_of_secret`).
    """
    if manifest.get("kind") == "Secret" and manifest.get("apiVersion") == "v1":
        manifest = _shape_of_secret(manifest)
    digest = _object_digest(schema_id, manifest)
    return (VALID_CACHE / digest[:2] / digest).exists(), digest


def remember_valid(digest: str) -> None:
    marker = VALID_CACHE / digest[:2] / digest
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
    except OSError:
        pass  # a read-only checkout: validate again next time


class CrdValidators:
    """(apiVersion, kind) -> (validator, schema digest), from the CRDs the releases themselves install.

    A validator is built when a custom resource of its kind is first checked: most installed CRDs (ESO's two
    dozen, CloudNativePG's large ones) serve no object of this program.
    """

    def __init__(self, inventory: Inventory) -> None:
        self._schemas: dict[tuple[str, str], Any] = {}
        for item in inventory.of_kind("CustomResourceDefinition"):
            spec = item.manifest["spec"]
            for version in spec.get("versions", []):
                if version.get("served", True):
                    key = (f"{spec['group']}/{version['name']}", spec["names"]["kind"])
                    self._schemas[key] = version.get("schema", {}).get("openAPIV3Schema", {})
        self._built: dict[tuple[str, str], tuple[Any, str]] = {}
        self._digests: dict[tuple[str, str], str] = {}

    def __contains__(self, key: tuple[str, str]) -> bool:
        return key in self._schemas

    def digest(self, key: tuple[str, str]) -> str:
        """A digest of the CRD version's schema, computed once: the schema's identity in the result cache."""
        if key not in self._digests:
            self._digests[key] = _object_digest("crd", self._schemas[key])
        return self._digests[key]

    def __getitem__(self, key: tuple[str, str]) -> tuple[Any, str]:
        if key not in self._built:
            import jsonschema

            schema = self._schemas[key]
            self._built[key] = (jsonschema.Draft7Validator(strict(schema)), self.digest(key))
        return self._built[key]


def schemas_valid(inventory: Inventory, evaluation: Evaluation) -> list[str]:
    problems = []
    custom = CrdValidators(inventory)
    for item in inventory.items:
        if item.source.startswith(("controller", "upstream", "crds")):
            continue  # not applied by this program or a rendered chart: shapes taken from sources, not manifests
        api_version = str(item.manifest.get("apiVersion", ""))
        core = is_core_kind(api_version)
        if core:
            schema_id = (f"kubernetes-validate-{_validator_version()}-strict-{KUBERNETES_VERSION}-"
                         f"{api_version}-{item.kind}")
        elif (api_version, item.kind) in custom:
            schema_id = f"crd-{api_version}-{item.kind}-{custom.digest((api_version, item.kind))}"
        else:
            problems.append(f"{item.where}: no installed CRD serves {api_version} {item.kind}")
            continue
        valid, digest = known_valid(schema_id, item.manifest)
        if valid:
            continue
        validator = _core_validator(item.kind, api_version) if core else custom[(api_version, item.kind)][0]
        if validator is None:
            problems.append(f"{item.where}: {api_version} {item.kind} is not a Kubernetes {KUBERNETES_VERSION} kind")
            continue
        errors = sorted(validator.iter_errors(item.manifest), key=lambda e: list(map(str, e.absolute_path)))
        for error in errors:
            path = ".".join(str(part) for part in error.absolute_path) or "(root)"
            problems.append(f"{item.where}: {path}: {error.message}")
        if not errors:
            remember_valid(digest)
    return problems


# --- Plaintext ---------------------------------------------------------------------------------------------------

def no_plaintext_secrets(inventory: Inventory, evaluation: Evaluation) -> list[str]:
    """No canary (or its base64) outside a Secret's data/stringData, in anything rendered or applied."""
    problems = []
    needles = leaks.Needles.of(evaluation.canaries)
    for item in inventory.items:
        if item.source.startswith("controller"):
            continue
        manifest = item.manifest
        if item.kind == "Secret":
            manifest = {key: value for key, value in manifest.items() if key not in ("data", "stringData")}
        text = object_text(manifest) if manifest is item.manifest else None
        problems += [f"{item.where}: {leak.render()}" for leak in leaks.scan(manifest, item.where, needles, text=text)]
    return problems


# --- References and consumers --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SecretRef:
    namespace: str
    name: str
    key: str | None  # None: the whole Secret (envFrom)
    optional: bool
    by: str
    label: tuple[str, str] | None = None  # the label the Secret must carry to be read


def _pod_spec(item: Item) -> dict[str, Any] | None:
    spec = item.manifest.get("spec", {})
    if item.kind == "Pod":
        return dict(spec)
    if item.kind == "CronJob":
        spec = spec.get("jobTemplate", {}).get("spec", {})
    template = spec.get("template", {}).get("spec")
    return dict(template) if isinstance(template, dict) else None


def containers(item: Item) -> list[dict[str, Any]]:
    pod = _pod_spec(item) or {}
    return [*pod.get("initContainers", []), *pod.get("containers", [])]


def _workload_refs(item: Item) -> Iterator[SecretRef]:
    pod = _pod_spec(item)
    if pod is None:
        return
    namespace = item.namespace
    for container in containers(item):
        for env in container.get("env", []) or []:
            ref = (env.get("valueFrom") or {}).get("secretKeyRef")
            if ref:
                yield SecretRef(namespace, ref["name"], ref["key"], bool(ref.get("optional")), item.where)
        for source in container.get("envFrom", []) or []:
            ref = source.get("secretRef")
            if ref:
                yield SecretRef(namespace, ref["name"], None, bool(ref.get("optional")), item.where)
    for volume in pod.get("volumes", []) or []:
        secret = volume.get("secret")
        sources = [secret] if secret else []
        sources += [source["secret"] for source in (volume.get("projected") or {}).get("sources", [])
                    if "secret" in source]
        for source in sources:
            name = source.get("secretName") or source.get("name")
            items = source.get("items") or [{"key": None}]
            for entry in items:
                yield SecretRef(namespace, name, entry["key"], bool(source.get("optional")), item.where)


def _custom_refs(item: Item, readers: dict[str, list[runtime.Reader]]) -> Iterator[SecretRef]:
    """The Secret references controllers follow in the objects this program applies (each chart record's
    `secret_readers`, with field names from their CRDs)."""
    for read in readers.get(item.kind, []):
        for ref in read(item.manifest):
            yield SecretRef(ref.namespace, ref.name, ref.key, False, item.where, ref.label)


def secret_refs(inventory: Inventory) -> list[SecretRef]:
    refs: list[SecretRef] = []
    readers = secret_readers()
    for item in inventory.items:
        if item.source == "waiting":
            continue  # references a Secret that does not exist until the secret it waits for is set
        if item.kind in WORKLOAD_KINDS:
            refs += _workload_refs(item)
        refs += _custom_refs(item, readers)
    return refs


def provided_secrets(inventory: Inventory) -> dict[tuple[str, str], Item]:
    return {(item.namespace, item.name): item for item in inventory.of_kind("Secret")}


def secret_keys(item: Item) -> set[str]:
    return {*(item.manifest.get("data") or {}), *(item.manifest.get("stringData") or {})}


def references_resolve(inventory: Inventory, evaluation: Evaluation) -> list[str]:
    """Every Secret reference names a Secret someone creates, and a key in it."""
    provided = provided_secrets(inventory)
    problems = []
    for ref in secret_refs(inventory):
        secret = provided.get((ref.namespace, ref.name))
        if secret is None:
            if not ref.optional:
                problems.append(f"{ref.by}: references Secret {ref.namespace}/{ref.name}, which nothing creates")
            continue
        if ref.key is not None and ref.key not in secret_keys(secret) and not ref.optional:
            problems.append(f"{ref.by}: references key {ref.key!r} of Secret {ref.namespace}/{ref.name}, which has "
                            f"only {sorted(secret_keys(secret))}")
        if ref.label is not None:
            label, value = ref.label
            if (secret.manifest.get("metadata", {}).get("labels") or {}).get(label) != value:
                problems.append(f"{ref.by}: Secret {ref.namespace}/{ref.name} lacks the label {label}={value}, so "
                                "its reader will not read it")
    return problems


def ingresses_get_certificates(inventory: Inventory, evaluation: Evaluation) -> list[str]:
    """Every Ingress serves TLS from a certificate cert-manager issues with an installed ClusterIssuer."""
    issuers = {item.name for item in inventory.of_kind("ClusterIssuer")}
    # Without the cert-manager release, the issuer is the cluster's own (clusterIssuer): it must be named.
    own_cert_manager = any(release.pin.issues_certificates for release in inventory.releases)
    problems = []
    for item in inventory.of_kind("Ingress"):
        issuer = (item.manifest.get("metadata", {}).get("annotations") or {}).get(c.CLUSTER_ISSUER_ANNOTATION)
        if (issuer not in issuers) if own_cert_manager else not issuer:
            problems.append(f"{item.where}: names no installed ClusterIssuer ({c.CLUSTER_ISSUER_ANNOTATION}: "
                            f"{issuer!r}), so nothing issues its certificate")
        if not any(tls.get("secretName") for tls in item.manifest.get("spec", {}).get("tls") or []):
            problems.append(f"{item.where}: has no TLS entry, so it serves no certificate")
    return problems


def bootstrap_secrets_consumed(inventory: Inventory, evaluation: Evaluation) -> list[str]:
    """Every bootstrap Secret the program creates is read by a rendered workload or custom resource."""
    consumed = {(ref.namespace, ref.name) for ref in secret_refs(inventory)}
    problems = []
    for item in inventory.of_kind("Secret"):
        labels = item.manifest.get("metadata", {}).get("labels") or {}
        if item.source == "program" and labels.get(c.BOOTSTRAP_LABEL) == "true" and (
                (item.namespace, item.name) not in consumed):
            problems.append(f"{item.where}: no rendered workload or custom resource reads this bootstrap Secret")
    return problems


# --- In-cluster URLs ------------------------------------------------------------------------------------------------

_SERVICE_URL = re.compile(
    r"(?:(?P<scheme>[a-z][a-z0-9+.-]*)://)?(?:[^@/\s]*@)?(?P<service>[a-z0-9][a-z0-9-]*)\.(?P<namespace>[a-z0-9-]+)"
    r"\.svc(?:\.cluster\.local)?(?::(?P<port>[0-9]+))?")
_DEFAULT_PORTS = {"http": 80, "https": 443, "postgresql": 5432, "postgres": 5432, "redis": 6379}


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


# Fields through which an in-cluster client reaches a service: they must hold an in-cluster URL, never a public
# host (that needs DNS, TLS and an ingress controller, and these clients get no CA).
IN_CLUSTER_FIELDS: dict[str, tuple[str, ...]] = {kind: path for pin in charts.ALL
                                                 for kind, path in pin.in_cluster_fields}


def _field(manifest: dict[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = manifest
    for part in path:
        node = node.get(part) if isinstance(node, dict) else None
    return node


def in_cluster_urls_resolve(inventory: Inventory, evaluation: Evaluation) -> list[str]:
    """Every in-cluster URL the program configures (objects, Secret data, Helm values) names a Service, its
    namespace and one of its ports."""
    services = {(item.namespace, item.name): {int(port["port"]) for port in item.manifest.get("spec", {})
                                              .get("ports", [])} for item in inventory.of_kind("Service")}
    configured = [(item.where, item.manifest) for item in inventory.items if item.source == "program"]
    configured += [(f"Helm values of {key}", values) for key, values in inventory.release_values.items()]
    problems = []
    installs_infisical = any(release.pin.serves_infisical_api for release in inventory.releases)
    for item in inventory.items:
        path = IN_CLUSTER_FIELDS.get(item.kind) if installs_infisical else None
        value = _field(item.manifest, path) if path else None
        if path and not (isinstance(value, str) and _SERVICE_URL.fullmatch(value.removesuffix("/api"))):
            problems.append(f"{item.where}: {'.'.join(path)} is {value!r}, not an in-cluster Service URL")
    for where, value in configured:
        for text in _strings(value):
            for match in _SERVICE_URL.finditer(text):
                service, namespace = match["service"], match["namespace"]
                port = int(match["port"]) if match["port"] else _DEFAULT_PORTS.get(match["scheme"] or "", 0)
                ports = services.get((namespace, service))
                if ports is None:
                    problems.append(f"{where}: {service}.{namespace} is not a Service of the install")
                elif port not in ports:
                    problems.append(f"{where}: Service {namespace}/{service} has no port {port} "
                                    f"(it has {sorted(ports)})")
    return problems


# --- Hardening ----------------------------------------------------------------------------------------------------

def container_gaps(pod: dict[str, Any], container: dict[str, Any]) -> list[str]:
    pod_context = pod.get("securityContext") or {}
    context = container.get("securityContext") or {}
    gaps = []
    if not context.get("runAsNonRoot", pod_context.get("runAsNonRoot")):
        gaps.append("runAsNonRoot")
    if not context.get("readOnlyRootFilesystem"):
        gaps.append("readOnlyRootFilesystem")
    if "ALL" not in ((context.get("capabilities") or {}).get("drop") or []):
        gaps.append("drop ALL capabilities")
    seccomp = (context.get("seccompProfile") or pod_context.get("seccompProfile") or {}).get("type")
    if seccomp not in ("RuntimeDefault", "Localhost"):
        gaps.append("seccomp RuntimeDefault")
    if context.get("allowPrivilegeEscalation", True) is not False:
        gaps.append("no privilege escalation")
    return gaps


def containers_hardened(inventory: Inventory, evaluation: Evaluation) -> list[str]:
    """Every container of every rendered release and of the program's own workloads runs hardened, unless its
    chart record says why it cannot."""
    problems = []
    for item in inventory.items:
        if item.kind not in WORKLOAD_KINDS or not item.source.startswith(("release", "program")):
            continue
        pin = charts.BY_KEY.get(item.source.removeprefix("release "))
        allowed = {where for where, _ in pin.unhardened} if pin else set()
        pod = _pod_spec(item) or {}
        for container in containers(item):
            label = f"{item.kind}/{item.name}/{container['name']}"
            gaps = container_gaps(pod, container)
            if gaps and label not in allowed:
                problems.append(f"{item.where}: container {container['name']} lacks {', '.join(gaps)}")
    return problems


# --- Nothing extra ------------------------------------------------------------------------------------------------

def nothing_extra(inventory: Inventory, evaluation: Evaluation) -> list[str]:
    """No ingress controller, and exactly the workloads each chart record lists (an install runs nothing else)."""
    problems = []
    for item in inventory.items:
        if item.kind == "IngressClass":
            problems.append(f"{item.where}: an IngressClass is installed; the operator names an existing one")
        labels = item.manifest.get("metadata", {}).get("labels") or {}
        images = " ".join(str(container.get("image", "")) for container in containers(item))
        if item.kind in WORKLOAD_KINDS and (labels.get("app.kubernetes.io/name") == "ingress-nginx"
                                             or "ingress-nginx" in images or "ingress-controller" in images):
            problems.append(f"{item.where}: runs an ingress controller")
    for release in inventory.releases:
        if not release.rendered:
            continue
        source = f"release {release.pin.key}"
        running = {f"{item.kind}/{item.name}" for item in inventory.items
                   if item.source == source and item.kind in WORKLOAD_KINDS}
        expected = set(release.pin.workloads)
        problems += [f"{release.pin.key}: renders {workload}, which its chart record does not list"
                     for workload in sorted(running - expected)]
        problems += [f"{release.pin.key}: its chart record lists {workload}, which it does not render"
                     for workload in sorted(expected - running)]
    return problems


def releases_rendered(inventory: Inventory, evaluation: Evaluation) -> list[str]:
    """A release that has a source but could not be rendered fails the check: it never passes silently."""
    return [f"release {release.pin.key}: {release.detail}" for release in inventory.releases
            if release.status in ("missing", "failed")]


FUNCTION_CHECKS: tuple[tuple[str, FunctionCheck], ...] = (
    ("rendered", releases_rendered),
    ("schemas", schemas_valid),
    ("plaintext", no_plaintext_secrets),
    ("references", references_resolve),
    ("consumers", bootstrap_secrets_consumed),
    ("certificates", ingresses_get_certificates),
    ("in-cluster URLs", in_cluster_urls_resolve),
    ("hardening", containers_hardened),
    ("nothing extra", nothing_extra),
)


def run(inventory: Inventory, evaluation: Evaluation) -> dict[str, list[str]]:
    """Every functional check's problems, by check name (computed once per inventory)."""
    if inventory.results is None:
        token = _TEXTS.set({})
        try:
            inventory.results = {name: check(inventory, evaluation) for name, check in FUNCTION_CHECKS}
        finally:
            _TEXTS.reset(token)
    return inventory.results
