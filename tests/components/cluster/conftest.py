"""Evaluations of the real program for the cluster tests, and helpers to read them."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import base_config, shared_run
from verify.evaluate import Evaluation
from verify.mocks import Registration

SECRET = "kubernetes:core/v1:Secret"
NAMESPACE = "kubernetes:core/v1:Namespace"
RELEASE = "kubernetes:helm.sh/v3:Release"
PROVIDER = "pulumi:providers:kubernetes"
STORE = "kubernetes:external-secrets.io/v1:ClusterSecretStore"
EXTERNAL_SECRET = "kubernetes:external-secrets.io/v1:ExternalSecret"
CONNECTION = "kubernetes:secrets.infisical.com/v1beta1:InfisicalConnection"
AUTH = "kubernetes:secrets.infisical.com/v1beta1:InfisicalAuth"
STATIC_SECRET = "kubernetes:secrets.infisical.com/v1beta1:InfisicalStaticSecret"
ISSUER = "kubernetes:cert-manager.io/v1:ClusterIssuer"
DATABASE = "kubernetes:postgresql.cnpg.io/v1:Cluster"
JOB = "kubernetes:batch/v1:Job"


@pytest.fixture(scope="session")
def first_deploy_evaluation() -> Evaluation:
    """Only the secrets a first deploy needs: no machine identity, no Argo CD OIDC client secret yet."""
    evaluation = shared_run(base_config())
    assert evaluation.error is None, evaluation.error
    return evaluation


def k8s_registrations(evaluation: Evaluation) -> list[Registration]:
    return [r for r in evaluation.registrations if r.type.startswith("kubernetes:")]


def by_name(evaluation: Evaluation, type_token: str) -> dict[str, Registration]:
    return {r.name: r for r in evaluation.by_type(type_token)}


def secret_by_object_name(evaluation: Evaluation, namespace: str, name: str) -> Registration:
    for registration in evaluation.by_type(SECRET):
        metadata = registration.inputs["metadata"]
        if metadata["namespace"] == namespace and metadata["name"] == name:
            return registration
    raise KeyError(f"no Secret {namespace}/{name}")


def release(evaluation: Evaluation, key: str) -> Registration:
    return by_name(evaluation, RELEASE)[key]


def plain(value: Any) -> Any:
    from verify.mocks import unwrap

    return unwrap(value)
