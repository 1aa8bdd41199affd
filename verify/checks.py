"""Structural checks the offline check runs on an evaluation, besides the leak detector.

Each check returns a list of problems (empty when fine). Components add their own here.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from verify.evaluate import PROJECT_ROOT, Evaluation
from verify.mocks import Registration, is_secret_marker, unwrap

Check = Callable[[Evaluation], list[str]]


def no_unexpected_crash(evaluation: Evaluation) -> list[str]:
    return [f"the program crashed: {evaluation.crash!r}"] if evaluation.crash else []


CHECKS: list[Check] = [no_unexpected_crash]


def run_all(evaluation: Evaluation) -> list[str]:
    problems: list[str] = []
    for check in CHECKS:
        problems += check(evaluation)
    return problems


# --- The cluster side -------------------------------------------------------------------------------------
# Every Kubernetes object the program emits is checked: core kinds strictly with kubernetes-validate, custom
# resources against the strict JSON Schemas of their CRDs, Helm values against the pinned chart's values.yaml.
# The upstream reference data sits in ../shared/refs beside the project; without it only the structural
# rules run. Validators are imported when first needed, so the offline check stays fast.

KUBERNETES_VERSION = "1.35.0"  # a version kubernetes-validate ships strict schemas for
REFS = PROJECT_ROOT.parent / "shared" / "refs"
K8S_PROVIDER_TYPE = "pulumi:providers:kubernetes"
HELM_RELEASE_TYPE = "kubernetes:helm.sh/v3:Release"
CUSTOM_RESOURCE_API_VERSIONS = {
    "ClusterSecretStore": "external-secrets.io/v1",
    "SecretStore": "external-secrets.io/v1",
    "ExternalSecret": "external-secrets.io/v1",
    "InfisicalSecret": "secrets.infisical.com/v1alpha1",
}
_CRD_SCHEMA_DIRS = {"external-secrets.io": "eso", "secrets.infisical.com": "infisical"}


def kubernetes_objects(evaluation: Evaluation) -> list[tuple[Registration, dict[str, Any]]]:
    """Every Kubernetes object the program registers (Helm releases aside), as the manifest it applies."""
    objects = []
    for registration in evaluation.registrations:
        if not registration.type.startswith("kubernetes:") or registration.type == HELM_RELEASE_TYPE:
            continue
        manifest = {key: unwrap(value) for key, value in registration.inputs.items()
                    if not key.startswith("__")}
        objects.append((registration, manifest))
    return objects


def _where(registration: Registration) -> str:
    return f"{registration.type} {registration.name}"


@functools.cache
def _crd_schema(group: str, version: str, kind: str) -> dict[str, Any] | None:
    directory = _CRD_SCHEMA_DIRS.get(group)
    if directory is None:
        return None
    path = REFS / "crds" / directory / f"{kind.lower()}_{group}_{version}.strict.json"
    if not path.exists():
        return None
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def custom_resource_problems(manifest: dict[str, Any]) -> list[str]:
    """Problems of one custom resource: its API version, then its CRD's strict schema (when present)."""
    kind = str(manifest.get("kind", ""))
    api_version = str(manifest.get("apiVersion", ""))
    expected = CUSTOM_RESOURCE_API_VERSIONS.get(kind)
    if expected is not None and api_version != expected:
        return [f"{kind} uses {api_version}, expected {expected}"]
    group, _, version = api_version.partition("/")
    schema = _crd_schema(group, version, kind)
    if schema is None:
        return []
    import jsonschema

    validator = jsonschema.Draft7Validator(schema)
    return [f"{kind} {'.'.join(str(p) for p in error.absolute_path) or '(root)'}: {error.message}"
            for error in sorted(validator.iter_errors(manifest), key=lambda e: list(map(str, e.absolute_path)))]


def core_object_problems(manifest: dict[str, Any]) -> list[str]:
    """Problems of one core-kind object under kubernetes-validate's strict schemas."""
    try:
        import kubernetes_validate
    except ImportError:  # the dev dependencies are not installed: nothing to validate with
        return []
    try:
        kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as error:
        return [f"{manifest.get('kind')}: {error.message}"]
    except kubernetes_validate.SchemaNotFoundError:
        return [f"{manifest.get('apiVersion')} {manifest.get('kind')} is not a Kubernetes {KUBERNETES_VERSION} kind"]
    return []


def is_core_kind(api_version: str) -> bool:
    """Kinds Kubernetes itself serves (v1, apps/v1, rbac.authorization.k8s.io/v1), not CRD kinds."""
    group = api_version.rpartition("/")[0]
    return not group or "." not in group or group.endswith(".k8s.io")


def cluster_objects_valid(evaluation: Evaluation) -> list[str]:
    problems = []
    for registration, manifest in kubernetes_objects(evaluation):
        found = (core_object_problems(manifest) if is_core_kind(str(manifest.get("apiVersion", "")))
                 else custom_resource_problems(manifest))
        problems += [f"{_where(registration)}: {problem}" for problem in found]
    return problems


def cluster_resources_use_explicit_provider(evaluation: Evaluation) -> list[str]:
    """Every Kubernetes resource names a provider built from an explicit kubeconfig (never ambient)."""
    providers = {registration.urn for registration in evaluation.by_type(K8S_PROVIDER_TYPE)
                 if "kubeconfig" in registration.inputs}
    problems = []
    for registration in evaluation.registrations:
        if not registration.type.startswith("kubernetes:"):
            continue
        provider = str(registration.options.get("provider", "")).rsplit("::", 1)[0]
        if provider not in providers:
            problems.append(f"{_where(registration)} does not use the explicit-kubeconfig Kubernetes provider")
    return problems


def value_paths(values: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Leaf paths of Helm values; a secret marker, a list or a scalar is a leaf."""
    if isinstance(values, dict) and not is_secret_marker(values) and values:
        paths = []
        for key, item in values.items():
            paths += value_paths(item, (*prefix, str(key)))
        return paths
    return [prefix]


def missing_value_paths(values: dict[str, Any], chart_values: dict[str, Any],
                        open_maps: tuple[tuple[str, ...], ...] = ()) -> list[str]:
    """The paths set in `values` that the chart's values.yaml does not have (nor allows as free-form)."""
    missing = []
    for path in value_paths(values):
        if any(path[: len(open_map)] == open_map and len(path) > len(open_map) for open_map in open_maps):
            continue
        node: Any = chart_values
        for part in path:
            if not isinstance(node, dict) or part not in node:
                missing.append(".".join(path))
                break
            node = node[part]
    return missing


def helm_values_exist_in_charts(evaluation: Evaluation) -> list[str]:
    """Each release pins the version of the reference chart, and sets only paths its values.yaml has."""
    import yaml

    from components.cluster.charts import BY_CHART

    # libyaml's safe loader when PyYAML has it: the charts' values files are large.
    loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    problems = []
    for registration in evaluation.by_type(HELM_RELEASE_TYPE):
        chart = str(registration.inputs.get("chart", ""))
        pin = BY_CHART.get(chart)
        if pin is None:
            problems.append(f"{_where(registration)}: chart {chart} has no pin in components/cluster/charts.py")
            continue
        if registration.inputs.get("version") != pin.version:
            problems.append(f"{_where(registration)}: version {registration.inputs.get('version')} is not "
                            f"the pinned {pin.version}")
        directory = REFS / "charts" / chart
        if not directory.exists():
            continue
        reference = yaml.load((directory / "Chart.yaml").read_text(), Loader=loader)  # noqa: S506 - a safe loader either way
        if str(reference.get("version")) != pin.version:
            problems.append(f"{_where(registration)}: pinned {pin.version}, the reference chart is "
                            f"{reference.get('version')}")
        chart_values = yaml.load((directory / "values.yaml").read_text(), Loader=loader)  # noqa: S506 - a safe loader either way or {}
        values = registration.inputs.get("values") or {}
        problems += [f"{_where(registration)}: value {path} is not in {chart} {pin.version} values.yaml"
                     for path in missing_value_paths(values, chart_values, pin.open_maps)]
    return problems


CHECKS += [cluster_objects_valid, cluster_resources_use_explicit_provider, helm_values_exist_in_charts]
