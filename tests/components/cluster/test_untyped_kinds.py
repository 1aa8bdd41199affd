"""The untyped Release and CustomResource register exactly what the typed pulumi-kubernetes classes register.

The program registers them through `components.cluster.core_kinds`, so that no evaluation imports
`pulumi_kubernetes.helm.v3` (which imports `requests` and the YAML module) or `pulumi_kubernetes.apiextensions`.
Here the whole program is evaluated a second time with the typed classes of pulumi-kubernetes 4.34.2 in their
place, and every request the engine would receive is compared: type tokens, names, inputs under their wire names,
secret markers, dependencies, provider, version and every other option.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
import pytest

from components.cluster import core_kinds
from tests.components.cluster.conftest import RELEASE
from tests.conftest import full_config, run
from verify.evaluate import Evaluation, evaluate

SKIPPED_OPTIONS = {"stackTrace", "sourcePosition"}  # where in the code each registration was made


def typed_release(name: str, *, release_name: str, chart: str, version: str, repository: str, namespace: str,
                  values: Mapping[str, Any], timeout: int, max_history: int,
                  opts: pulumi.ResourceOptions | None = None) -> pulumi.CustomResource:
    from pulumi_kubernetes.helm import v3 as helm

    return helm.Release(name, name=release_name, chart=chart, version=version,
                        repository_opts=helm.RepositoryOptsArgs(repo=repository), namespace=namespace,
                        create_namespace=False, values=values, timeout=timeout, max_history=max_history, opts=opts)


def typed_custom_resource(name: str, api_version: str, kind: str, metadata: Mapping[str, Any], spec: Any,
                          opts: pulumi.ResourceOptions | None = None) -> pulumi.CustomResource:
    from pulumi_kubernetes import apiextensions

    return apiextensions.CustomResource(name, api_version=api_version, kind=kind, metadata=metadata, spec=spec,
                                        opts=opts)


def _options(options: dict[str, Any]) -> dict[str, Any]:
    """The options, with each list of dependency URNs sorted: the SDK collects them in sets, so their order is that
    of the Resource objects' hashes, which differs between two evaluations (the engine reads them as sets)."""
    kept = {key: value for key, value in options.items() if key not in SKIPPED_OPTIONS}
    if "dependencies" in kept:
        kept["dependencies"] = sorted(kept["dependencies"])
    if "propertyDependencies" in kept:
        kept["propertyDependencies"] = {key: {**value, "urns": sorted(value.get("urns", []))}
                                        for key, value in kept["propertyDependencies"].items()}
    return kept


def requests(evaluation: Evaluation) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """Each registration's inputs and options by URN (the order of registrations is the executor's)."""
    assert evaluation.crash is None and evaluation.error is None, evaluation.crash or evaluation.error
    return {r.urn: (r.inputs, _options(r.options)) for r in evaluation.registrations}


def _typed_evaluation(monkeypatch: pytest.MonkeyPatch) -> Evaluation:
    monkeypatch.setattr(core_kinds, "Release", typed_release)
    monkeypatch.setattr(core_kinds, "CustomResource", typed_custom_resource)
    return run(full_config())


def test_the_program_registers_releases_and_custom_resources_as_the_typed_classes_do(
        full_evaluation: Evaluation, monkeypatch: pytest.MonkeyPatch) -> None:
    untyped = requests(full_evaluation)
    typed = requests(_typed_evaluation(monkeypatch))
    assert sorted(untyped) == sorted(typed)
    for urn, request in untyped.items():
        assert request == typed[urn], f"{urn} registers differently from the typed class"
    assert len(full_evaluation.by_type(RELEASE)) >= 5
    assert len(full_evaluation.by_type("kubernetes:external-secrets.io/v1:ExternalSecret")) >= 1


def _one_release(release: Any, values: Mapping[str, Any]) -> Any:
    def program() -> None:
        release("app", release_name="app", chart="app", version="1.0.0", repository="https://charts.example.com",
                namespace="apps", values=values, timeout=600, max_history=5)

    return requests(evaluate({}, set(), [], program=program))


@pytest.mark.parametrize("values", [
    {"snake_case_key": {"nested_key": 1}, "list": [{"a_b": "c"}]},  # the typed class does not rename value keys
    {"password": pulumi.Output.secret("canary-" + "p" * 24)},  # a secret value stays a secret
])
def test_release_values_are_sent_as_the_typed_class_sends_them(values: dict[str, Any]) -> None:
    assert _one_release(core_kinds.Release, values) == _one_release(typed_release, values)


def test_the_comparison_sees_a_difference() -> None:
    def atomic_release(name: str, **kwargs: Any) -> Any:
        from pulumi_kubernetes.helm import v3 as helm

        repository = kwargs.pop("repository")
        return helm.Release(name, name=kwargs.pop("release_name"), repository_opts=helm.RepositoryOptsArgs(
            repo=repository), create_namespace=False, atomic=True, **kwargs)

    assert _one_release(atomic_release, {}) != _one_release(core_kinds.Release, {})
    assert _one_release(typed_release, {"a": 1}) != _one_release(core_kinds.Release, {"a": 2})
