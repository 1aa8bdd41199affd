"""Helm values: pinned charts, hardened pods, secrets as references where the chart allows."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from components.cluster import charts, values
from components.cluster import constants as c
from tests.conftest import refs_path
from verify.checks import missing_value_paths, value_paths

HOST = "infisical.example.com"


def all_values() -> dict[str, dict[str, Any]]:
    return {
        "external-secrets": values.external_secrets_values(),
        "secrets-operator": values.infisical_operator_values(HOST),
        "infisical-standalone": values.infisical_values(HOST, "pg-password", "redis-password", "0123456789abcdef"),
        "argo-cd": values.argocd_values("argocd.example.com", "auth.example.com"),
    }


@pytest.mark.parametrize("chart", sorted(charts.BY_CHART))
def test_every_value_path_exists_in_the_pinned_charts_values(chart: str) -> None:
    chart_values = yaml.safe_load(refs_path("charts", chart, "values.yaml").read_text())
    pin = charts.BY_CHART[chart]
    assert missing_value_paths(all_values()[chart], chart_values, pin.open_maps) == []


@pytest.mark.parametrize("chart", sorted(charts.BY_CHART))
def test_pins_match_the_reference_charts(chart: str) -> None:
    reference = yaml.safe_load(refs_path("charts", chart, "Chart.yaml").read_text())
    assert str(reference["version"]) == charts.BY_CHART[chart].version
    assert reference["name"] == chart


def test_pins_use_the_upstream_repositories() -> None:
    assert charts.EXTERNAL_SECRETS.repository == "https://charts.external-secrets.io"
    assert charts.ARGOCD.repository == "https://argoproj.github.io/argo-helm"
    infisical_repo = "https://dl.cloudsmith.io/public/infisical/helm-charts/helm/charts/"
    assert charts.INFISICAL.repository == charts.INFISICAL_OPERATOR.repository == infisical_repo


def test_open_maps_exist_as_maps_in_the_chart() -> None:
    for pin in charts.ALL:
        if not pin.open_maps:
            continue
        chart_values = yaml.safe_load(refs_path("charts", pin.chart, "values.yaml").read_text())
        for open_map in pin.open_maps:
            node: Any = chart_values
            for part in open_map:
                node = node[part]
            assert isinstance(node, dict)


def test_the_path_check_reports_a_misspelt_path() -> None:
    chart_values = {"securityContext": {"runAsNonRoot": True}, "configs": {"cm": {}}}
    assert missing_value_paths({"securityContext": {"runAsNonroot": True}}, chart_values) == [
        "securityContext.runAsNonroot"]
    assert missing_value_paths({"configs": {"cm": {"oidc.config": "x"}}}, chart_values, (("configs", "cm"),)) == []
    assert missing_value_paths({"configs": {"cmx": {"a": "x"}}}, chart_values, (("configs", "cm"),)) == [
        "configs.cmx.a"]


def test_value_paths_treat_dotted_keys_and_secret_markers_as_one_step() -> None:
    marker = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "value": "x"}
    assert value_paths({"configs": {"cm": {"oidc.config": "x"}}, "redis": {"auth": {"password": marker}}}) == [
        ("configs", "cm", "oidc.config"), ("redis", "auth", "password")]


@pytest.mark.parametrize("component", ["", "webhook", "certController"])
def test_external_secrets_pods_are_hardened(component: str) -> None:
    chart_values = values.external_secrets_values()
    node = chart_values[component] if component else chart_values
    context = node["securityContext"]
    assert context["enabled"] is True
    assert context["runAsNonRoot"] is True
    assert context["readOnlyRootFilesystem"] is True
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"] == {"drop": ["ALL"]}
    assert chart_values["installCRDs"] is True


def test_infisical_operator_is_hardened_and_defaults_to_the_self_hosted_api() -> None:
    chart_values = values.infisical_operator_values(HOST)
    manager = chart_values["controllerManager"]["manager"]["containerSecurityContext"]
    assert manager["readOnlyRootFilesystem"] is True and manager["capabilities"] == {"drop": ["ALL"]}
    assert chart_values["controllerManager"]["podSecurityContext"]["runAsNonRoot"] is True
    assert chart_values["hostAPI"] == f"https://{HOST}/api"
    assert chart_values["installCRDs"] is True


def test_infisical_reads_its_keys_from_the_bootstrap_secret() -> None:
    chart_values = values.infisical_values(HOST, "pg", "redis", "digest")
    assert chart_values["infisical"]["kubeSecretRef"] == c.SECRET_INFISICAL
    assert chart_values["infisical"]["podAnnotations"] == {c.BOOTSTRAP_DIGEST_ANNOTATION: "digest"}
    assert chart_values["postgresql"]["auth"]["password"] == "pg"
    assert chart_values["redis"]["auth"]["password"] == "redis"
    assert chart_values["ingress"]["hostName"] == HOST
    # With the bundled PostgreSQL the pinned chart renders the literal DB_CONNECTION_URI anyway (and last):
    # an existing-secret reference would only add a second, losing entry.
    assert "useExistingPostgresSecret" not in chart_values["postgresql"]


def test_argocd_oidc_references_the_secret_and_never_holds_it() -> None:
    chart_values = values.argocd_values("argocd.example.com", "auth.example.com")
    assert chart_values["global"]["domain"] == "argocd.example.com"
    assert chart_values["dex"]["enabled"] is False
    config = yaml.safe_load(chart_values["configs"]["cm"]["oidc.config"])
    assert config["clientSecret"] == f"${c.SECRET_ARGOCD_OIDC}:{c.KEY_OIDC_CLIENT_SECRET}"
    assert config["issuer"] == "https://auth.example.com/application/o/argocd/"
    assert config["clientID"] == c.ARGOCD_OIDC_CLIENT_ID
    assert "secret" not in chart_values.get("configs", {})


def test_argocd_without_oidc_sets_no_oidc_config() -> None:
    chart_values = values.argocd_values("", None)
    assert "configs" not in chart_values and "global" not in chart_values
