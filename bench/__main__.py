"""Benchmarks: `python -m bench` (or `make bench`) prints the four figures. Not tests: nothing here asserts.

P1  offline check of the prod stack: median wall time, and its ratio to a bare import of the SDKs.
P2  evaluation time with app catalogs of 10, 100 and 1000 apps: milliseconds per added app.
P3  bootstrap.sh overhead against the fake docker, beyond the slowest readiness path.
P4  two evaluations of the same config: resources whose inputs differ.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import time
from typing import Any

from verify.evaluate import PROJECT_ROOT

BARE_IMPORT = "import pulumi, pulumi_kubernetes, pulumi_hcloud, pulumi_command, pulumi_random"


def _wall(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=PROJECT_ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def p1_offline_check(runs: int) -> tuple[float, float]:
    check = [sys.executable, "-m", "verify", "check", "--stack", "prod"]
    bare = [sys.executable, "-c", BARE_IMPORT]
    _wall(check), _wall(bare)  # warm the file cache and bytecode
    check_times, bare_times = [], []
    for _ in range(runs):  # interleaved so both see the same machine load
        check_times.append(_wall(check))
        bare_times.append(_wall(bare))
    return statistics.median(check_times), statistics.median(bare_times)


def catalog(size: int) -> list[dict[str, Any]]:
    operators = ("external-secrets", "infisical-operator")
    return [
        {"name": f"app{i}", "namespace": f"ns{i % 50}", "target": f"app{i}-secret", "path": f"/app{i}",
         "refreshInterval": "1h", "operator": operators[i % 2], "keys": {"PASSWORD": f"APP{i}_PASSWORD"}}
        for i in range(size)
    ]


def _config_with(size: int) -> Any:
    from tests.conftest import full_config

    config = full_config()
    config.set("apps", catalog(size))
    return config


def evaluation_seconds(size: int, runs: int) -> float:
    from verify.evaluate import evaluate

    config = _config_with(size)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = evaluate(config.values, config.secret_keys, config.canaries)
        times.append(time.perf_counter() - started)
        if result.error or result.crash:
            raise SystemExit(f"evaluation with {size} apps failed: {result.error or result.crash!r}")
    return statistics.median(times)


def p4_differing_resources() -> tuple[int, int]:
    from tests.conftest import full_config
    from verify.evaluate import evaluate
    from verify.mocks import unwrap

    config = full_config()
    first = evaluate(config.values, config.secret_keys, config.canaries)
    second = evaluate(config.values, config.secret_keys, config.canaries)
    inputs_a = {(r.type, r.name): unwrap(r.inputs) for r in first.registrations}
    inputs_b = {(r.type, r.name): unwrap(r.inputs) for r in second.registrations}
    differing = {key for key in inputs_a.keys() | inputs_b.keys() if inputs_a.get(key) != inputs_b.get(key)}
    return len(differing), len(inputs_a)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    import os

    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="repetitions per figure (median is reported)")
    args = parser.parse_args(argv)
    print(f"machine: {machine()}")

    check_s, bare_s = p1_offline_check(args.runs)
    print(f"P1 offline check (prod): median {check_s:.2f} s; bare SDK import {bare_s:.2f} s; "
          f"ratio {check_s / bare_s:.2f}x (target <= 1.5x)")

    sizes = (10, 100, 1000)
    evaluation_seconds(10, 1)  # warm-up: the program's imports and first-use caches are not per-app costs
    seconds = {size: evaluation_seconds(size, max(1, args.runs // 2)) for size in sizes}
    per_app_ms = (seconds[1000] - seconds[10]) / 990 * 1000
    low = (seconds[100] - seconds[10]) / 90 * 1000
    high = (seconds[1000] - seconds[100]) / 900 * 1000
    print(f"P2 evaluation: 10 apps {seconds[10]:.2f} s, 100 apps {seconds[100]:.2f} s, "
          f"1000 apps {seconds[1000]:.2f} s; {per_app_ms:.2f} ms per added app "
          f"(10->100: {low:.2f} ms, 100->1000: {high:.2f} ms; target <= 2 ms, linear)")

    from bench import bootstrap_overhead

    bootstrap_overhead.main()

    differing, total = p4_differing_resources()
    print(f"P4 determinism: {differing} of {total} resources differ between two evaluations (target 0)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
