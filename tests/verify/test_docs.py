"""The generated parts of the docs equal their generators, and the docs state what the code holds."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import jsonschema
import pytest

from components.cluster import releases
from components.config.apps import APP_FIELDS
from policy import firewall
from policy.pack import config_with_defaults
from policy.rules import RULES, rule
from tests.docs import doc_commands
from verify import PROJECT_ROOT, docs

SCRIPT = (PROJECT_ROOT / "cloud" / "bifrost" / "bootstrap.sh").read_text()


def all_docs() -> str:
    return "\n".join(doc_commands.documents().values())


@pytest.mark.parametrize("part", docs.GENERATED, ids=lambda part: f"{part.path}:{part.block or 'file'}")
def test_each_generated_part_equals_its_generator(part: docs.Generated) -> None:
    assert part.current(PROJECT_ROOT) == part.render(), "regenerate with: python -m verify docs --write"


def _copy_docs(tmp_path: Path) -> Path:
    shutil.copytree(PROJECT_ROOT / "docs", tmp_path / "docs")
    return tmp_path


def test_a_stale_part_is_named_and_rewritten(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _copy_docs(tmp_path)
    reference = root / "docs" / "reference.md"
    reference.write_text(reference.read_text().replace("| `hcloudToken` | supplied, required", "| `hcloudToken` | x"))
    (root / "docs" / "secrets-flow.md").write_text("# Secrets flow\n")
    assert [(part.path, part.block) for part in docs.stale(root)] == [
        ("docs/reference.md", "secrets-table"), ("docs/secrets-flow.md", "")]
    assert docs.run(root, write=False) == 1
    assert "stale: docs/reference.md (secrets-table): regenerate with: python -m verify docs --write" in \
        capsys.readouterr().out
    assert docs.run(root, write=True) == 0
    assert docs.stale(root) == []
    assert reference.read_text() == (PROJECT_ROOT / "docs" / "reference.md").read_text()


def test_every_table_the_docs_generate_has_its_markers_once() -> None:
    for part in docs.GENERATED:
        if part.block:
            text = (PROJECT_ROOT / part.path).read_text()
            assert text.count(f"<!-- {part.block}:start -->") == 1 == text.count(f"<!-- {part.block}:end -->")


def test_the_catalog_table_lists_exactly_the_entry_fields() -> None:
    fields = re.findall(r"^\| `([A-Za-z]+)` \| (?:yes|no)", all_docs(), flags=re.MULTILINE)
    assert tuple(fields) == APP_FIELDS


def test_the_stated_helm_history_is_the_configured_one() -> None:
    assert f"Helm keeps {releases.MAX_HISTORY} revisions" in all_docs()


def _table(text: str, header: str) -> list[str]:
    """The first column of the table with this header row."""
    rows = text.split(header, 1)[1].split("\n\n", 1)[0].splitlines()[2:]
    return [row.split("|")[1].strip() for row in rows if row.startswith("|")]


def test_the_bootstrap_exit_codes_are_the_script_header() -> None:
    documented = _table(all_docs(), "| code | meaning |")
    in_script = re.findall(r"^#   (\d+)  ", SCRIPT, re.MULTILINE)
    assert documented == in_script == ["0", "1", "2", "3", "4", "5", "6", "7", "129", "130", "143"]
    for code in in_script:
        if code != "0":
            assert re.search(rf"(die|exit|on_signal [A-Z]+) {code}\b", SCRIPT), f"exit code {code} is never used"


def test_the_bootstrap_steps_are_the_log_lines() -> None:
    documented = _table(all_docs(), "| step | services | ready when |")
    in_script = ["preflight", "token", "proxy-token"]
    in_script += re.findall(r"^\s*stage ([a-z-]+) ", SCRIPT, re.MULTILINE)
    in_script += re.findall(r"^\s*optional_stage ([a-z-]+) ", SCRIPT, re.MULTILINE)
    assert sorted(documented) == sorted(in_script)


def test_the_docs_name_every_policy_and_how_to_run_the_pack() -> None:
    text = all_docs()
    assert "pulumi preview --policy-pack policy" in text
    assert all(f"`{candidate.name}`" in text for candidate in RULES)


def test_the_firewall_config_example_is_valid_and_extends_the_default() -> None:
    examples = [block for block in re.findall(r"```json\n(.*?)```", all_docs(), flags=re.DOTALL)
                if "hcloud-firewall-ingress" in block]
    assert len(examples) == 1
    config = json.loads(examples[0])
    allowed = config["hcloud-firewall-ingress"]["allowedIngress"]
    jsonschema.validate(allowed, firewall.CONFIG_SCHEMA)
    assert allowed[: len(firewall.DEFAULT_ALLOWED_INGRESS)] == firewall.DEFAULT_ALLOWED_INGRESS
    configure = rule("hcloud-firewall-ingress").configure
    assert configure is not None
    options = configure(config_with_defaults(rule("hcloud-firewall-ingress"), config["hcloud-firewall-ingress"]))
    assert len(options["allowed"]) == len(allowed)
