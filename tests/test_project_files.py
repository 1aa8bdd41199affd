"""Project files that must agree with the code: Pulumi.yaml, the README tables, the stack file."""

from __future__ import annotations

import re
import subprocess
import sys

import yaml

from components.config.schema import ALL_SETTINGS
from components.secrets_registry import SECRETS
from verify import docs
from verify.declarations import render_pulumi_yaml
from verify.evaluate import PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text()


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


def test_readme_tables_match_the_registry_and_schema() -> None:
    assert docs.between(README, "secrets-table") == docs.secrets_table()
    assert docs.between(README, "config-table") == docs.config_table()


def test_readme_quickstart_is_two_make_targets() -> None:
    quickstart = README.split("## Quickstart", 1)[1].split("##", 1)[0]
    commands = re.findall(r"^make \w+", quickstart, flags=re.MULTILINE)
    assert commands == ["make check", "make test"]
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    assert "python -m verify check --stack $(STACK)" in makefile and "pytest" in makefile
    assert "make test" in (PROJECT_ROOT / ".ci" / "run").read_text()


def test_stack_file_holds_no_secret() -> None:
    document = yaml.safe_load((PROJECT_ROOT / "Pulumi.prod.yaml").read_text())
    secret_keys = {f"homelab-secrets:{s.config_key}" for s in SECRETS}
    assert not secret_keys & set(document["config"])


def test_every_config_key_named_in_the_docs_exists() -> None:
    declared = {s.key for s in ALL_SETTINGS} | {s.config_key for s in SECRETS}
    texts = [README, (PROJECT_ROOT / "Pulumi.prod.yaml").read_text()]
    texts += [p.read_text() for p in (PROJECT_ROOT / "docs").glob("*.md")] if (PROJECT_ROOT / "docs").exists() else []
    named = {m for text in texts for m in re.findall(r"homelab-secrets:([A-Za-z][A-Za-z0-9]*)", text)}
    assert named - declared == set()


def test_offline_check_of_prod_prints_the_plan_without_secrets() -> None:
    result = subprocess.run([sys.executable, "-m", "verify", "check", "--stack", "prod"], cwd=PROJECT_ROOT,
                            capture_output=True, text=True, check=False, timeout=300)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for token in ("hcloud:index/server:Server", "command:remote:Command", "random:index/randomBytes:RandomBytes",
                  "[secret]", "pulumi config set --secret homelab-secrets:hcloudToken", "offline check ok"):
        assert token in out, token
    assert "Traceback" not in result.stderr
    from verify import stackconfig

    for canary in stackconfig.load_stack("prod").canaries:
        assert canary.marker not in out + result.stderr
