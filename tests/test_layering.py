"""The code the project ships or measures with never imports the test suite: `tests/` may import them, not
the other way round (the benchmarks run the fake docker from `fakes/`, not from the tests)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from verify import PROJECT_ROOT

INDEPENDENT = ("bench", "verify", "fakes", "components", "policy")


def imports_of_tests(source: str) -> list[str]:
    """Each import of `tests` or a module under it in a Python source, as written."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if alias.name.split(".")[0] == "tests"]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == "tests":
            found.append(str(node.module))
    return found


def sources() -> list[Path]:
    files = [path for folder in INDEPENDENT for path in sorted((PROJECT_ROOT / folder).rglob("*.py"))]
    return [*files, PROJECT_ROOT / "__main__.py"]


@pytest.mark.parametrize("source", [
    "import tests.cloud.bifrost.harness",
    "from tests.cloud.bifrost.harness import Stack",
    "from tests import conftest",
    "def f():\n    import tests\n",
])
def test_the_scan_finds_an_import_of_the_tests(source: str) -> None:
    assert imports_of_tests(source)


def test_the_scan_leaves_other_imports_alone() -> None:
    assert imports_of_tests("import testsuite\nfrom fakes.bifrost import harness\nfrom . import tests\n") == []


def test_no_shipped_or_benchmark_code_imports_the_tests() -> None:
    offenders = {str(path.relative_to(PROJECT_ROOT)): found for path in sources()
                 if (found := imports_of_tests(path.read_text()))}
    assert offenders == {}, f"these import the test suite; move what they need to fakes/: {offenders}"
