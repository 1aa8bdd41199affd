"""One child process, measured: wall time, CPU time (user + system) and peak resident memory."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from typing import Any

from verify import PROJECT_ROOT

# Every side is measured with its bytecode cached, as a second run on any machine finds it: the SDKs' bytecode
# is compiled by `make setup`, the project's own is written by each command's first (warm-up) run, which
# PYTHONDONTWRITEBYTECODE in the environment would forbid (every run would then compile the project's sources).
CHILD_ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


@dataclass(frozen=True)
class Sample:
    wall: float  # seconds
    cpu: float  # seconds of user + system time of the child
    peak_kib: int  # the child's peak resident set size
    report: dict[str, Any]  # what the child printed as JSON on its last line, if anything


def run(command: list[str], extra_env: dict[str, str] | None = None) -> Sample:
    """Runs the command from the project root and waits for it with wait4, which yields its own usage."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                   env={**CHILD_ENV, **(extra_env or {})})
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            out.seek(0)
            err.seek(0)
            said = (out.read().decode()[-3000:] + err.read().decode()[-2000:]).strip()
            raise SystemExit(f"{' '.join(command)} exited {process.returncode}:\n{said}")
        out.seek(0)
        lines = out.read().decode().strip().splitlines()
    report: dict[str, Any] = {}
    if lines and lines[-1].startswith("{"):
        report = json.loads(lines[-1])
    return Sample(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, report)


@dataclass(frozen=True)
class Series:
    samples: list[Sample]

    @property
    def wall(self) -> float:
        return statistics.median(s.wall for s in self.samples)

    @property
    def cpu(self) -> float:
        return statistics.median(s.cpu for s in self.samples)

    @property
    def peak_kib(self) -> float:
        return statistics.median(s.peak_kib for s in self.samples)

    def reported(self, key: str) -> float:
        return statistics.median(float(s.report[key]) for s in self.samples)


def interleaved(commands: dict[str, list[str]], runs: int, warm_up: bool = True) -> dict[str, Series]:
    """Runs each command `runs` times, taking turns, so that all of them see the same machine load."""
    if warm_up:
        for command in commands.values():
            run(command)  # the file cache
    samples: dict[str, list[Sample]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            samples[name].append(run(command))
    return {name: Series(found) for name, found in samples.items()}
