"""renovate.json: valid per Renovate's own validator, and each manager sees every pin the project declares."""

from __future__ import annotations

import json
import os
import re
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.cluster import charts
from verify import pins

ROOT = pins.ROOT
CONFIG_FILE = ROOT / "renovate.json"
VALIDATOR = ROOT / "tools" / "renovate" / "node_modules" / ".bin" / "renovate-config-validator"
AUTHENTIK = "ghcr.io/goauthentik/server"
NETBIRD = ("docker.io/netbirdio/netbird-server", "docker.io/netbirdio/reverse-proxy", "docker.io/netbirdio/netbird")
SKIPPED_DIRS = {".venv", ".git", "node_modules", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"}

ChartKey = tuple[str, str, str]  # (chart, version, repository)


@cache
def config() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(CONFIG_FILE.read_text())
    return loaded


def project_files(suffixes: tuple[str, ...], skipped: frozenset[str] = frozenset()) -> list[str]:
    """Repository-relative paths of the project's own files with one of these suffixes."""
    found = []
    for directory, subdirectories, files in os.walk(ROOT):
        subdirectories[:] = [d for d in subdirectories if d not in SKIPPED_DIRS | skipped]
        for name in files:
            if name.endswith(suffixes):
                found.append((Path(directory) / name).relative_to(ROOT).as_posix())
    return sorted(found)


def python_regex(renovate_regex: str) -> re.Pattern[str]:
    """Renovate's matchStrings use JavaScript named groups, (?<name>...); Python spells them (?P<name>...)."""
    return re.compile(re.sub(r"\(\?<(?=[A-Za-z])", "(?P<", renovate_regex))


def covered(file_match: list[str], path: str) -> bool:
    return any(re.search(pattern, path) for pattern in file_match)


def chart_manager() -> dict[str, Any]:
    managers: list[dict[str, Any]] = [m for m in config()["customManagers"] if m.get("datasourceTemplate") == "helm"]
    assert len(managers) == 1
    return managers[0]


def chart_matches(sources: dict[str, str]) -> set[ChartKey]:
    """What the Helm regex manager extracts from these files (path -> text), as Renovate would."""
    manager = chart_manager()
    found: set[ChartKey] = set()
    for path, text in sources.items():
        if not covered(manager["fileMatch"], path):
            continue
        for pattern in manager["matchStrings"]:
            for match in python_regex(pattern).finditer(text):
                groups = match.groupdict()
                found.add((groups["depName"], groups["currentValue"], groups["registryUrl"]))
    return found


def unmatched_charts(sources: dict[str, str], declared: tuple[charts.ChartPin, ...]) -> set[ChartKey]:
    return {(pin.chart, pin.version, pin.repository) for pin in declared} - chart_matches(sources)


def chart_sources() -> dict[str, str]:
    # Tests build records of their own; the declarations live in the program's modules.
    return {path: (ROOT / path).read_text() for path in project_files((".py",), frozenset({"tests"}))
            if "ChartPin(" in (ROOT / path).read_text()}


# --- Renovate's own validator ------------------------------------------------------------------------


def validate(path: Path) -> subprocess.CompletedProcess[str]:
    if not VALIDATOR.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{VALIDATOR} is missing: .ci/run installs it with npm ci --prefix tools/renovate")
        pytest.skip("Renovate's validator is not installed: npm ci --prefix tools/renovate (done by .ci/run)")
    return subprocess.run([str(VALIDATOR), "--strict", str(path)], capture_output=True, text=True,
                          timeout=120, check=False)


def test_renovates_validator_accepts_the_config() -> None:
    result = validate(CONFIG_FILE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_renovates_validator_rejects_a_misspelt_option(tmp_path: Path) -> None:
    broken = json.loads(CONFIG_FILE.read_text())
    broken["packageRules"][0]["matchUpdateType"] = broken["packageRules"][0].pop("matchUpdateTypes")
    path = tmp_path / "renovate.json"
    path.write_text(json.dumps(broken))
    result = validate(path)
    assert result.returncode != 0
    assert "matchUpdateType" in result.stdout + result.stderr


# --- Helm charts pinned in Python --------------------------------------------------------------------


def test_the_chart_regex_matches_every_declared_chart_pin_and_nothing_else() -> None:
    declared = {(pin.chart, pin.version, pin.repository) for pin in charts.ALL}
    assert chart_matches(chart_sources()) == declared


def test_every_file_that_declares_a_chart_pin_is_scanned() -> None:
    assert chart_sources(), "no ChartPin record found"
    for path in chart_sources():
        assert covered(chart_manager()["fileMatch"], path), f"{path} declares ChartPin records Renovate never reads"


def test_a_record_spanning_lines_is_matched() -> None:
    source = '''VALKEY = ChartPin(
        key="valkey",
        chart="valkey",
        version="3.0.1",
        repository="https://valkey.io/valkey-helm/",
        release_name="valkey", namespace=c.NS_VALKEY)
'''
    pin = charts.ChartPin(key="valkey", chart="valkey", version="3.0.1", repository="https://valkey.io/valkey-helm/",
                          release_name="valkey", namespace="valkey")
    assert unmatched_charts({"components/cluster/charts.py": source}, (pin,)) == set()


@pytest.mark.parametrize("source", [
    # Positional arguments and reordered keywords are not the record form the manager reads.
    'PIN = ChartPin("valkey", "valkey", "3.0.1", "https://valkey.io/valkey-helm/", "valkey", "valkey")',
    'PIN = ChartPin(key="valkey", version="3.0.1", chart="valkey", repository="https://valkey.io/valkey-helm/")',
    # Single quotes are not matched either.
    "PIN = ChartPin(key='valkey', chart='valkey', version='3.0.1', repository='https://valkey.io/valkey-helm/')",
])
def test_a_record_in_another_form_is_reported_unmatched(source: str) -> None:
    pin = charts.ChartPin(key="valkey", chart="valkey", version="3.0.1", repository="https://valkey.io/valkey-helm/",
                          release_name="valkey", namespace="valkey")
    assert unmatched_charts({"components/cluster/charts.py": source}, (pin,)) == {
        ("valkey", "3.0.1", "https://valkey.io/valkey-helm/")}


def test_a_record_outside_the_scanned_files_is_reported_unmatched() -> None:
    pin = charts.ALL[0]
    source = (f'PIN = ChartPin(key="{pin.key}", chart="{pin.chart}", version="{pin.version}", '
              f'repository="{pin.repository}")')
    assert unmatched_charts({"verify/elsewhere.py": source}, (pin,)) == {(pin.chart, pin.version, pin.repository)}


def test_the_chart_manager_uses_the_helm_datasource_with_the_record_repository() -> None:
    manager = chart_manager()
    assert manager["customType"] == "regex"
    assert manager["registryUrlTemplate"] == "{{{registryUrl}}}"
    for pattern in manager["matchStrings"]:
        assert {"depName", "currentValue", "registryUrl"} <= set(python_regex(pattern).groupindex)


# --- Compose images ----------------------------------------------------------------------------------


def test_the_compose_manager_reads_the_compose_file_and_every_image_is_a_versioned_tag() -> None:
    assert covered(config()["docker-compose"]["fileMatch"], pins.COMPOSE_FILE)
    for service, image in pins.compose_images().items():
        ref = pins.ImageRef.parse(image)
        assert ref.repository.count("/") >= 2, f"{service}: name the registry ({image})"
        assert re.fullmatch(r"v?\d+\.\d+(\.\d+)?(-[a-z0-9.]+)?", ref.tag), f"{service}: {image} is not a version tag"


def test_every_yaml_file_with_images_is_read_by_the_compose_manager() -> None:
    for path in project_files((".yml", ".yaml")):
        document = yaml.safe_load((ROOT / path).read_text())
        services = document.get("services") if isinstance(document, dict) else None
        if isinstance(services, dict) and any(isinstance(s, dict) and "image" in s for s in services.values()):
            assert covered(config()["docker-compose"]["fileMatch"], path), f"{path} pins images Renovate never reads"


def test_digests_are_pinned_by_renovate() -> None:
    assert config()["pinDigests"] is True


# --- Python dependencies -----------------------------------------------------------------------------


def test_the_python_managers_read_pyproject_and_the_policy_requirements() -> None:
    assert covered(config()["pep621"]["fileMatch"], pins.PYPROJECT)
    assert covered(config()["pip_requirements"]["fileMatch"], "policy/requirements.txt")
    assert set(config()["enabledManagers"]) == {"docker-compose", "custom.regex", "pep621", "pip_requirements"}


def test_every_policy_requirement_is_an_exact_pin_of_the_locked_version() -> None:
    locked = pins.locked_versions()
    lines = [line for line in (ROOT / "policy" / "requirements.txt").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert lines
    for line in lines:
        name, separator, version = line.partition("==")
        assert separator, f"policy/requirements.txt: {line!r} is not pinned with =="
        assert locked[name.strip().lower()] == version.strip()


# --- Package rules -----------------------------------------------------------------------------------


def effective(package: str, update_type: str) -> dict[str, Any]:
    """Renovate's packageRules for one update: every matching rule applies in order, later ones win."""
    result: dict[str, Any] = {key: value for key, value in config().items() if key in ("automerge",)}
    for rule in config()["packageRules"]:
        if "matchPackageNames" in rule and package not in rule["matchPackageNames"]:
            continue
        if "matchUpdateTypes" in rule and update_type not in rule["matchUpdateTypes"]:
            continue
        result.update({key: value for key, value in rule.items() if not key.startswith("match")})
    return result


def test_patch_updates_are_grouped() -> None:
    for package in ("docker.io/library/traefik", "external-secrets", "pulumi-kubernetes", AUTHENTIK):
        assert effective(package, "patch")["groupName"] == "patch updates"


def test_netbird_images_move_together() -> None:
    for package in NETBIRD:
        for update_type in ("patch", "minor"):
            assert effective(package, update_type)["groupName"] == "netbird"


@pytest.mark.parametrize("package", ["docker.io/library/postgres", "docker.io/library/traefik", "argo-cd",
                                     "pulumi", "pulumi-hcloud", AUTHENTIK, *NETBIRD])
def test_major_updates_wait_for_approval(package: str) -> None:
    rules = effective(package, "major")
    assert rules["dependencyDashboardApproval"] is True
    assert rules.get("automerge") is not True


def test_authentik_minor_updates_are_never_auto_merged() -> None:
    rules = effective(AUTHENTIK, "minor")
    assert rules["automerge"] is False
    assert rules["dependencyDashboardApproval"] is True
    assert config().get("automerge") is not True


def test_the_rule_resolver_sees_a_later_rule_that_would_auto_merge() -> None:
    original = config()["packageRules"]
    try:
        config()["packageRules"] = [*original, {"matchUpdateTypes": ["minor"], "automerge": True}]
        assert effective(AUTHENTIK, "minor")["automerge"] is True
    finally:
        config()["packageRules"] = original
