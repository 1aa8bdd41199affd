"""The cluster plan: which namespaces, Secrets, releases and sync resources exist for given settings."""

from __future__ import annotations

import dataclasses

from components.cluster import charts
from components.cluster import constants as c
from components.cluster.plan import make_plan
from tests.cluster.helpers import ESO_APP, EVERYTHING, IDENTITY, INFISICAL_APP, cluster_settings

AUTHENTIK = "auth.example.com"


def test_first_deploy_creates_the_platform_secrets_and_waits_for_the_machine_identity() -> None:
    plan = make_plan(cluster_settings(), AUTHENTIK, frozenset())
    assert {(s.namespace, s.name) for s in plan.bootstrap} == {
        (c.NS_INFISICAL, c.SECRET_INFISICAL), (c.NS_CERT_MANAGER, c.SECRET_CLOUDFLARE),
        (c.NS_ARGOCD, c.SECRET_INFISICAL_HELM)}
    assert not plan.machine_identity
    assert not plan.cluster_secret_store
    assert plan.external_secrets == () and plan.infisical_secrets == ()
    assert len(plan.pending) == 1
    step = plan.pending[0]
    assert "3 catalog apps" in step and "machineIdentityClientId" in step and "machineIdentityClientSecret" in step
    assert step.endswith("&& pulumi up")


def test_half_a_machine_identity_is_no_machine_identity() -> None:
    plan = make_plan(cluster_settings(), AUTHENTIK, frozenset({"machine_identity_client_id"}))
    assert not plan.machine_identity and plan.external_secrets == ()
    assert "machineIdentityClientSecret" in plan.pending[0] and "machineIdentityClientId'" not in plan.pending[0]


def test_machine_identity_switches_on_the_store_and_one_resource_per_app() -> None:
    plan = make_plan(cluster_settings(), AUTHENTIK, IDENTITY)
    assert plan.cluster_secret_store
    assert [a.name for a in plan.external_secrets] == ["grafana", "harbor"]
    assert plan.infisical_secrets == (INFISICAL_APP,)
    assert (c.NS_EXTERNAL_SECRETS, c.SECRET_MACHINE_IDENTITY) in {(s.namespace, s.name) for s in plan.bootstrap}
    assert plan.pending == ()


def test_only_the_encryption_key_secret_is_retained_on_delete() -> None:
    plan = make_plan(cluster_settings(), AUTHENTIK, EVERYTHING)
    assert {s.name for s in plan.bootstrap if s.retain_on_delete} == {c.SECRET_INFISICAL}
    holders = {secret for s in plan.bootstrap if s.retain_on_delete for secret in s.secrets}
    assert "infisical_encryption_key" in holders


def test_oidc_needs_the_secret_and_both_hosts() -> None:
    with_oidc = make_plan(cluster_settings(), AUTHENTIK, EVERYTHING)
    assert with_oidc.oidc_authentik_host == AUTHENTIK
    oidc = next(s for s in with_oidc.bootstrap if s.name == c.SECRET_ARGOCD_OIDC)
    assert (c.ARGOCD_PART_OF_LABEL, "argocd") in oidc.extra_labels and oidc.namespace == c.NS_ARGOCD

    without_host = make_plan(cluster_settings(argocd_host=""), "", EVERYTHING)
    assert without_host.oidc_authentik_host is None
    assert c.SECRET_ARGOCD_OIDC not in {s.name for s in without_host.bootstrap}
    assert any("argocdHost and authentikHost" in step for step in without_host.pending)

    no_secret = make_plan(cluster_settings(), AUTHENTIK, IDENTITY)
    assert no_secret.oidc_authentik_host is None and no_secret.pending == ()


def test_each_release_can_be_switched_off() -> None:
    all_on = make_plan(cluster_settings(), AUTHENTIK, EVERYTHING)
    assert all_on.releases == charts.ALL
    for flag, pin in (("install_external_secrets", charts.EXTERNAL_SECRETS),
                      ("install_infisical_operator", charts.INFISICAL_OPERATOR),
                      ("install_infisical", charts.INFISICAL), ("install_argocd", charts.ARGOCD)):
        plan = make_plan(cluster_settings(**{flag: False}), AUTHENTIK, EVERYTHING)
        assert pin not in plan.releases and len(plan.releases) == 3
        # The bootstrap Secrets stay: the chart may be installed another way (Argo CD in GitOps mode).
        assert {s.name for s in plan.bootstrap} == {s.name for s in all_on.bootstrap}


def test_the_operator_namespace_exists_only_with_the_operator() -> None:
    assert c.NS_INFISICAL_OPERATOR in make_plan(cluster_settings(), AUTHENTIK, frozenset()).namespaces
    off = make_plan(cluster_settings(install_infisical_operator=False), AUTHENTIK, frozenset())
    assert c.NS_INFISICAL_OPERATOR not in off.namespaces


def test_app_namespaces_are_created_once_and_sorted() -> None:
    second = dataclasses.replace(ESO_APP, name="grafana-oauth", secret_name="grafana-oauth")
    plan = make_plan(cluster_settings(apps=(INFISICAL_APP, ESO_APP, second)), AUTHENTIK, frozenset())
    assert plan.app_namespaces == ("monitoring", "n8n")
    in_platform = dataclasses.replace(ESO_APP, namespace=c.NS_ARGOCD)
    assert make_plan(cluster_settings(apps=(in_platform,)), AUTHENTIK, frozenset()).app_namespaces == ()


def test_secret_names_are_per_namespace_and_sorted() -> None:
    names = make_plan(cluster_settings(), AUTHENTIK, EVERYTHING).secret_names()
    assert list(names) == sorted(names)
    assert names[c.NS_ARGOCD] == [c.SECRET_ARGOCD_OIDC, c.SECRET_INFISICAL_HELM]
    assert names["monitoring"] == ["grafana-secret"] and names["n8n"] == ["n8n-db"]
    first = make_plan(cluster_settings(), AUTHENTIK, frozenset()).secret_names()
    assert "monitoring" not in first  # not synced until the machine identity is set


def test_an_infisical_resync_below_five_seconds_is_a_problem() -> None:
    fast = dataclasses.replace(INFISICAL_APP, refresh_interval="2s")
    plan = make_plan(cluster_settings(apps=(fast,)), AUTHENTIK, IDENTITY)
    assert len(plan.problems) == 1 and "'n8n'" in plan.problems[0] and "at least 5s" in plan.problems[0]
    eso_zero = dataclasses.replace(ESO_APP, refresh_interval="0s")  # ESO: 0 means sync once
    assert make_plan(cluster_settings(apps=(eso_zero,)), AUTHENTIK, IDENTITY).problems == ()


def test_cloudflare_key_name_follows_the_setting() -> None:
    plan = make_plan(cluster_settings(cloudflare_secret_key="token"), AUTHENTIK, frozenset())
    assert next(s for s in plan.bootstrap if s.name == c.SECRET_CLOUDFLARE).keys == ("token",)
