"""Argo CD's side of single sign-on agrees with Authentik's blueprint: issuer, client ID, redirect and group."""

from __future__ import annotations

import json

import yaml

from components.bifrost import blueprint
from components.cluster import charts
from components.config.model import IdentitySettings
from tests.components.cluster.conftest import release
from verify.evaluate import Evaluation


def test_argocd_and_the_blueprint_name_the_same_client(full_evaluation: Evaluation) -> None:
    from tests.conftest import TEST_STACK

    chart_values = release(full_evaluation, charts.ARGOCD.key).inputs["values"]
    oidc = yaml.safe_load(chart_values["configs"]["cm"]["oidc.config"])
    authentik = TEST_STACK["homelab-secrets:authentikHost"]
    argocd = TEST_STACK["homelab-secrets:argocdHost"]
    assert oidc["issuer"] == f"https://{authentik}/application/o/{blueprint.ARGOCD.slug}/"
    assert oidc["clientID"] == blueprint.ARGOCD.slug
    assert "groups" in oidc["requestedScopes"]
    # Argo CD's OIDC callback is `<url>/auth/callback`, its `url` built from global.domain.
    callback = f"https://{argocd}/auth/callback"
    assert f"https://{argocd}{blueprint.ARGOCD.redirect_path}" == callback
    assert chart_values["global"]["domain"] == argocd  # argocd-cm url, from which Argo CD builds the callback
    identity = IdentitySettings(argocd_host=argocd)
    document = json.dumps(blueprint.blueprint_document(identity, "digest"), default=str)
    assert f'"url": "{callback}"' in document
    assert f'"name": "{identity.argocd_admin_group}"' in document
    assert chart_values["configs"]["rbac"]["policy.csv"] == f"g, {identity.argocd_admin_group}, role:admin\n"
    assert chart_values["configs"]["rbac"]["policy.default"] == "role:readonly"
