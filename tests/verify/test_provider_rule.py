"""The provider rule reads each registration's provider option, converted or still in its wire bytes."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from verify import checks
from verify.evaluate import Evaluation, evaluate


def program(explicit: bool) -> None:
    provider = k8s.Provider("cluster", kubeconfig="apiVersion: v1\nkind: Config\n")
    opts = pulumi.ResourceOptions(provider=provider) if explicit else None
    k8s.core.v1.ConfigMap("settings", metadata={"name": "settings", "namespace": "default"}, opts=opts)


def evaluation(explicit: bool) -> Evaluation:
    result = evaluate({}, set(), [], program=lambda: program(explicit))
    assert result.error is None and result.crash is None
    return result


def test_a_kubernetes_resource_on_the_ambient_provider_fails() -> None:
    problems = checks.cluster_resources_use_explicit_provider(evaluation(explicit=False))
    assert problems == ["kubernetes:core/v1:ConfigMap settings does not use the explicit-kubeconfig Kubernetes "
                        "provider"]


def test_the_explicit_provider_passes_before_and_after_the_options_are_converted() -> None:
    evaluated = evaluation(explicit=True)
    assert checks.cluster_resources_use_explicit_provider(evaluated) == []
    for registration in evaluated.registrations:
        assert registration.provider == registration.options.get("provider", "")
    assert checks.cluster_resources_use_explicit_provider(evaluated) == []
