"""The app catalog's validation: every bad entry reported at once, with the key and the fix."""

from __future__ import annotations

from typing import Any

import pytest

from components.config.load import validate
from components.config.raw import RawConfig
from tests.conftest import base_config

GOOD = {"name": "grafana", "namespace": "monitoring", "target": "grafana-secret", "path": "/",
        "keys": {"ADMIN_PASSWORD": "GRAFANA_ADMIN_PASSWORD"}}


def problems_for(apps: list[Any]) -> list[tuple[str, str]]:
    config = base_config()
    config.set("apps", apps)
    settings, problems = validate(RawConfig(config.values, frozenset(config.secret_keys)), "test")
    assert (settings is None) == bool(problems)
    return [(p.key, p.message) for p in problems]


def test_a_good_entry_gets_the_defaults() -> None:
    config = base_config()
    config.set("apps", [GOOD])
    settings, problems = validate(RawConfig(config.values, frozenset(config.secret_keys)), "test")
    assert problems == [] and settings is not None
    (app,) = settings.cluster.apps
    assert (app.refresh_interval, app.operator) == ("1h", settings.cluster.default_operator)
    assert app.keys == (("ADMIN_PASSWORD", "GRAFANA_ADMIN_PASSWORD"),)


def test_two_entries_with_one_target_are_rejected() -> None:
    other = {**GOOD, "name": "grafana-oauth"}
    found = problems_for([GOOD, other])
    assert len(found) == 1
    key, message = found[0]
    assert key == "homelab-secrets:apps[1].target" and "monitoring/grafana-secret" in message


def test_the_same_target_in_two_namespaces_is_fine() -> None:
    assert problems_for([GOOD, {**GOOD, "namespace": "grafana"}]) == []


@pytest.mark.parametrize(("field", "value"), [
    ("name", "Grafana"), ("name", "grafana_app"), ("namespace", "Monitoring"), ("namespace", "a" * 64),
    ("target", "grafana_secret"), ("target", "-grafana"), ("path", "grafana"), ("path", "/grafana/"),
    ("refreshInterval", "1d"), ("operator", "vault")])
def test_bad_names_and_fields_are_reported_with_their_key(field: str, value: str) -> None:
    found = problems_for([{**GOOD, field: value}])
    assert [key for key, _ in found] == [f"homelab-secrets:apps[0].{field}"]


@pytest.mark.parametrize("keys", [{}, None, [], "ADMIN_PASSWORD"])
def test_an_empty_or_missing_key_map_is_rejected(keys: Any) -> None:
    entry = {**GOOD, "keys": keys}
    found = problems_for([entry])
    assert [key for key, _ in found] == ["homelab-secrets:apps[0].keys"]


def test_bad_secret_data_keys_and_remote_keys_are_rejected() -> None:
    found = problems_for([{**GOOD, "keys": {"bad key": "X"}}, {**GOOD, "target": "b", "keys": {"OK": "bad key"}}])
    assert [key for key, _ in found] == ["homelab-secrets:apps[0].keys", "homelab-secrets:apps[1].keys.OK"]


def test_every_bad_entry_is_reported_at_once() -> None:
    found = problems_for([{**GOOD, "name": "Bad"}, {**GOOD, "target": "t2", "keys": {}}, {"name": "x", "extra": 1}])
    keys = [key for key, _ in found]
    assert "homelab-secrets:apps[0].name" in keys and "homelab-secrets:apps[1].keys" in keys
    assert any(key == "homelab-secrets:apps[2]" and "unknown fields: extra" in message for key, message in found)


def test_the_prod_catalog_uses_both_operators() -> None:
    import yaml

    from verify import PROJECT_ROOT

    stack = yaml.safe_load((PROJECT_ROOT / "Pulumi.prod.yaml").read_text())
    apps = stack["config"]["homelab-secrets:apps"]
    operators = {app.get("operator", "external-secrets") for app in apps}
    assert operators == {"external-secrets", "infisical-operator"}
    config = base_config()
    config.set("apps", apps)
    settings, problems = validate(RawConfig(config.values, frozenset(config.secret_keys)), "prod")
    assert problems == [] and settings is not None and len(settings.cluster.apps) == len(apps)
