"""Structural checks the offline check runs on an evaluation, besides the leak detector.

Each check returns a list of problems (empty when fine). Components add their own here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from components.cluster.constants import HELM_RELEASE_TYPE
from verify import PROJECT_ROOT
from verify.evaluate import Evaluation
from verify.mocks import Registration, is_secret_marker

if TYPE_CHECKING:
    from verify.inventory import Inventory

Check = Callable[[Evaluation], list[str]]


def no_unexpected_crash(evaluation: Evaluation) -> list[str]:
    return [f"the program crashed: {evaluation.crash!r}"] if evaluation.crash else []


CHECKS: list[Check] = [no_unexpected_crash]


def run_all(evaluation: Evaluation, inventory: Inventory | None = None) -> list[str]:
    """Every check; `inventory`: the rendered install when the caller built it already (with planned objects)."""
    problems: list[str] = []
    for check in CHECKS:
        problems += check(evaluation)
    return problems + cluster_functions(evaluation, inventory)


# --- The cluster side -------------------------------------------------------------------------------------
# Every release is rendered with its real chart and the whole install is checked for function (verify/function.py);
# here: the provider rule and the Helm values' paths. The upstream reference data sits in ../shared/refs beside
# the project or in a chart cache (verify/rendering.py).

REFS = PROJECT_ROOT.parent / "shared" / "refs"
K8S_PROVIDER_TYPE = "pulumi:providers:kubernetes"


def _where(registration: Registration) -> str:
    return f"{registration.type} {registration.name}"


def cluster_functions(evaluation: Evaluation, inventory: Inventory | None = None) -> list[str]:
    """The functional checks on the rendered install (every release rendered with its pinned chart)."""
    from verify import function
    from verify import inventory as inventories

    if not evaluation.by_type(K8S_PROVIDER_TYPE):
        return []
    built = inventory if inventory is not None else inventories.build(evaluation)
    return [f"{name}: {problem}" for name, problems in function.run(built, evaluation).items()
            for problem in problems]


def cluster_resources_use_explicit_provider(evaluation: Evaluation) -> list[str]:
    """Every Kubernetes resource names a provider built from an explicit kubeconfig (never ambient)."""
    providers = {registration.urn for registration in evaluation.by_type(K8S_PROVIDER_TYPE)
                 if "kubeconfig" in registration.inputs}
    problems = []
    for registration in evaluation.registrations:
        if not registration.type.startswith("kubernetes:"):
            continue
        provider = registration.provider.rsplit("::", 1)[0]
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
    """Each release pins its record's version and sets only paths its chart's values.yaml has.

    The chart's values come from its source in the chart cache, or for a chart with no source offline from the
    reference copy of its values.yaml (../shared/refs/charts/<chart>).
    """
    from components.cluster.charts import BY_CHART
    from verify import rendering

    problems = []
    for registration in evaluation.by_type(HELM_RELEASE_TYPE):
        chart = str(registration.inputs.get("chart", ""))
        pin = BY_CHART.get(chart)
        if pin is None:
            problems.append(f"{_where(registration)}: chart {chart} has no record in components/cluster/charts.py")
            continue
        if registration.inputs.get("version") != pin.version:
            problems.append(f"{_where(registration)}: version {registration.inputs.get('version')} is not "
                            f"the pinned {pin.version}")
        directory = rendering.locate(pin) or REFS / "charts" / chart
        if not (directory / "values.yaml").exists():
            continue
        chart_values = rendering.chart_values(directory)
        values = registration.inputs.get("values") or {}
        problems += [f"{_where(registration)}: value {path} is not in {chart} values.yaml ({directory.name})"
                     for path in missing_value_paths(values, chart_values, pin.open_maps)]
    return problems


CHECKS += [cluster_resources_use_explicit_provider, helm_values_exist_in_charts]
