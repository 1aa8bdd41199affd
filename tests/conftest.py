"""Shared fixtures: the test stack config, evaluations of the real program, and the upstream refs."""

from __future__ import annotations

import gc
import json
from pathlib import Path
from typing import Any

import pytest

from components.secrets_registry import SECRETS, Need
from verify import PROJECT_ROOT, stackconfig
from verify.evaluate import Evaluation, evaluate
from verify.stackconfig import StackConfig

pytest_plugins = ["tests.ci_skips"]

REFS = PROJECT_ROOT.parent / "shared" / "refs"

TEST_STACK: dict[str, Any] = {
    "homelab-secrets:sshSourceRanges": ["198.51.100.7/32"],
    "homelab-secrets:authentikHost": "auth.test.example.com",
    "homelab-secrets:netbirdHost": "netbird.test.example.com",
    "homelab-secrets:acmeEmail": "ops@example.com",
    "homelab-secrets:adminEmail": "owner@example.com",
    "homelab-secrets:infisicalHost": "infisical.test.example.com",
    "homelab-secrets:argocdHost": "argocd.test.example.com",
    "homelab-secrets:dnsZone": "test.example.com",
    "homelab-secrets:clusterIngressAddresses": ["198.51.100.20"],
    "homelab-secrets:ingressClass": "traefik",
    "homelab-secrets:apps": [
        {"name": "grafana", "namespace": "monitoring", "target": "grafana-secret", "path": "/",
         "keys": {"GRAFANA_ADMIN_PASSWORD": "GRAFANA_ADMIN_PASSWORD"}},
        {"name": "n8n", "namespace": "n8n", "target": "n8n-db", "path": "/n8n", "refreshInterval": "60s",
         "operator": "infisical-operator", "keys": {"DB_PASSWORD": "DB_PASSWORD"}},
    ],
}


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """Last of every plugin's unconfigure, after pytest's unraisable-exception check has made its collection:
    everything still alive is set aside from the collector, so the interpreter's passes at exit do not walk every
    evaluation the process kept. The controller waited 1.9 s for its two workers to end, 0.5 s with this."""
    gc.freeze()


def refs_path(*parts: str) -> Path:
    """A file under ../shared/refs, or a skip that says why."""
    path = REFS.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"upstream reference data {path} is absent (../shared/refs sits beside the project)")
    return path


def base_config() -> StackConfig:
    """The test stack with only the required operator secrets set (as canaries)."""
    config = stackconfig.from_mapping(dict(TEST_STACK))
    for spec in SECRETS:
        if spec.need is Need.REQUIRED and not spec.generated:
            config.set_secret(spec)
    return config


def full_config(include_generated: bool = False) -> StackConfig:
    """Every operator-issued secret set; with include_generated, every generated one overridden too."""
    return stackconfig.with_all_secrets(base_config(), include_generated)


def run(config: StackConfig) -> Evaluation:
    """A fresh, independent evaluation (what a determinism or a rotation test compares against another)."""
    evaluation = evaluate(config.values, config.secret_keys, config.canaries)
    if evaluation.crash is not None:
        raise evaluation.crash
    return evaluation


_SHARED: dict[str, Evaluation] = {}


def shared_run(config: StackConfig) -> Evaluation:
    """The evaluation of this exact config, made once per test process and shared by every test that only reads
    it: the session fixtures, and the tests of several files that evaluate the same configuration. Never for a
    test of determinism (two runs of one config must be two evaluations), and never to be changed in place."""
    key = json.dumps([sorted(config.values.items()), sorted(config.secret_keys),
                      [(c.label, c.value, c.marker) for c in config.canaries]])
    if key not in _SHARED:
        _SHARED[key] = run(config)
    return _SHARED[key]


@pytest.fixture(scope="session")
def full_evaluation() -> Evaluation:
    evaluation = shared_run(full_config())
    assert evaluation.error is None, evaluation.error
    return evaluation


@pytest.fixture(scope="session")
def repeated_evaluation() -> Evaluation:
    """A second, independent evaluation of the same config as `full_evaluation`, for determinism checks."""
    return run(full_config())


@pytest.fixture(scope="session")
def overridden_evaluation() -> Evaluation:
    evaluation = shared_run(full_config(include_generated=True))
    assert evaluation.error is None, evaluation.error
    return evaluation


@pytest.fixture(scope="session")
def base_evaluation() -> Evaluation:
    """The first deploy as the stack file leaves it: only the required operator secrets, as placeholders."""
    evaluation = shared_run(base_config())
    assert evaluation.error is None, evaluation.error
    return evaluation
