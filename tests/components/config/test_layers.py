"""The config package stays a lower layer: only its composition (`load.py`) reads the cluster's records."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

from verify import PROJECT_ROOT

COMPONENTS = PROJECT_ROOT / "components"


def imported_modules(path: Path) -> set[str]:
    return set(_imported_modules(path.read_text()))


@functools.cache
def _imported_modules(source: str) -> frozenset[str]:
    """Parsed once per source text: each test here walks every module of the package."""
    tree = ast.parse(source)
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
            modules.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
    return frozenset(modules)


def test_no_component_imports_the_composition() -> None:
    importers = [path.relative_to(PROJECT_ROOT).as_posix() for path in COMPONENTS.rglob("*.py")
                 if path.name != "load.py" and "components.config.load" in imported_modules(path)]
    assert importers == []


def test_only_the_composition_reads_cluster_records() -> None:
    readers = [path.name for path in (COMPONENTS / "config").glob("*.py")
               if any(m.startswith("components.cluster") for m in imported_modules(path))]
    assert readers == ["load.py"]


def test_the_old_modules_are_gone() -> None:
    assert not (COMPONENTS / "settings.py").exists()
    assert not (COMPONENTS / "config_schema.py").exists()
    sources = [*PROJECT_ROOT.glob("*.py"), *(p for d in ("components", "verify", "tests", "bench", "policy")
                                             for p in (PROJECT_ROOT / d).rglob("*.py"))]
    # Only a file that spells a module's name can import it: the others need no parse.
    stale = [p.relative_to(PROJECT_ROOT).as_posix() for p in sources
             if any(name in p.read_text() for name in ("settings", "config_schema"))
             and {"components.settings", "components.config_schema"} & imported_modules(p)]
    assert stale == []
