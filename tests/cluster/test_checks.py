"""The offline check's cluster rules catch what they are for."""

from __future__ import annotations

from typing import Any

from tests.conftest import refs_path
from verify import checks
from verify.evaluate import Evaluation
from verify.mocks import Registration

PROVIDER_URN = "urn:pulumi:test::p::pulumi:providers:kubernetes::cluster"


def registration(type_token: str, name: str, inputs: dict[str, Any], provider: str = PROVIDER_URN) -> Registration:
    options = {"provider": f"{provider}::cluster-id"} if provider else {}
    return Registration(type_token, name, f"urn:pulumi:test::p::{type_token}::{name}", "", True, inputs, options)


def evaluation_of(*registrations: Registration) -> Evaluation:
    provider = Registration("pulumi:providers:kubernetes", "cluster", PROVIDER_URN, "", True,
                            {"kubeconfig": {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
                                            "value": "x"}}, {})
    return Evaluation([provider, *registrations], {}, [], [])


def test_a_v1beta1_external_secret_fails() -> None:
    bad = registration("kubernetes:external-secrets.io/v1beta1:ExternalSecret", "old", {
        "apiVersion": "external-secrets.io/v1beta1", "kind": "ExternalSecret", "metadata": {"name": "old"},
        "spec": {}})
    (problem,) = checks.cluster_objects_valid(evaluation_of(bad))
    assert "expected external-secrets.io/v1" in problem


def test_a_misspelt_custom_resource_field_fails() -> None:
    refs_path("crds", "infisical")
    bad = registration("kubernetes:secrets.infisical.com/v1alpha1:InfisicalSecret", "typo", {
        "apiVersion": "secrets.infisical.com/v1alpha1", "kind": "InfisicalSecret", "metadata": {"name": "typo"},
        "spec": {"syncConfig": {"resyncIntervall": "60s"}}})
    (problem,) = checks.cluster_objects_valid(evaluation_of(bad))
    assert "resyncIntervall" in problem


def test_a_core_object_with_an_unknown_field_fails() -> None:
    bad = registration("kubernetes:core/v1:Secret", "s", {
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "stringdata": {"a": "b"}})
    (problem,) = checks.cluster_objects_valid(evaluation_of(bad))
    assert "stringdata" in problem


def test_a_resource_on_the_default_provider_fails() -> None:
    ambient = registration("kubernetes:core/v1:Namespace", "ns", {
        "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ns"}}, provider="")
    (problem,) = checks.cluster_resources_use_explicit_provider(evaluation_of(ambient))
    assert "explicit-kubeconfig" in problem


def test_a_release_with_an_unknown_value_or_version_fails() -> None:
    refs_path("charts", "external-secrets")
    bad = registration("kubernetes:helm.sh/v3:Release", "external-secrets", {
        "chart": "external-secrets", "version": "2.8.0", "values": {"installCrds": True}})
    problems = checks.helm_values_exist_in_charts(evaluation_of(bad))
    assert any("2.8.0" in p for p in problems)
    assert any("installCrds" in p for p in problems)


def test_an_unpinned_chart_fails() -> None:
    bad = registration("kubernetes:helm.sh/v3:Release", "x", {"chart": "vault", "version": "1.0.0", "values": {}})
    (problem,) = checks.helm_values_exist_in_charts(evaluation_of(bad))
    assert "no pin" in problem


def test_core_kinds_are_told_apart_from_crd_kinds() -> None:
    assert checks.is_core_kind("v1") and checks.is_core_kind("apps/v1")
    assert checks.is_core_kind("rbac.authorization.k8s.io/v1")
    assert not checks.is_core_kind("external-secrets.io/v1")
    assert not checks.is_core_kind("secrets.infisical.com/v1alpha1")
