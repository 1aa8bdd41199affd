"""Project files that must agree with the code: Pulumi.yaml, the Makefile, the stack file (docs: test_docs_*)."""

from __future__ import annotations

import subprocess
import sys

import yaml

from components.config.schema import ALL_SETTINGS
from components.secrets_registry import SECRETS
from tests.docs import doc_commands
from verify import PROJECT_ROOT
from verify.declarations import render_pulumi_yaml


def test_pulumi_yaml_declares_every_setting_and_secret() -> None:
    assert (PROJECT_ROOT / "Pulumi.yaml").read_text() == render_pulumi_yaml(), \
        "regenerate with: python -m verify.declarations > Pulumi.yaml"
    project = yaml.safe_load(render_pulumi_yaml())
    assert project["name"] == "homelab-secrets"
    assert project["runtime"] == {"name": "python", "options": {"toolchain": "uv"}}
    declared = project["config"]
    for key, declaration in declared.items():
        assert declaration["type"] in ("string", "integer", "boolean", "array"), key
        assert declaration["description"], key
        assert not (declaration.get("secret") and "default" in declaration), f"{key}: secret with a default"
    expected = {s.key for s in ALL_SETTINGS if s.declared} | {s.config_key for s in SECRETS}
    assert set(declared) == expected


def _ci_commands() -> list[str]:
    """The lines .ci/run executes: no comment, no step label."""
    lines = [line.strip() for line in (PROJECT_ROOT / ".ci" / "run").read_text().splitlines()]
    return [line for line in lines if line and not line.startswith(("#", "step "))]


def _make_dry_run(target: str) -> str:
    return subprocess.run(["make", "-n", target], cwd=PROJECT_ROOT, capture_output=True, text=True,
                          check=True).stdout


def test_ci_runs_the_readmes_test_command_and_it_runs_the_suite() -> None:
    readme = doc_commands.documents()["README.md"]
    readme_commands = {" ".join(command.words) for command in doc_commands.commands("README.md", readme)}
    assert {"make check", "make test"} <= readme_commands
    assert "make test" in _ci_commands()
    assert "pytest" in _make_dry_run("test")
    assert "python -m verify check --stack prod" in _make_dry_run("check")


def test_stack_file_holds_no_secret() -> None:
    document = yaml.safe_load((PROJECT_ROOT / "Pulumi.prod.yaml").read_text())
    secret_keys = {f"homelab-secrets:{s.config_key}" for s in SECRETS}
    assert not secret_keys & set(document["config"])


def test_offline_check_of_prod_prints_the_plan_without_secrets() -> None:
    result = subprocess.run([sys.executable, "-m", "verify", "check", "--stack", "prod"], cwd=PROJECT_ROOT,
                            capture_output=True, text=True, check=False, timeout=300)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for token in ("hcloud:index/server:Server", "command:remote:Command", "random:index/randomBytes:RandomBytes",
                  "[secret]", "pulumi config set --secret homelab-secrets:hcloudToken", "offline check ok"):
        assert token in out, token
    assert "Traceback" not in result.stderr
    # Whole numbers print as integers (the mocks carry every number as a protobuf float).
    assert " length=32\n" in out and "length=32.0" not in out
    # The steps an operator must run are printed in full, one per line.
    assert "  - NetBird setup key of the Bifrost routing agent" in out
    assert "pulumi config set --secret homelab-secrets:netbirdSetupKey '<netbirdSetupKey>' && pulumi up" in out
    # The stack file's example values are named, as warnings: the check still passes.
    assert "warning: homelab-secrets:authentikHost holds auth.example.com" in out
    assert "warning: homelab-secrets:sshSourceRanges holds 203.0.113.7/32, 2001:db8:42::/48" in out
    from verify import stackconfig

    for canary in stackconfig.load_stack("prod").canaries:
        assert canary.marker not in out + result.stderr
