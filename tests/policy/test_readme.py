"""The README's Policy pack section states what the pack does: kept equal to the code."""

from __future__ import annotations

import json
import re

import jsonschema

from policy import firewall
from policy.docs import policy_table
from policy.pack import config_with_defaults
from policy.rules import RULES, rule
from verify.evaluate import PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text()


def _section() -> str:
    assert "\n## Policy pack\n" in README
    return README.split("\n## Policy pack\n", 1)[1].split("\n## ", 1)[0]


def _between(text: str, name: str) -> str:
    start, end = f"<!-- {name}:start -->\n", f"\n<!-- {name}:end -->"
    return text[text.index(start) + len(start): text.index(end)]


def test_policy_table_matches_the_rules() -> None:
    assert _between(_section(), "policy-table") == policy_table(), "regenerate with: python -m policy.docs"


def test_section_says_how_to_run_and_names_every_policy() -> None:
    section = _section()
    assert "pulumi preview --policy-pack policy" in section
    for candidate in RULES:
        assert f"`{candidate.name}`" in section


def test_config_example_is_valid_and_extends_the_default() -> None:
    (example,) = re.findall(r"```json\n(.*?)```", _section(), flags=re.DOTALL)
    config = json.loads(example)
    assert list(config) == ["hcloud-firewall-ingress"]
    allowed = config["hcloud-firewall-ingress"]["allowedIngress"]
    jsonschema.validate(allowed, firewall.CONFIG_SCHEMA)
    assert allowed[: len(firewall.DEFAULT_ALLOWED_INGRESS)] == firewall.DEFAULT_ALLOWED_INGRESS
    configure = rule("hcloud-firewall-ingress").configure
    assert configure is not None
    options = configure(config_with_defaults(rule("hcloud-firewall-ingress"), config["hcloud-firewall-ingress"]))
    assert len(options["allowed"]) == len(allowed)
