"""renovate.json: valid per Renovate's own validator, and each manager sees every pin the project declares."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.cluster import charts
from verify import PROJECT_ROOT, cache_files, pins

CONFIG_FILE = PROJECT_ROOT / "renovate.json"
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
    for directory, subdirectories, files in os.walk(PROJECT_ROOT):
        subdirectories[:] = [d for d in subdirectories if d not in SKIPPED_DIRS | skipped]
        for name in files:
            if name.endswith(suffixes):
                found.append((Path(directory) / name).relative_to(PROJECT_ROOT).as_posix())
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
    return {path: (PROJECT_ROOT / path).read_text() for path in project_files((".py",), frozenset({"tests"}))
            if "ChartPin(" in (PROJECT_ROOT / path).read_text()}


# --- Renovate itself: its validator, and its own extraction of the pins ---------------------------------


RENOVATE_CACHE = cache_files.CHECK_CACHE / "renovate"


def renovate_inputs(*texts: str) -> str:
    """A digest of everything a Renovate run reads: the files git lists (Renovate's local platform reads the
    checkout through `git ls-files`) with their contents, Renovate's own lock, the Node that runs it, and `texts`
    (the command and any file it is given)."""
    digest = hashlib.sha256()
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=PROJECT_ROOT, capture_output=True, check=True).stdout
    for name in sorted(filter(None, listed.split(b"\0"))):
        path = PROJECT_ROOT / os.fsdecode(name)
        digest.update(name + b"\0" + (path.read_bytes() if path.is_file() else b"<gone>") + b"\0")
    found = shutil.which("node")  # without Node no Renovate runs, but the digest's own tests still do
    node = subprocess.run([found, "--version"], capture_output=True, text=True, check=False).stdout if found \
        else "<no node>"
    for text in (node, (PROJECT_ROOT / "tools" / "renovate" / "package-lock.json").read_text(), *texts):
        digest.update(text.encode() + b"\0")
    return digest.hexdigest()


def remembered_run(purpose: str, command: list[str], key: str, temporary_path: str = "",
                   **run: Any) -> tuple[int, str, str]:
    """Renovate's exit code, stdout and stderr for these exact inputs: from an earlier run with the same digest,
    else from a run now (each Node start loads Renovate for about 4 s of CPU); a changed input runs it again.
    `temporary_path`, a path the command names that differs from run to run, is kept out of what is stored. A run
    ended by a signal (killed, out of memory) is not stored: it says nothing about the inputs."""
    stored = RENOVATE_CACHE / f"{purpose}-{key}.json"
    try:
        code, out, err = json.loads(stored.read_text(encoding="utf-8"))
        return int(code), str(out).replace("<temporary>", temporary_path), str(err).replace("<temporary>",
                                                                                          temporary_path)
    except (OSError, ValueError, TypeError):
        pass
    result = subprocess.run(command, capture_output=True, text=True, check=False, **run)
    if result.returncode < 0:
        return result.returncode, result.stdout, result.stderr
    kept = [text.replace(temporary_path, "<temporary>") if temporary_path else text
            for text in (result.stdout, result.stderr)]
    cache_files.write_replacing(stored, json.dumps([result.returncode, *kept]), f"{purpose}-*.json")  # else run again
    return result.returncode, result.stdout, result.stderr


def renovate_tool(name: str) -> Path:
    tool = PROJECT_ROOT / "tools" / "renovate" / "node_modules" / ".bin" / name
    if not tool.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{tool} is missing: .ci/run installs it with npm ci --prefix tools/renovate")
        pytest.skip("Renovate is not installed: npm ci --prefix tools/renovate (done by .ci/run)")
    return tool


def test_renovates_validator_accepts_the_config_and_rejects_a_misspelt_option(tmp_path: Path) -> None:
    broken = json.loads(CONFIG_FILE.read_text())
    broken["packageRules"][0]["matchUpdateType"] = broken["packageRules"][0].pop("matchUpdateTypes")
    broken_file = tmp_path / "renovate.json"
    broken_file.write_text(json.dumps(broken))
    # One run for both files (each run starts Node and loads Renovate); it reports each file with errors.
    command = [str(renovate_tool("renovate-config-validator")), "--strict", str(CONFIG_FILE), str(broken_file)]
    # Its own environment, so that what it reads is all in the digest (LOG_LEVEL or LOG_FORMAT from a shell would
    # change its output), and no token of the shell reaches Node.
    environment = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    code, out, err = remembered_run("validator", command, renovate_inputs(broken_file.read_text(), *command[1:3]),
                                    temporary_path=str(broken_file), env=environment, timeout=120)
    output = out + err
    assert code != 0
    assert re.findall(r'"file": "([^"]+)"', output) == [str(broken_file)], output
    assert "packageRules[0].matchUpdateType" in output


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    """manager -> package files with their deps, as Renovate's own managers extract them from the git checkout.

    `--platform=local --dry-run=extract` reads the files git lists and stops before any lookup: no network.
    """
    base = tmp_path_factory.mktemp("renovate")
    environment = {"PATH": os.environ["PATH"], "HOME": str(base), "RENOVATE_BASE_DIR": str(base),
                   "LOG_LEVEL": "debug", "LOG_FORMAT": "json"}
    command = [str(renovate_tool("renovate")), "--platform=local", "--dry-run=extract", "--onboarding=false",
               "--require-config=optional", "--persist-repo-data=false"]
    code, output, errors = remembered_run("extract", command, renovate_inputs(*command[1:]), cwd=PROJECT_ROOT,
                                          env=environment, timeout=300)
    assert code == 0, f"(remembered in {RENOVATE_CACHE}; delete it to run Renovate again)\n{errors[-3000:]}"
    for line in output.splitlines():
        record = json.loads(line)
        if record.get("msg") == "Extracted dependencies":
            package_files: dict[str, list[dict[str, Any]]] = record["packageFiles"]
            return package_files
    raise AssertionError(f"Renovate logged no extracted dependencies:\n{output[-2000:]}")


def extracted_deps(extracted: dict[str, list[dict[str, Any]]], manager: str, path: str) -> list[dict[str, Any]]:
    files = [f for f in extracted.get(manager, []) if f["packageFile"] == path]
    assert len(files) == 1, f"Renovate's {manager} manager did not read {path}"
    deps: list[dict[str, Any]] = files[0]["deps"]
    return deps


def test_renovate_extracts_every_compose_image(extracted: dict[str, list[dict[str, Any]]]) -> None:
    deps = extracted_deps(extracted, "docker-compose", pins.COMPOSE_FILE)
    assert [d.get("skipReason") for d in deps] == [None] * len(deps)
    found = [(d["depName"], d["currentValue"]) for d in deps]
    declared = [(ref.repository, ref.tag) for ref in map(pins.ImageRef.parse, pins.compose_images().values())]
    assert found == declared


def test_renovate_extracts_every_chart_pin_with_its_repository(extracted: dict[str, list[dict[str, Any]]]) -> None:
    found = {(d["depName"], d["currentValue"], d["registryUrls"][0].rstrip("/"), d["datasource"])
             for f in extracted.get("regex", []) for d in f["deps"] if d["datasource"] == "helm"}
    assert found == {(p.chart, p.version, p.repository.rstrip("/"), "helm") for p in charts.ALL}


def test_renovate_extracts_every_image_pinned_in_python(extracted: dict[str, list[dict[str, Any]]]) -> None:
    found = {(d["depName"], d["currentValue"]) for f in extracted.get("regex", []) for d in f["deps"]
             if d["datasource"] == "docker"}
    declared = {(ref.repository, ref.tag) for ref in map(pins.ImageRef.parse, pins.python_images())}
    assert found == declared and declared


def test_renovate_extracts_the_python_pins(extracted: dict[str, list[dict[str, Any]]]) -> None:
    project = {d["depName"]: d.get("currentValue") for d in extracted_deps(extracted, "pep621", pins.PYPROJECT)}
    for pin in pins.provider_pins():
        assert project[pin.name] == f"=={pin.version}"
    policy = {d["depName"]: d["currentValue"]
              for d in extracted_deps(extracted, "pip_requirements", "policy/requirements.txt")}
    assert policy == {name: project[name] for name in ("pulumi", "pulumi-policy")}


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
    pin = dataclasses.replace(charts.VALKEY, version="3.0.1", release_name="valkey", namespace="valkey")
    assert unmatched_charts({"components/cluster/charts.py": source}, (pin,)) == set()


@pytest.mark.parametrize("source", [
    # Positional arguments and reordered keywords are not the record form the manager reads.
    'PIN = ChartPin("valkey", "valkey", "3.0.1", "https://valkey.io/valkey-helm/", "valkey", "valkey")',
    'PIN = ChartPin(key="valkey", version="3.0.1", chart="valkey", repository="https://valkey.io/valkey-helm/")',
    # Single quotes are not matched either.
    "PIN = ChartPin(key='valkey', chart='valkey', version='3.0.1', repository='https://valkey.io/valkey-helm/')",
])
def test_a_record_in_another_form_is_reported_unmatched(source: str) -> None:
    pin = dataclasses.replace(charts.VALKEY, version="3.0.1", release_name="valkey", namespace="valkey")
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
        assert "$" not in image, f"{service}: Renovate skips images built from variables ({image})"
        assert ref.repository.count("/") >= 2, f"{service}: name the registry ({image})"
        assert re.fullmatch(r"v?\d+\.\d+(\.\d+)?(-[a-z0-9.]+)?", ref.tag), f"{service}: {image} is not a version tag"


def test_every_yaml_file_with_images_is_read_by_the_compose_manager() -> None:
    for path in project_files((".yml", ".yaml")):
        document = yaml.safe_load((PROJECT_ROOT / path).read_text())
        services = document.get("services") if isinstance(document, dict) else None
        if isinstance(services, dict) and any(isinstance(s, dict) and "image" in s for s in services.values()):
            assert covered(config()["docker-compose"]["fileMatch"], path), f"{path} pins images Renovate never reads"


# An image pinned in Python (a chart value, a Job) would be seen by no manager.
PYTHON_IMAGE_PIN = re.compile(r"""[a-z0-9.-]+/[a-z0-9._/-]+:v?\d+\.\d+|["']tag["']\s*[:=]""")


def python_image_pins(sources: dict[str, str]) -> list[str]:
    """Image pins in Python that no manager reads: lines in the Python-image manager's form are read by it."""
    return [f"{path}: {match[0]}" for path, text in sources.items() for line in text.splitlines()
            if not pins.PYTHON_IMAGE.search(line) for match in PYTHON_IMAGE_PIN.finditer(line)]


def test_no_image_is_pinned_in_python_where_no_manager_reads_it() -> None:
    sources = {path: (PROJECT_ROOT / path).read_text() for path in project_files((".py",), frozenset({"tests"}))}
    assert python_image_pins(sources) == [], "pin images in the compose file, or give Renovate a manager for them"


@pytest.mark.parametrize("source", ['IMAGE = "docker.io/bitnami/kubectl:1.31.4"',
                                    'values = {"image": {"repository": "valkey/valkey", "tag": "8.1.3"}}'])
def test_an_image_pinned_in_python_is_found(source: str) -> None:
    assert python_image_pins({"components/cluster/values.py": source})


def test_an_image_in_the_python_manager_form_is_read_by_it() -> None:
    source = 'DATABASE_IMAGE: Final = "ghcr.io/cloudnative-pg/postgresql:16.13"  # renovate: docker'
    assert python_image_pins({"components/cluster/constants.py": source}) == []
    assert python_image_pins({"components/cluster/constants.py": source.split("  #", maxsplit=1)[0]})


def test_in_cluster_urls_are_not_taken_for_image_pins() -> None:
    source = 'URL = "http://infisical-infisical-standalone-infisical.infisical.svc.cluster.local:8080/api"'
    assert python_image_pins({"components/cluster/values.py": source}) == []


def test_digests_are_pinned_by_renovate() -> None:
    assert config()["pinDigests"] is True


# --- Python dependencies -----------------------------------------------------------------------------


def test_the_python_managers_read_pyproject_and_the_policy_requirements() -> None:
    assert covered(config()["pep621"]["fileMatch"], pins.PYPROJECT)
    assert covered(config()["pip_requirements"]["fileMatch"], "policy/requirements.txt")
    assert set(config()["enabledManagers"]) == {"docker-compose", "custom.regex", "pep621", "pip_requirements"}


def test_every_policy_requirement_is_an_exact_pin_of_the_locked_version() -> None:
    locked = pins.locked_versions()
    lines = [line for line in (PROJECT_ROOT / "policy" / "requirements.txt").read_text().splitlines()
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


def test_the_pulumi_sdk_and_policy_pack_move_together() -> None:
    for update_type in ("patch", "minor"):
        assert {effective(package, update_type)["groupName"] for package in ("pulumi", "pulumi-policy")} == {
            "pulumi sdk and policy"}


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


# --- Renovate's runs, remembered by their inputs ----------------------------------------------------------------


def test_a_run_is_remembered_for_its_inputs_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setattr(sys.modules[__name__], "RENOVATE_CACHE", tmp_path / "cache")
    runs = tmp_path / "runs"
    where = str(tmp_path / "somewhere" / "renovate.json")
    command = [sys.executable, "-c", "import sys; open(sys.argv[1], 'a').write('x'); print('file', sys.argv[2]); "
               "print('oops', file=sys.stderr); sys.exit(3)", str(runs), where]
    assert remembered_run("probe", command, "a", temporary_path=where) == (3, f"file {where}\n", "oops\n")
    assert remembered_run("probe", command, "a", temporary_path="/elsewhere") == (3, "file /elsewhere\n", "oops\n")
    assert runs.read_text() == "x", "the same inputs did not run it again"
    remembered_run("probe", command, "b", temporary_path=where)
    assert runs.read_text() == "xx", "other inputs ran it again"
    assert [p.name for p in (tmp_path / "cache").iterdir()] == ["probe-b.json"], "the older run is not kept"
    assert where not in (tmp_path / "cache" / "probe-b.json").read_text()


def test_the_inputs_digest_follows_what_it_is_given() -> None:
    assert renovate_inputs("one") == renovate_inputs("one") != renovate_inputs("two")


def test_the_inputs_digest_follows_every_tracked_file_and_no_untracked_one(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    (tmp_path / "tools" / "renovate").mkdir(parents=True)
    (tmp_path / "tools" / "renovate" / "package-lock.json").write_text("{}")
    (tmp_path / "compose.yml").write_text("image: a:1\n")
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    monkeypatch.setattr(sys.modules[__name__], "PROJECT_ROOT", tmp_path)
    before = renovate_inputs()
    (tmp_path / "untracked.yml").write_text("image: b:2\n")
    assert renovate_inputs() == before, "git does not list it, so Renovate does not read it"
    (tmp_path / "compose.yml").write_text("image: a:2\n")
    assert renovate_inputs() != before
