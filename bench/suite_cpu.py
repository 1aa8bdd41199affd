"""Where the test suite's CPU goes: a pytest plugin, and the ledger P6 prints from what it wrote.

P6 runs `make test` once more with `PYTEST_ADDOPTS=-p bench.suite_cpu` and BENCH_SUITE_CPU_DIR set. Every pytest
process (xdist's controller and each worker: they all read PYTEST_ADDOPTS) then writes one JSON file there at
exit: its own CPU and that of the children it waited for, each test's CPU (its own and its programs'), and each
evaluation of the program (`verify.evaluate.evaluate`, wrapped when this plugin loads, which is before any test
module or conftest imports it).
"""

from __future__ import annotations

import atexit
import collections
import functools
import json
import os
import resource
import statistics
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

DIRECTORY_VARIABLE = "BENCH_SUITE_CPU_DIR"


def _usage() -> tuple[float, float]:
    """CPU seconds (user + system) of this process, and of the children it has waited for."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


@dataclass
class _Record:
    tests: list[tuple[str, float, float]]  # (node id, own CPU, children's CPU)
    evaluations: list[float]  # CPU of each evaluation

    def dump(self, directory: str) -> None:
        own, children = _usage()
        document = {"own": own, "children": children, "tests": self.tests, "evaluations": self.evaluations}
        path = Path(directory) / f"pytest-{os.getpid()}.json"
        path.write_text(json.dumps(document), encoding="utf-8")


_RECORD = _Record([], [])


def _timed(evaluate: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(evaluate)
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.process_time()  # every thread of the process: the SDK's executor threads too
        try:
            return evaluate(*args, **kwargs)
        finally:
            _RECORD.evaluations.append(time.process_time() - started)
    return timed


if os.environ.get(DIRECTORY_VARIABLE):
    import verify.evaluate

    verify.evaluate.evaluate = _timed(verify.evaluate.evaluate)
    atexit.register(_RECORD.dump, os.environ[DIRECTORY_VARIABLE])


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, None, None]:
    own_before, children_before = _usage()
    yield
    own_after, children_after = _usage()
    _RECORD.tests.append((item.nodeid, own_after - own_before, children_after - children_before))


@dataclass(frozen=True)
class Ledger:
    processes: int
    own: float  # CPU of the pytest processes themselves
    children: float  # CPU of the programs they started (xdist's workers excluded)
    tests_own: float  # in the tests, within the pytest processes
    tests_children: float  # the programs the tests started
    evaluations: list[float]
    by_file: dict[str, float]  # own + children, per test file

    @property
    def total(self) -> float:
        return self.own + self.children

    @property
    def outside_tests(self) -> float:
        """Starting the processes, importing, collecting and handing out tests."""
        return self.own - self.tests_own


def read(directory: Path) -> Ledger:
    documents = [json.loads(path.read_text(encoding="utf-8")) for path in sorted(directory.glob("pytest-*.json"))]
    workers = [d for d in documents if d["tests"]]
    controllers = [d for d in documents if not d["tests"]]
    by_file: dict[str, float] = collections.defaultdict(float)
    for document in workers:
        for node, own, children in document["tests"]:
            by_file[node.split("::", 1)[0]] += own + children
    tests_children = sum(children for d in workers for _, _, children in d["tests"])
    own = sum(d["own"] for d in documents)
    # A controller's children include its workers, whose CPU is counted from their own files.
    children = sum(d["children"] for d in workers) + sum(
        max(0.0, d["children"] - sum(w["own"] + w["children"] for w in workers)) for d in controllers)
    return Ledger(processes=len(documents), own=own, children=children,
                  tests_own=sum(o for d in workers for _, o, _ in d["tests"]), tests_children=tests_children,
                  evaluations=[e for d in workers for e in d["evaluations"]], by_file=dict(by_file))


def lines(ledger: Ledger, wall_target: float, cores: int) -> list[str]:
    if not ledger.processes or not ledger.by_file:
        return [f"P6  where its CPU goes: FAILED, the ledger plugin recorded {ledger.processes} pytest processes "
                f"and no test (PYTEST_ADDOPTS=-p bench.suite_cpu did not reach pytest)"]
    evaluations = sum(ledger.evaluations)
    budget = wall_target * cores
    top = sorted(ledger.by_file.items(), key=lambda item: -item[1])[:6]
    return [
        f"P6  where its CPU goes (one more run, with the ledger plugin): {ledger.total:.1f} s over "
        f"{ledger.processes} pytest processes and the programs they started",
        f"    evaluations of the program: {len(ledger.evaluations)}, {evaluations:.1f} s "
        f"(median {1000 * statistics.median(ledger.evaluations or [0.0]):.0f} ms, "
        f"the longest {max(ledger.evaluations or [0.0]):.2f} s)",
        f"    programs the tests ran (Node for Renovate, bash, sshd, shellcheck, checks): "
        f"{ledger.tests_children:.1f} s",
        f"    the tests' other work in the pytest processes: {ledger.tests_own - evaluations:.1f} s",
        f"    starting, importing, collecting and handing out tests: {ledger.outside_tests:.1f} s",
        "    most costly files: " + ", ".join(f"{path.removeprefix('tests/')} {cpu:.1f} s" for path, cpu in top),
        f"    {wall_target:.0f} s on {cores} cores allows at most {budget:.0f} s of CPU; the evaluations and the "
        f"programs alone take {evaluations + ledger.tests_children:.1f} s",
    ]
