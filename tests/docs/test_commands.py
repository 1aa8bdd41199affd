"""Every command in the docs' shell blocks runs as written, and every config key the docs name exists."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import pytest

from tests.docs import doc_commands
from verify import PROJECT_ROOT, pins

KEY_REFERENCE = re.compile(r"homelab-secrets:([A-Za-z][A-Za-z0-9]*)")
BACKTICKED_NAME = re.compile(r"`([a-z][a-z0-9]*[A-Z][A-Za-z0-9]*)`")


def test_every_command_in_the_docs_runs_as_written() -> None:
    assert doc_commands.problems(doc_commands.documents()) == []


def test_the_docs_have_commands_of_each_kind_checked() -> None:
    """The checker reads the blocks: the README's own path is found, list items and indented blocks included."""
    readme = doc_commands.documents()["README.md"]
    lines = {" ".join(command.words) for command in doc_commands.commands("README.md", readme)}
    assert {"make setup", "make check", "make test", "pulumi up --policy-pack policy"} <= lines
    assert any(line.startswith("uv run --locked pytest") for line in lines)
    assert any(line.startswith("pulumi config set --secret homelab-secrets:hcloudToken") for line in lines)


@pytest.mark.parametrize(("line", "problem"), [
    ("make chek", "no make target chek"),
    ("pulumi config set homelab-secrets:hcloudToken 'x'", "is a secret: set it with --secret"),
    ("pulumi config set --secret homelab-secrets:location fsn1", "is not a secret: set it without --secret"),
    ("pulumi config set homelab-secrets:bootstrapStageTimout 5", "is neither a setting nor a secret"),
    ("pulumi config set serverReplacement off && pulumi up", "a key of this program is written"),
    ("pulumi config set homelab-secrets:netbirdRelaySecretGeneration <n+1>", "unquoted placeholder <n+1>"),
    ("uv run --locked python -m verify check --stak prod", "refuses"),
    ("uv run --locked python -m verify chek", "refuses"),
    ("uv run --locked python -m bench --runz 3", "refuses"),
    ("uv run --locked python -m verify.nowhere", "no module verify.nowhere"),
    ("python3 -m nowhere.tool", "no module nowhere.tool"),
    ("uv run --locked python -m bench.bootstrap_overhead --runs 3", "takes no arguments"),
    ("uv run --locked pytest -q tests/nowhere", "no test path tests/nowhere"),
    ("uv run pytest tests", "without --locked"),
    ("pytest tests", "uv run --locked pytest"),
    ("bash /etc/bifrost/bootstrap.sh --stage-timeot 5", "has no option --stage-timeot"),
    ("bash cloud/bifrost/nothing.sh", "no script"),
    ("python3 tools/nothing.py", "no file tools/nothing.py"),
    ("pulumi stack output --show-secrets nosuchOutput", "no stack output nosuchOutput"),
    ("pulumi preview --policy-pack nowhere", "no policy pack"),
    ("(cd nowhere && pulumi install)", "no folder nowhere"),
])
def test_a_command_that_would_not_run_is_named(line: str, problem: str) -> None:
    found = doc_commands.problems({"doc.md": f"text\n\n```sh\n{line}\n```\n"})
    assert found and all(entry.startswith("doc.md:4: ") for entry in found)
    assert any(problem in entry for entry in found), found


@pytest.mark.parametrize(("prose", "problem"), [
    ("bump it: `pulumi config set homelab-secrets:netbirdRelaySecretGeneration <n+1> && pulumi up`.", ""),
    ("set `pulumi config set homelab-secrets:netbirdSetupKey '<key>'`", "is a secret: set it with --secret"),
    ("then `pulumi config set\nhomelab-secrets:serverReplacment replace && pulumi up`", "neither a setting"),
])
def test_inline_config_set_commands_in_prose_are_checked(prose: str, problem: str) -> None:
    found = doc_commands.problems({"doc.md": prose})
    assert (found == []) if not problem else (len(found) == 1 and problem in found[0]), found


@pytest.mark.parametrize("line", [
    "make check STACK=prod",
    "uv run --locked python -m verify check --stack prod --flow",
    "uv run --locked python -m verify docs --write",
    "uv run --locked python -m bench --runs 3 --skip-tests",
    "uv run --locked python -m bench.bootstrap_overhead",
    "uv run --locked pytest -q tests/cloud/bifrost tests/docs/test_commands.py::test_a_command_that_runs_passes",
    "pulumi config set --secret homelab-secrets:kubeconfig < ~/.kube/homelab.yaml",
    "pulumi config set homelab-secrets:serverReplacement unprotect && pulumi up",
    "bash /etc/bifrost/bootstrap.sh --stage-timeout 600",
    "python3 tools/install_uv.py --dest .tools",
    "kubectl get externalsecret -A",
])
def test_a_command_that_runs_passes(line: str) -> None:
    """The module's argument line is parsed, never run (`python -m bench` would take minutes)."""
    assert doc_commands.problems({"doc.md": f"```sh\n{line}\n```\n"}) == []


def test_the_pulumi_cli_the_readme_installs_is_the_locked_sdk_version() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    (version,) = re.findall(r"https://get\.pulumi\.com \| sh -s -- --version (\S+)", readme)
    assert version == pins.locked_versions()["pulumi"], "update the README's Pulumi CLI version with uv.lock"


def test_the_next_step_bootstrap_sh_prints_runs_as_written() -> None:
    script = (PROJECT_ROOT / "cloud" / "bifrost" / "bootstrap.sh").read_text()
    printed = re.findall(r"\"(pulumi config set [^\"]+)\"", script)
    assert printed
    assert doc_commands.problems({"bootstrap.sh": "".join(f"```sh\n{line}\n```\n" for line in printed)}) == []


def _named_keys(texts: list[str]) -> set[str]:
    return {match for text in texts for match in KEY_REFERENCE.findall(text)}


def _texts() -> list[str]:
    return [*doc_commands.documents().values(), (PROJECT_ROOT / "Pulumi.prod.yaml").read_text()]


def test_every_namespaced_key_the_docs_name_exists() -> None:
    named = _named_keys(_texts())
    assert {"hcloudToken", "netbirdSetupKey", "serverReplacement"} <= named
    assert named - doc_commands.CONFIG_KEYS == set()


def test_a_namespaced_key_that_does_not_exist_is_found() -> None:
    named = _named_keys(["set `homelab-secrets:sshSourceRange` first"])
    assert named - doc_commands.CONFIG_KEYS == {"sshSourceRange"}


def near_misses(text: str) -> set[str]:
    """Backticked names one typo away from a config key that are neither a key nor a stack output
    (`bootstrapStageTimout`)."""
    keys = sorted(doc_commands.CONFIG_KEYS)
    named = doc_commands.CONFIG_KEYS | doc_commands.exported_outputs()
    return {name for name in BACKTICKED_NAME.findall(text)
            if name not in named and difflib.get_close_matches(name, keys, n=1, cutoff=0.9)}


def test_no_backticked_name_in_the_docs_is_a_misspelt_config_key() -> None:
    assert set().union(*(near_misses(text) for text in _texts())) == set()


def test_a_misspelt_config_key_is_found() -> None:
    assert near_misses("raise `bootstrapStageTimout` on a slow boot; `sshSourceRanges` is required") == {
        "bootstrapStageTimout"}


def test_the_readme_stays_one_path_of_at_most_15_kb() -> None:
    size = len((PROJECT_ROOT / "README.md").read_bytes())
    assert size <= 15 * 1024, f"README.md is {size} bytes: move reference material to docs/"


def test_every_project_file_the_docs_name_exists() -> None:
    assert doc_commands.missing_paths(doc_commands.documents()) == []


def test_a_project_file_that_is_gone_is_found() -> None:
    text = "the renderers (`components/bifrost/render.py`, `components/bifrost/renders.py`) and `env/traefik.env`"
    assert doc_commands.missing_paths({"doc.md": text}) == ["doc.md: components/bifrost/renders.py"]
    moved = "`fakes/bifrost/gone.py`, `docs/gone.md`, `.ci/gone`, and upstream's `docs/content/x.md`"
    assert doc_commands.missing_paths({"doc.md": moved}) == ["doc.md: .ci/gone", "doc.md: docs/gone.md",
                                                             "doc.md: fakes/bifrost/gone.py"]


def test_pytest_option_values_are_not_test_paths() -> None:
    assert doc_commands.problems({"doc.md": "```sh\nuv run --locked pytest -q -k rotation tests/cloud\n```\n"}) == []


def test_every_relative_link_in_the_docs_resolves() -> None:
    assert doc_commands.broken_links(doc_commands.documents()) == []


def test_a_broken_link_or_anchor_is_found(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "runbook.md").write_text("# Runbook\n\n## Replacing the server on purpose\n")
    texts = {"README.md": "[a](docs/runbok.md) [b](docs/runbook.md#replacing-the-server) "
                          "[c](docs/runbook.md#replacing-the-server-on-purpose)"}
    found = doc_commands.broken_links(texts, tmp_path)
    assert len(found) == 2 and "no file docs/runbok.md" in found[0] and "no heading #replacing-the-server " in found[1]
