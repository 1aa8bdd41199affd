"""The suite's CPU ledger (bench/suite_cpu.py): what each pytest process wrote, added up without counting twice."""

from __future__ import annotations

import json
from pathlib import Path

from bench import suite_cpu


def write(directory: Path, pid: int, own: float, children: float, tests: list[tuple[str, float, float]],
          evaluations: list[float]) -> None:
    document = {"own": own, "children": children, "tests": tests, "evaluations": evaluations}
    (directory / f"pytest-{pid}.json").write_text(json.dumps(document))


def test_workers_are_counted_once_and_the_controllers_other_children_are_kept(tmp_path: Path) -> None:
    write(tmp_path, 1, own=10.0, children=4.0, tests=[("tests/a.py::t1", 6.0, 3.0), ("tests/b.py::t2", 1.0, 0.0)],
          evaluations=[2.0, 3.0])
    write(tmp_path, 2, own=8.0, children=1.0, tests=[("tests/a.py::t3", 5.0, 1.0)], evaluations=[4.0])
    # The controller waited for both workers (10 + 4 + 8 + 1) and for one program of its own (0.5).
    write(tmp_path, 3, own=2.0, children=23.5, tests=[], evaluations=[])
    ledger = suite_cpu.read(tmp_path)
    assert (ledger.processes, ledger.own, ledger.children) == (3, 20.0, 5.5)
    assert ledger.total == 25.5
    assert (ledger.tests_own, ledger.tests_children, ledger.outside_tests) == (12.0, 4.0, 8.0)
    assert ledger.evaluations == [2.0, 3.0, 4.0]
    assert ledger.by_file == {"tests/a.py": 15.0, "tests/b.py": 1.0}
    printed = "\n".join(suite_cpu.lines(ledger, 30, 2))
    assert "evaluations of the program: 3, 9.0 s" in printed and "allows at most 60 s of CPU" in printed



def test_a_run_the_plugin_did_not_reach_is_reported_not_summed(tmp_path: Path) -> None:
    (line,) = suite_cpu.lines(suite_cpu.read(tmp_path), 30, 2)
    assert "FAILED, the ledger plugin recorded 0 pytest processes" in line
