"""The pack as the engine runs it: the policies, their config, unknowns in preview, the entry point."""

from __future__ import annotations

import runpy
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from pulumi_policy import EnforcementLevel, Policy, ResourceValidationPolicy
from pulumi_policy.proxy import UnknownValueError

from policy import rules
from policy.firewall import DEFAULT_ALLOWED_INGRESS
from policy.pack import PACK_NAME, build_policies, config_with_defaults
from policy.values import UNKNOWN_STRING
from tests.policy.engine import analyze
from tests.policy.helpers import (
    COMMAND,
    FIREWALL,
    SECRET,
    bootstrap_secret,
    firewall,
    inbound,
    secret,
    writer,
)
from verify import PROJECT_ROOT

POLICY_DIR = PROJECT_ROOT / "policy"


@pytest.fixture(scope="module")
def policies() -> list[ResourceValidationPolicy]:
    return build_policies()


def test_every_rule_is_a_mandatory_resource_policy(policies: list[ResourceValidationPolicy]) -> None:
    assert [policy.name for policy in policies] == [rule.name for rule in rules.RULES]
    for policy in policies:
        assert isinstance(policy, ResourceValidationPolicy)
        assert policy.enforcement_level is EnforcementLevel.MANDATORY
        assert policy.description == rules.rule(policy.name).description


def test_only_the_firewall_policy_has_config(policies: list[ResourceValidationPolicy]) -> None:
    configured = {policy.name: policy.config_schema for policy in policies if policy.config_schema is not None}
    assert list(configured) == ["hcloud-firewall-ingress"]
    schema = configured["hcloud-firewall-ingress"]
    assert schema is not None
    assert schema.properties["allowedIngress"]["default"] == DEFAULT_ALLOWED_INGRESS


def test_secret_markers_are_unwrapped_before_the_rules_see_them(policies: list[ResourceValidationPolicy]) -> None:
    wire = {**writer(), "stdin": secret("TOKEN=x"), "logging": "none"}
    wire["connection"] = {**wire["connection"], "privateKey": secret("key"), "hostKey": secret("ssh-ed25519 A")}
    assert analyze(policies, COMMAND, wire) == {}
    wire["environment"] = secret({"TOKEN": "x"})
    assert set(analyze(policies, COMMAND, wire)) == {"remote-file-write-silent", "remote-command-no-environment"}


def test_unknown_needed_value_defers_the_policy(policies: list[ResourceValidationPolicy]) -> None:
    props = bootstrap_secret()
    props["metadata"]["annotations"]["argocd.argoproj.io/sync-options"] = UNKNOWN_STRING
    with pytest.raises(UnknownValueError) as error:
        analyze(policies, SECRET, props)
    assert "metadata.annotations.argocd.argoproj.io/sync-options" in error.value.message


def test_unknown_host_key_does_not_defer(policies: list[ResourceValidationPolicy]) -> None:
    wire = writer()
    wire["connection"] = {**wire["connection"], "hostKey": UNKNOWN_STRING, "host": UNKNOWN_STRING}
    assert analyze(policies, COMMAND, wire) == {}


def test_firewall_uses_the_default_list_without_config(policies: list[ResourceValidationPolicy]) -> None:
    assert analyze(policies, FIREWALL, firewall()) == {}
    found = analyze(policies, FIREWALL, firewall(inbound("icmp", None)))
    assert list(found) == ["hcloud-firewall-ingress"]


def test_firewall_config_extends_the_list(policies: list[ResourceValidationPolicy]) -> None:
    # The engine hands config over as JSON: numbers arrive as floats.
    config = {"hcloud-firewall-ingress": {"allowedIngress": [*DEFAULT_ALLOWED_INGRESS, {"protocol": "icmp"},
                                                             {"protocol": "tcp", "port": 8443.0}]}}
    assert analyze(policies, FIREWALL, firewall(inbound("icmp", None), inbound("tcp", "8443")), config) == {}
    narrowed = {"hcloud-firewall-ingress": {"allowedIngress": [{"protocol": "tcp", "port": "443"}]}}
    assert len(analyze(policies, FIREWALL, firewall(), narrowed)["hcloud-firewall-ingress"]) == 3


def test_invalid_firewall_config_is_a_violation(policies: list[ResourceValidationPolicy]) -> None:
    config = {"hcloud-firewall-ingress": {"allowedIngress": [{"protocol": "tcp"}]}}
    found = analyze(policies, FIREWALL, firewall(), config)
    assert found == {"hcloud-firewall-ingress": [
        "the policy config of hcloud-firewall-ingress is invalid: allowedIngress[0]: tcp needs a port "
        "('80', '60000-61000' or 'any')"]}


def test_config_defaults_fill_only_unset_properties() -> None:
    rule = rules.rule("hcloud-firewall-ingress")
    assert config_with_defaults(rule, None) == {"allowedIngress": DEFAULT_ALLOWED_INGRESS}
    assert config_with_defaults(rule, {"allowedIngress": []}) == {"allowedIngress": []}


def test_main_builds_the_pack_from_any_working_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    built: list[dict[str, Any]] = []

    class RecordingPack:
        def __init__(self, **kwargs: Any) -> None:
            built.append(kwargs)

    monkeypatch.setattr("pulumi_policy.PolicyPack", RecordingPack)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.chdir(tmp_path)
    runpy.run_path(str(POLICY_DIR), run_name="__main__")  # what `python -m pulumi.policy` does
    assert len(built) == 1
    assert built[0]["name"] == PACK_NAME
    assert built[0]["enforcement_level"] is EnforcementLevel.MANDATORY
    policies: list[Policy] = built[0]["policies"]
    assert [policy.name for policy in policies] == [rule.name for rule in rules.RULES]


def test_project_file_and_requirements_match_the_lock() -> None:
    project = yaml.safe_load((POLICY_DIR / "PulumiPolicy.yaml").read_text())
    assert project["runtime"]["name"] == "python"
    lock = tomllib.loads((PROJECT_ROOT / "uv.lock").read_text())
    locked = {package["name"]: package["version"] for package in lock["package"]}
    pins = dict(line.split("==") for line in (POLICY_DIR / "requirements.txt").read_text().splitlines()
                if line and not line.startswith("#"))
    assert set(pins) == {"pulumi", "pulumi-policy"}
    for name, version in pins.items():
        assert locked[name] == version, f"policy/requirements.txt pins {name}=={version}, uv.lock has {locked[name]}"
