"""The README's Bifrost section states what bootstrap.sh does: its steps, exit codes and next steps."""

from __future__ import annotations

import re

from fakes.bifrost.harness import BIFROST_SOURCE, PROJECT_ROOT

HEADING = "## The Bifrost stack on the VPS"
SCRIPT = (BIFROST_SOURCE / "bootstrap.sh").read_text()


def section() -> str:
    text = (PROJECT_ROOT / "README.md").read_text()
    assert HEADING in text
    rest = text.split(HEADING, 1)[1]
    return rest.split("\n## ", 1)[0]


def table_first_column(text: str, header: str) -> list[str]:
    rows = text.split(header, 1)[1].split("\n\n", 1)[0].splitlines()[2:]
    return [row.split("|")[1].strip() for row in rows if row.startswith("|")]


def test_exit_codes_match_the_script_header() -> None:
    documented = table_first_column(section(), "| code | meaning |")
    in_script = re.findall(r"^#   (\d+)  ", SCRIPT, re.MULTILINE)
    assert documented == in_script == ["0", "1", "2", "3", "4", "5", "6", "7", "129", "130", "143"]
    for code in in_script:
        if code != "0":
            assert re.search(rf"(die|exit|on_signal [A-Z]+) {code}\b", SCRIPT), f"exit code {code} is never used"


def test_steps_match_the_log_lines() -> None:
    documented = table_first_column(section(), "| step | services | ready when |")
    in_script = ["preflight", "token", "proxy-token"]
    in_script += re.findall(r"^\s*stage ([a-z-]+) ", SCRIPT, re.MULTILINE)
    in_script += re.findall(r"^\s*optional_stage ([a-z-]+) ", SCRIPT, re.MULTILINE)
    assert sorted(documented) == sorted(in_script)


def test_next_steps_match_the_script() -> None:
    commands = re.findall(r"^(pulumi config set .*)$", section(), re.MULTILINE)
    assert len(commands) == 1
    for command in commands:
        assert command in SCRIPT
